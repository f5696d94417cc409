"""Joint complaints as regulators see them: one case with its members, the total claimed and the refunds
confirmed (SAMR Order 121 Art. 12). Regulators of the handling office and above only; anyone else gets 403."""

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from complaints.joint import joint_handling_decide
from complaints.models import JointComplaint, JointDispute
from portal import money
from portal.access import ActsAsRegulator
from portal.api import FIELD_ERRORS, error
from portal.audit import log_access
from regulation import remediation
from regulation.models import Refund

NOT_FOUND = error("No such joint complaint in your office's scope.")
DECIDED = error("The handling of this joint complaint was decided already.")
FORBIDDEN = error("Only regulators.")
MONEY = {"max_digits": 14, "decimal_places": 2}


class IsRegulator(ActsAsRegulator):
    message = _("Only regulators can see joint complaints as cases.")


class JointCaseOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    dispute = serializers.ChoiceField(choices=JointDispute.choices)
    platform = serializers.CharField(source="platform.slug")
    office = serializers.CharField(source="office.division_code", allow_null=True)
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    member_count = serializers.IntegerField()
    representative_count = serializers.IntegerField()
    total_amount = serializers.DecimalField(**MONEY)
    refunded = serializers.DecimalField(**MONEY)
    outstanding = serializers.DecimalField(**MONEY)


class RefundOut(serializers.Serializer):
    id = serializers.IntegerField()
    complaint = serializers.IntegerField(source="complaint_id")
    amount = serializers.DecimalField(**MONEY)
    refunded_on = serializers.DateField()
    channel_reference = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class CaseMemberOut(serializers.Serializer):
    membership = serializers.IntegerField()
    complaint = serializers.IntegerField()
    reference = serializers.CharField()
    consumer = serializers.CharField()
    status = serializers.CharField()
    is_representative = serializers.BooleanField()
    consented_at = serializers.DateTimeField()
    consent_sha256 = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    refunded = serializers.DecimalField(**MONEY)
    outstanding = serializers.DecimalField(**MONEY)


class JointCaseDetailOut(JointCaseOut):
    summary = serializers.CharField()
    # The office's decision under SAMR Order 121 Art. 12 (市场监督管理部门可以按共同投诉处理); null until decided.
    handled_jointly = serializers.BooleanField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField(allow_blank=True)
    members = CaseMemberOut(many=True)
    refunds = RefundOut(many=True)


class RefundIn(serializers.Serializer):
    complaint = serializers.IntegerField(help_text="Id of a member's complaint.")
    amount = serializers.DecimalField(
        max_digits=money.MAX_DIGITS,
        decimal_places=money.DECIMAL_PLACES,
        min_value=0,
        error_messages=money.yuan_error_messages(settings.PORTAL_AMOUNT_MAX),
    )
    refunded_on = serializers.DateField()
    channel_reference = serializers.CharField(max_length=64)


def case_row(joint) -> dict:
    return {
        "id": joint.pk,
        "title": joint.title,
        "dispute": joint.dispute,
        "platform": joint.platform,
        "office": joint.office,
        "created_at": joint.created_at,
        "answered_at": joint.answered_at,
        "member_count": joint.member_count,
        "representative_count": joint.representative_count,
        "total_amount": joint.total_amount,
        "refunded": joint.refunded,
        "outstanding": joint.total_amount - joint.refunded,
    }


class RegulatorJointEndpoint(GenericAPIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return JointComplaint.objects.none()
        return remediation.joint_cases_for(self.request.user)

    def detail(self, joint_id, status_code=status.HTTP_200_OK) -> Response:
        joint = self.get_queryset().filter(pk=joint_id).first()
        if joint is None:
            raise Http404(_("No such joint complaint."))
        lines, _totals = remediation.joint_case(joint)
        log_access(self.request, action="personal_data_read", obj=joint, detail=str(joint))
        data = {
            **case_row(joint),
            "summary": joint.summary,
            "handled_jointly": joint.handled_jointly,
            "decided_at": joint.decided_at,
            "decision_reason": joint.decision_reason,
            "members": [
                {
                    "membership": line.membership.pk,
                    "complaint": line.membership.complaint_id,
                    "reference": line.membership.complaint.reference,
                    "consumer": line.membership.complaint.consumer.get_full_name()
                    or line.membership.complaint.consumer.username,
                    "status": line.membership.complaint.status,
                    "is_representative": line.membership.is_representative,
                    "consented_at": line.membership.consented_at,
                    "consent_sha256": line.membership.consent_sha256,
                    "amount": line.membership.complaint.amount,
                    "refunded": line.refunded,
                    "outstanding": line.outstanding,
                }
                for line in lines
            ],
            "refunds": Refund.objects.filter(complaint__in=[line.membership.complaint_id for line in lines]).order_by(
                "refunded_on", "pk"
            ),
        }
        return Response(JointCaseDetailOut(data).data, status=status_code)


class RegulatorJointListView(RegulatorJointEndpoint):
    @extend_schema(
        summary="Joint complaints in your office's scope, each as one case",
        responses={200: JointCaseOut(many=True), 403: FORBIDDEN},
        tags=["regulator"],
    )
    def get(self, request, *args, **kwargs):
        return Response(
            JointCaseOut([case_row(j) for j in self.get_queryset().order_by("-created_at")], many=True).data
        )


class RegulatorJointDetailView(RegulatorJointEndpoint):
    @extend_schema(
        summary="One joint complaint: members, amounts, refunds and what is outstanding",
        responses={200: JointCaseDetailOut, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["regulator"],
    )
    def get(self, request, *args, **kwargs):
        return self.detail(kwargs["id"])


class RegulatorJointRefundView(RegulatorJointEndpoint):
    serializer_class = RefundIn

    @extend_schema(
        summary="Record a refund to one member (capped by the member's amount claimed)",
        request=RefundIn,
        responses={201: JointCaseDetailOut, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["regulator"],
    )
    def post(self, request, *args, **kwargs):
        if not self.get_queryset().filter(pk=kwargs["id"]).exists():
            raise Http404(_("No such joint complaint."))
        serializer = RefundIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        remediation.refund_record(
            by=request.user,
            complaint_id=data["complaint"],
            amount=data["amount"],
            refunded_on=data["refunded_on"],
            channel_reference=data["channel_reference"],
            joint_id=kwargs["id"],
        )
        return self.detail(kwargs["id"], status.HTTP_201_CREATED)


class DecideIn(serializers.Serializer):
    accept = serializers.BooleanField(help_text="true: the office handles the group as a joint complaint.")
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Required when declining."
    )


class RegulatorJointDecideView(RegulatorJointEndpoint):
    serializer_class = DecideIn

    @extend_schema(
        summary="Decide whether the office handles the group as a joint complaint (SAMR Order 121 Art. 12)",
        request=DecideIn,
        responses={200: JointCaseDetailOut, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: DECIDED},
        tags=["regulator"],
    )
    def post(self, request, *args, **kwargs):
        serializer = DecideIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        joint_handling_decide(by=request.user, joint_id=kwargs["id"], accept=data["accept"], reason=data["reason"])
        return self.detail(kwargs["id"])
