"""Webhooks over the API: what a platform manager does on the workspace's webhook pages, for integrators.

Views parse input and call ``platforms.services``, which check the role again and look endpoints up inside the
caller's platform (another platform's endpoint answers 404, like a missing one). A webhook's deliveries and its
test ping are the complaints app's (``complaints.api.webhooks``), on the same base class.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from platforms import services
from platforms.models import WebhookEndpoint, WebhookEvent
from platforms.selectors import platform_webhooks
from portal.access import ManagesPlatform
from portal.api import FIELD_ERRORS, error

FORBIDDEN = error("Not a manager of a platform (agents and API keys included).")
NOT_FOUND = error("No such webhook in your platform (another platform's looks exactly like a missing one).")


class IsPlatformManager(ManagesPlatform):
    """Managers signed in as themselves. An API key is never a manager (``ApiKeyUser``): a leaked key must not
    be able to send the platform's events, signed, somewhere else."""

    message = _("Only managers of a platform can manage its webhooks; API keys cannot.")


class WebhookOut(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "is_active", "created_at"]
        read_only_fields = fields


class WebhookCreatedOut(WebhookOut):
    secret = serializers.CharField(
        read_only=True,
        help_text="Key of the HMAC-SHA256 signature of every delivery. Shown in this answer only: store it now.",
    )

    class Meta(WebhookOut.Meta):
        fields = [*WebhookOut.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookIn(serializers.Serializer):
    # The rules for the URL (https, public address) are the service's; the length is the column's.
    url = serializers.CharField(max_length=WebhookEndpoint._meta.get_field("url").max_length)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))


class WebhookEndpointBase(GenericAPIView):
    """The caller's own platform's webhooks; anyone who is not one of its managers gets 403."""

    permission_classes = [permissions.IsAuthenticated, IsPlatformManager]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: nobody is asking
            return WebhookEndpoint.objects.none()
        return platform_webhooks(self.request.user)


@extend_schema(tags=["platform"])
class WebhookListView(WebhookEndpointBase):
    serializer_class = WebhookOut

    @extend_schema(
        summary="Your platform's webhooks, newest first (managers)",
        description="The signing secret is never listed: it is shown once, in the answer to the registration.",
        responses={200: WebhookOut(many=True), 403: FORBIDDEN},
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WebhookOut(page, many=True).data)

    @extend_schema(
        summary="Register a webhook (managers)",
        description="`url` must be https:// and point to a public address. The answer carries the new signing "
        "`secret`, the only time it is shown.",
        request=WebhookIn,
        responses={201: WebhookCreatedOut, 400: FIELD_ERRORS, 403: FORBIDDEN},
    )
    def post(self, request, *args, **kwargs):
        data = WebhookIn(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_register(by=request.user, **data.validated_data)
        return Response(WebhookCreatedOut(endpoint).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["platform"])
class WebhookDeactivateView(WebhookEndpointBase):
    @extend_schema(
        summary="Deactivate a webhook (managers)",
        description="Nothing more is sent to it; deliveries still pending are marked failed.",
        request=None,
        responses={200: WebhookOut, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request, pk: int):
        endpoint = services.webhook_deactivate(by=request.user, webhook_id=pk)
        return Response(WebhookOut(endpoint).data)
