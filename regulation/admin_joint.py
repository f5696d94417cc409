"""Joint complaints in the admin: one case per joint complaint with its members, the total claimed and the
refunds confirmed (SAMR Order 121 Art. 12). Read-only and fail-closed: the rows come from the regulator's office
scope (``remediation.joint_cases_for``), a regulator without an office sees none."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from complaints.joint import joint_handling_decide
from complaints.models import JointComplaint, JointMembership
from portal.access import acts_as_regulator
from portal.admin import ReadOnlyAdminMixin
from portal.errors import DomainError

from . import remediation
from .models import Refund


class JointMemberInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = JointMembership
    extra = 0
    can_delete = False
    fields = ("complaint", "amount", "refunded", "is_representative", "consented_at", "consent_sha256", "left_at")
    readonly_fields = fields
    verbose_name_plural = _("members")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("complaint")
            .annotate(refunded=remediation.refunded_for_complaint("complaint_id"))
        )

    @admin.display(description=_("amount (CNY)"))
    def amount(self, membership: JointMembership):
        return membership.complaint.amount

    @admin.display(description=_("refunded"))
    def refunded(self, membership: JointMembership):
        return membership.refunded


class RefundInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("complaint", "amount", "refunded_on", "channel_reference", "recorded_by", "recorded_at")
    readonly_fields = fields
    verbose_name_plural = _("refunds recorded through this joint complaint")


class HandlingDecisionForm(forms.Form):
    """The office's decision under SAMR Order 121 Art. 12 (市场监督管理部门可以按共同投诉处理)."""

    accept = forms.TypedChoiceField(
        label=_("Joint handling"),
        choices=[("yes", _("Handle as a joint complaint")), ("no", _("Decline: each complaint goes on alone"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when declining."),
    )


@admin.register(JointComplaint)
class JointComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "platform",
        "office",
        "dispute",
        "members",
        "total_amount",
        "refunded",
        "outstanding",
        "created_at",
        "answered_at",
        "handled_jointly",
    )
    list_filter = ("dispute", "handled_jointly")
    search_fields = ["title", "=platform__slug"]
    inlines = [JointMemberInline, RefundInline]
    exclude = ("join_code",)
    change_form_template = "admin/complaints/jointcomplaint/change_form.html"

    def get_queryset(self, request):
        return remediation.joint_cases_for(request.user)

    def get_urls(self):
        decide = path(
            "<int:joint_id>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name="complaints_jointcomplaint_decide",
        )
        return [decide, *super().get_urls()]

    def decide_view(self, request, joint_id: int):
        """A form for the decision; the service checks the scope again, under lock."""
        if not acts_as_regulator(request.user):
            raise PermissionDenied
        joint = self.get_queryset(request).filter(pk=joint_id).first()
        if joint is None:
            raise Http404
        change_url = reverse("admin:complaints_jointcomplaint_change", args=[joint.pk])
        form = HandlingDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                joint_handling_decide(
                    by=request.user,
                    joint_id=joint.pk,
                    accept=form.cleaned_data["accept"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except DomainError as exc:
                messages.error(request, exc.message)
                return HttpResponseRedirect(change_url)
            else:
                messages.success(request, _("The decision is recorded on every member's complaint."))
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": joint,
            "title": _("Decide on joint handling"),
            "form": form,
            "change_url": change_url,
        }
        return render(request, "admin/complaints/jointcomplaint/decide.html", context)

    @admin.display(description=_("members"))
    def members(self, joint: JointComplaint) -> int:
        return joint.member_count

    @admin.display(description=_("total claimed"))
    def total_amount(self, joint: JointComplaint):
        return joint.total_amount

    @admin.display(description=_("refunded"))
    def refunded(self, joint: JointComplaint):
        return joint.refunded

    @admin.display(description=_("outstanding"))
    def outstanding(self, joint: JointComplaint):
        return joint.total_amount - joint.refunded
