"""Joint complaints in the admin: one case per joint complaint with its members, the total claimed and the
refunds confirmed (SAMR Order 121 Art. 12). Read-only and fail-closed: the rows come from the regulator's office
scope (``remediation.joint_cases_for``), a regulator without an office sees none."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from complaints.models import JointComplaint, JointMembership
from portal.admin import ReadOnlyAdminMixin

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
    )
    list_filter = ("dispute",)
    search_fields = ["title", "=platform__slug"]
    inlines = [JointMemberInline, RefundInline]
    exclude = ("join_code",)

    def get_queryset(self, request):
        return remediation.joint_cases_for(request.user)

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
