"""Jurisdiction over the API: regulators transfer, take over, dispute and designate (Order 121 Art. 13, 33, 41).

Each endpoint parses the body and calls the service in ``regulation.jurisdiction``; the service locks the
complaint through the caller's office scope, so a complaint outside it answers 404 like a missing one.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from complaints.models import Complaint
from complaints.selectors import complaints_visible_to
from portal.access import ActsAsRegulator
from portal.api import FIELD_ERRORS, NulSafeSlugRelatedField, error
from portal.models import Office
from regulation.jurisdiction import (
    complaint_designate,
    complaint_take_over,
    complaint_transfer,
    jurisdiction_dispute_open,
)


class OfficeOut(serializers.ModelSerializer):
    class Meta:
        model = Office
        fields = ["division_code", "name", "short_name", "level", "is_receiving_centre"]
        read_only_fields = fields


class ComplaintJurisdictionOut(serializers.ModelSerializer):
    office = OfficeOut(read_only=True)
    first_received_by = OfficeOut(read_only=True)

    class Meta:
        model = Complaint
        fields = ["id", "reference", "status", "office", "office_since", "first_received_by"]
        read_only_fields = fields


class JurisdictionReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class JurisdictionOfficeIn(JurisdictionReasonIn):
    office = NulSafeSlugRelatedField(
        slug_field="division_code",
        queryset=Office.objects.all(),
        help_text="The office's administrative division code (GB/T 2260, six digits).",
    )


ERRORS = {
    400: FIELD_ERRORS,
    403: error("Not a regulator, or the caller's office may not make this move."),
    404: error("No such complaint in the caller's office scope."),
    409: error("The complaint is closed, or a dispute is (or is not) open."),
}


class JurisdictionEndpoint(GenericAPIView):
    """Regulators only (others 403); the complaint is looked up by the service through the caller's scope."""

    permission_classes = [permissions.IsAuthenticated, ActsAsRegulator]
    input_serializer = JurisdictionReasonIn

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: nobody is asking
            return Complaint.objects.none()
        return complaints_visible_to(self.request.user)

    def act(self, complaint_id: int, data: dict) -> Complaint:
        raise NotImplementedError

    def post(self, request, id: int):
        body = self.input_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        # The complaint as the service left it: after a transfer up or away the caller may no longer see it.
        complaint = self.act(id, dict(body.validated_data))
        return Response(ComplaintJurisdictionOut(complaint).data, status=status.HTTP_200_OK)


@extend_schema(tags=["jurisdiction"])
class ComplaintTransferView(JurisdictionEndpoint):
    input_serializer = JurisdictionOfficeIn

    @extend_schema(
        summary="Transfer a complaint to another office (Order 121 Art. 41)",
        description="A receiving centre dispatches down to an office below it; the handling office returns a "
        "complaint it has no jurisdiction over to a receiving centre above it. Never sideways.",
        request=JurisdictionOfficeIn,
        responses={200: ComplaintJurisdictionOut, **ERRORS},
    )
    def post(self, request, id: int):
        return super().post(request, id)

    def act(self, complaint_id, data):
        return complaint_transfer(
            complaint_id=complaint_id, by=self.request.user, to_office=data["office"], reason=data["reason"]
        )


@extend_schema(tags=["jurisdiction"])
class ComplaintTakeOverView(JurisdictionEndpoint):
    @extend_schema(
        summary="Take a complaint over from an office below (Order 121 Art. 13)",
        request=JurisdictionReasonIn,
        responses={200: ComplaintJurisdictionOut, **ERRORS},
    )
    def post(self, request, id: int):
        return super().post(request, id)

    def act(self, complaint_id, data):
        return complaint_take_over(complaint_id=complaint_id, by=self.request.user, reason=data["reason"])


@extend_schema(tags=["jurisdiction"])
class ComplaintDisputeJurisdictionView(JurisdictionEndpoint):
    input_serializer = JurisdictionOfficeIn

    @extend_schema(
        summary="Record a jurisdiction dispute with another office (Order 121 Art. 33: 7 working days)",
        request=JurisdictionOfficeIn,
        responses={200: ComplaintJurisdictionOut, **ERRORS},
    )
    def post(self, request, id: int):
        return super().post(request, id)

    def act(self, complaint_id, data):
        dispute = jurisdiction_dispute_open(
            complaint_id=complaint_id, by=self.request.user, other_office=data["office"], reason=data["reason"]
        )
        return dispute.complaint


@extend_schema(tags=["jurisdiction"])
class ComplaintDesignateView(JurisdictionEndpoint):
    input_serializer = JurisdictionOfficeIn

    @extend_schema(
        summary="Designate the handling office of a disputed complaint (Order 121 Art. 33; common superior only)",
        request=JurisdictionOfficeIn,
        responses={200: ComplaintJurisdictionOut, **ERRORS},
    )
    def post(self, request, id: int):
        return super().post(request, id)

    def act(self, complaint_id, data):
        return complaint_designate(
            complaint_id=complaint_id, by=self.request.user, office=data["office"], reason=data["reason"]
        )
