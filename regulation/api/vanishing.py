"""Unreachable-platform alerts over the API (regulators): list the alerts of the caller's offices, confirm one
(the platform is unreachable) or dismiss it with a reason. An alert outside the caller's scope answers 404."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from portal.access import ActsAsRegulator
from portal.api import FIELD_ERRORS, error
from portal.parsers import BoundedJSONParser

from ..models import VanishingAlert, VanishingAlertStatus
from ..vanishing import vanishing_alert_confirm, vanishing_alert_dismiss, vanishing_alerts_visible_to


class VanishingAlertOut(serializers.ModelSerializer):
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    platform_name = serializers.CharField(source="platform.name", read_only=True)
    office = serializers.SlugRelatedField(slug_field="division_code", read_only=True)
    unreachable_reference = serializers.CharField(source="platform.unreachable_reference", read_only=True)

    class Meta:
        model = VanishingAlert
        fields = [
            "id",
            "platform",
            "platform_name",
            "office",
            "status",
            "opened_at",
            "refreshed_at",
            "signals",
            "evidence",
            "decided_at",
            "reason",
            "unreachable_reference",
        ]
        read_only_fields = fields


class ConfirmIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DismissIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


FORBIDDEN = error("Only regulators read and decide unreachable-platform alerts.")
NOT_FOUND = error("No such alert in the caller's office scope.")
DECIDED = error("The alert was decided already, or the platform was confirmed unreachable already.")


class AlertEndpoint(GenericAPIView):
    """Regulators only (403 for everyone else); alerts of the caller's office and those below it."""

    permission_classes = [IsAuthenticated, ActsAsRegulator]
    parser_classes = [BoundedJSONParser]
    serializer_class = VanishingAlertOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user to scope by
            return VanishingAlert.objects.none()
        return vanishing_alerts_visible_to(self.request.user)


@extend_schema(tags=["regulator"])
class VanishingAlertListView(AlertEndpoint, ListAPIView):
    def get_queryset(self):
        queryset = super().get_queryset()
        status = self.request.query_params.get("status", VanishingAlertStatus.OPEN)
        if status in VanishingAlertStatus.values:
            queryset = queryset.filter(status=status)
        return queryset.order_by("-opened_at", "-pk")

    @extend_schema(
        summary="Unreachable-platform alerts of the caller's offices (default: open ones; ?status=…)",
        responses={200: VanishingAlertOut(many=True), 403: FORBIDDEN},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["regulator"])
class VanishingAlertConfirmView(AlertEndpoint):
    @extend_schema(
        summary="Confirm the platform unreachable (消费者权益保护法实施条例 Art. 27; Order 121 Art. 38)",
        description="Stops the platform clocks of its open complaints (not breaches), moves those waiting on it to "
        "the desk, tells their consumers to go to the payment channel first and shows the consumer warning.",
        request=ConfirmIn,
        responses={200: VanishingAlertOut, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: DECIDED},
    )
    def post(self, request, id: int):
        body = ConfirmIn(data=request.data)
        body.is_valid(raise_exception=True)
        alert = vanishing_alert_confirm(alert_id=id, by=request.user, reason=body.validated_data["reason"])
        alert.platform.refresh_from_db()
        return Response(VanishingAlertOut(alert).data)


@extend_schema(tags=["regulator"])
class VanishingAlertDismissView(AlertEndpoint):
    @extend_schema(
        summary="Dismiss an alert with a reason",
        request=DismissIn,
        responses={200: VanishingAlertOut, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: DECIDED},
    )
    def post(self, request, id: int):
        body = DismissIn(data=request.data)
        body.is_valid(raise_exception=True)
        alert = vanishing_alert_dismiss(alert_id=id, by=request.user, reason=body.validated_data["reason"])
        return Response(VanishingAlertOut(alert).data)
