"""Scoped reads of what a platform manager manages, shared by the web workspace and the API."""

from django.db.models import QuerySet

from complaints.models import WebhookDelivery
from platforms.models import WebhookEndpoint


def platform_webhooks(user) -> QuerySet[WebhookEndpoint]:
    """The webhooks of ``user``'s platform, newest first; none for a user without a platform."""
    return WebhookEndpoint.objects.filter(platform_id=user.platform_id).order_by("-created_at", "-pk")


def webhook_delivery_log(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Deliveries to ``endpoint``, newest first; ``pk`` breaks ties so pages never overlap or skip a row."""
    return endpoint.deliveries.order_by("-created_at", "-pk")
