"""Profit-seeking signals over the API (Order 121 Art. 17): regulators only; anyone else gets 403."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.selectors import complaints_visible_to
from portal.access import ActsAsRegulator
from portal.api import error
from regulation.signals import SignalCode, complaint_signals


class IsRegulator(ActsAsRegulator):
    message = _("Only regulators can see profit-seeking signals.")


class CitedComplaintOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()


class SignalOut(serializers.Serializer):
    code = serializers.ChoiceField(choices=SignalCode.choices)
    label = serializers.CharField()
    article = serializers.CharField(help_text="The article the signal comes from, e.g. 令第121号第十七条第（二）项.")
    explanation = serializers.CharField(help_text="The signal in words, in the request's language.")
    facts = serializers.DictField(help_text="The numbers that made it fire (counts, thresholds, window).")
    complaints = CitedComplaintOut(many=True, help_text="The complaints behind the signal.")


class ComplaintSignalsOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    signals = SignalOut(many=True)


@extend_schema(tags=["regulator"])
class ComplaintSignalsView(APIView):
    """The Art. 17 signals of one complaint, each with the complaints behind it. A signal never refuses a
    complaint by itself; it informs the regulator's decision on Art. 16(3)."""

    permission_classes = [IsRegulator]

    @extend_schema(
        operation_id="regulator_complaint_signals",
        summary="Profit-seeking signals of a complaint (Order 121 Art. 17)",
        responses={
            200: ComplaintSignalsOut,
            403: error("Only regulators can see signals."),
            404: error("No such complaint in your scope."),
        },
    )
    def get(self, request: Request, id: int) -> Response:
        complaint = get_object_or_404(complaints_visible_to(request.user).only("pk", "reference"), pk=id)
        signals = complaint_signals([complaint.pk], by=request.user)[complaint.pk]
        body = {"id": complaint.pk, "reference": complaint.reference, "signals": signals}
        return Response(ComplaintSignalsOut(body).data)
