"""A webhook's deliveries over the API: the delivery log and the test ping, for platform managers.

The endpoints stand on the platforms app's webhook base class (the caller's own platform's webhooks; anyone who
is not one of its managers gets 403), so they are scoped exactly like the rest of ``/platform/webhooks/``.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from complaints.models import WebhookDelivery
from complaints.selectors import webhook_delivery_log
from complaints.webhooks import webhook_send_test
from platforms.api.webhooks import FORBIDDEN, NOT_FOUND, WebhookEndpointBase
from portal.api import FIELD_ERRORS


class WebhookDeliveryOut(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema(tags=["platform"])
class WebhookTestView(WebhookEndpointBase):
    @extend_schema(
        summary="Send a test delivery to a webhook (managers)",
        description="Queues a signed `ping` delivery; its outcome appears in the delivery log. A deactivated "
        "webhook is a 400.",
        request=None,
        responses={202: WebhookDeliveryOut, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request, pk: int):
        delivery = webhook_send_test(by=request.user, webhook_id=pk)
        return Response(WebhookDeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["platform"])
class WebhookDeliveriesView(WebhookEndpointBase):
    serializer_class = WebhookDeliveryOut

    @extend_schema(
        summary="A webhook's delivery log, newest first (managers)",
        description="Every delivery to the webhook, test pings included, with its status and last attempt.",
        responses={200: WebhookDeliveryOut(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, pk: int):
        endpoint = get_object_or_404(self.get_queryset(), pk=pk)
        page = self.paginate_queryset(webhook_delivery_log(endpoint))
        return self.get_paginated_response(WebhookDeliveryOut(page, many=True).data)
