"""Jurisdiction in the admin: the complaint admin gains transfer, take-over, dispute and designation actions,
and regulators read the jurisdiction disputes of their offices. Each action calls its service once per
complaint (``regulation.jurisdiction``), exactly as the API does.
"""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from complaints.admin import ComplaintAdmin
from complaints.models import Complaint
from portal.admin import ReadOnlyAdminMixin
from portal.models import Office

from .jurisdiction import (
    complaint_designate,
    complaint_take_over,
    complaint_transfer,
    disputes_visible_to,
    jurisdiction_dispute_open,
)
from .models import JurisdictionDispute


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class OfficeAndReasonForm(ReasonForm):
    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.all())

    field_order = ["office", "reason"]


admin.site.unregister(Complaint)


@admin.register(Complaint)
class ComplaintJurisdictionAdmin(ComplaintAdmin):
    actions = [*ComplaintAdmin.actions, "transfer", "take_over", "dispute_jurisdiction", "designate"]

    @admin.action(description=_("Transfer to another office (Art. 41)"), permissions=["regulate"])
    def transfer(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            OfficeAndReasonForm,
            _("Transfer complaints to another office"),
            lambda complaint, data: complaint_transfer(
                complaint_id=complaint.pk, by=request.user, to_office=data["office"], reason=data["reason"]
            ),
            lambda count: ngettext("%(count)d complaint transferred.", "%(count)d complaints transferred.", count),
        )

    @admin.action(description=_("Take over from the office below (Art. 13)"), permissions=["regulate"])
    def take_over(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            ReasonForm,
            _("Take complaints over"),
            lambda complaint, data: complaint_take_over(
                complaint_id=complaint.pk, by=request.user, reason=data["reason"]
            ),
            lambda count: ngettext("%(count)d complaint taken over.", "%(count)d complaints taken over.", count),
        )

    @admin.action(description=_("Record a jurisdiction dispute (Art. 33)"), permissions=["regulate"])
    def dispute_jurisdiction(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            OfficeAndReasonForm,
            _("Record a jurisdiction dispute with another office"),
            lambda complaint, data: jurisdiction_dispute_open(
                complaint_id=complaint.pk, by=request.user, other_office=data["office"], reason=data["reason"]
            ),
            lambda count: ngettext("%(count)d dispute recorded.", "%(count)d disputes recorded.", count),
        )

    @admin.action(description=_("Designate the handling office (Art. 33)"), permissions=["regulate"])
    def designate(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            OfficeAndReasonForm,
            _("Designate the handling office"),
            lambda complaint, data: complaint_designate(
                complaint_id=complaint.pk, by=request.user, office=data["office"], reason=data["reason"]
            ),
            lambda count: ngettext("%(count)d complaint designated.", "%(count)d complaints designated.", count),
        )


@admin.register(JurisdictionDispute)
class JurisdictionDisputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Disputes where an office of the reader's scope is a party, the ones to settle soonest first."""

    list_display = (
        "complaint",
        "raised_by_office",
        "other_office",
        "opened_at",
        "settle_by",
        "is_overdue",
        "designated_office",
        "designated_at",
    )
    list_filter = (("designated_at", admin.EmptyFieldListFilter),)
    search_fields = ["=complaint__reference"]

    def get_queryset(self, request):
        return disputes_visible_to(request.user)

    @admin.display(boolean=True, description=_("past the 7 working days"))
    def is_overdue(self, dispute: JurisdictionDispute) -> bool:
        return dispute.is_open and timezone.now() > dispute.settle_by
