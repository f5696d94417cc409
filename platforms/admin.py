"""Regulators' admin for platforms, operators and penalty decisions."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.errors import DomainError

from .models import Operator, Penalty, PenaltyStatus, Platform
from .operators import operators_regroup
from .penalties import PENALTY_TRANSITIONS, penalty_set_status


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "icp_filing_number", "business_licence_code", "domain", "operator",
                    "is_verified", "verified_at")
    list_filter = ("is_verified",)
    search_fields = ["name", "=slug", "icp_filing_number", "domain", "=business_licence_code"]
    list_select_related = ("operator",)
    autocomplete_fields = ("operator",)
    readonly_fields = ("is_verified", "verified_at", "created_at")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("name", "slug", "website", "domain", "contact_email", "operator")}),
        (_("Licences"), {"fields": ("icp_filing_number", "telecom_licence_number", "business_licence_code",
                                    "payment_account", "is_verified", "verified_at")}),
        (_("Compensation standard"), {"fields": ("compensation_standard", "compensation_hours",
                                                 "reported_monthly_orders")}),
        (None, {"fields": ("created_at",)}),
    )
    actions = ["verify", "regroup_operators"]

    @admin.action(description=_("Mark the licences as verified"), permissions=["change"])
    def verify(self, request, queryset):
        updated = queryset.filter(is_verified=False).update(is_verified=True, verified_at=timezone.now())
        self.message_user(request, ngettext("%(count)d platform verified.", "%(count)d platforms verified.",
                                            updated) % {"count": updated}, messages.SUCCESS)

    @admin.action(description=_("Regroup all platforms into operators (shared licence, domain or account)"),
                  permissions=["change"])
    def regroup_operators(self, request, queryset):
        result = operators_regroup()
        self.message_user(request, _(
            "Operators regrouped across all platforms: %(groups)d groups, %(created)d operators created, "
            "%(deleted)d removed, %(moved)d platforms moved."
        ) % {"groups": result.groups, "created": result.operators_created,
             "deleted": result.operators_deleted, "moved": result.platforms_moved}, messages.SUCCESS)


class OperatorPlatformInline(admin.TabularInline):
    model = Platform
    fields = ("name", "slug", "icp_filing_number", "business_licence_code", "domain", "payment_account")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ("name", "business_licence_code", "created_at")
    search_fields = ["name", "=business_licence_code", "platforms__name"]
    inlines = [OperatorPlatformInline]


class PenaltyStatusForm(forms.ModelForm):
    """The one thing a regulator changes on an issued decision: its status, through ``penalty_set_status``."""

    status_note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Penalty
        fields = ("status",)

    def clean_status(self):
        status = self.cleaned_data["status"]
        current = self.instance.status
        if status != current and status not in PENALTY_TRANSITIONS.get(current, ()):
            raise ValidationError(
                _("A “%(current)s” decision cannot become “%(wanted)s”.")
                % {"current": self.instance.get_status_display(), "wanted": PenaltyStatus(status).label}
            )
        return status


@admin.register(Penalty)
class PenaltyAdmin(admin.ModelAdmin):
    list_display = ("number", "platform", "kind", "fine_amount", "decided_on", "appeal_deadline", "status")
    list_filter = ("status", "kind", "year")
    search_fields = ["=number", "platform__name", "=platform__slug"]
    list_select_related = ("platform",)
    date_hierarchy = "decided_on"
    form = PenaltyStatusForm
    readonly_fields = ("number", "platform", "kind", "fine_amount", "rectification_deadline", "legal_basis",
                       "facts", "decision", "cited_complaints", "decided_on", "appeal_deadline", "issued_by",
                       "status_changed_at", "created_at")
    fields = ("number", "platform", "kind", "fine_amount", "rectification_deadline", "decided_on",
              "appeal_deadline", "legal_basis", "facts", "decision", "cited_complaints", "issued_by",
              "status", "status_note", "status_changed_at", "created_at")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a decision is corrected by appeal (overturned), never erased

    def add_view(self, request, form_url="", extra_context=None):
        # Issuing takes the next official number and cites complaints: the issuance page does it through
        # ``penalty_issue``; the admin never types a number or saves a decision itself.
        if not self.has_add_permission(request):
            return super().add_view(request, form_url, extra_context)
        return redirect("penalty-new")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("platform", "issued_by")

    @admin.display(description=_("complaints cited"))
    def cited_complaints(self, penalty: Penalty) -> str:
        return ", ".join(penalty.complaints.order_by("reference").values_list("reference", flat=True)) or "—"

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            try:
                penalty_set_status(by=request.user, penalty_id=obj.pk, status=form.cleaned_data["status"],
                                   note=form.cleaned_data["status_note"])
            except DomainError as error:  # a concurrent change got there first
                self.message_user(request, error.message, messages.ERROR)

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited here; the cited complaints are fixed by the decision."""
