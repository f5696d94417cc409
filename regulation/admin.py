"""Regulators' admin for penalty decisions."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from portal.errors import DomainError

from .models import Penalty, PenaltyStatus
from .penalties import PENALTY_TRANSITIONS, penalties_visible_to, penalty_set_status


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
    list_display = ("number", "platform", "office", "kind", "fine_amount", "decided_on", "appeal_deadline", "status")
    list_filter = ("status", "kind", "year", ("office", admin.RelatedOnlyFieldListFilter))
    search_fields = ["=number", "platform__name", "=platform__slug"]
    list_select_related = ("platform", "office")
    date_hierarchy = "decided_on"
    form = PenaltyStatusForm
    readonly_fields = ("number", "platform", "office", "kind", "fine_amount", "rectification_deadline", "legal_basis",
                       "facts", "decision", "cited_complaints", "decided_on", "appeal_deadline", "issued_by",
                       "status_changed_at", "created_at")
    fields = ("number", "platform", "office", "kind", "fine_amount", "rectification_deadline", "decided_on",
              "appeal_deadline", "legal_basis", "facts", "decision", "cited_complaints", "issued_by",
              "status", "status_note", "status_changed_at", "created_at")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a decision is corrected by appeal (overturned), never erased

    def add_view(self, request, form_url="", extra_context=None):
        # Issuing takes the next official number and cites complaints: the issuance page does it through
        # ``penalty_issue``; the admin never types a number or saves a decision itself.
        if not self.has_add_permission(request):
            return super().add_view(request, form_url, extra_context)
        return redirect("regulation:penalty-new")

    def get_queryset(self, request):
        # The same scope as the pages and the API: the decisions of the regulator's office and those below it;
        # another office's decision is "not found" here too.
        return penalties_visible_to(request.user).select_related("platform", "office", "issued_by")

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


from . import admin_jurisdiction  # noqa: E402, F401 - registers the jurisdiction actions and disputes
