"""Scoped reads of what a platform manager manages, shared by the web workspace and the API."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from platforms.models import ApiKey, WebhookEndpoint
from portal.models import Role


def platform_staff(user) -> QuerySet:
    """The staff of ``user``'s platform, active ones first."""
    return (
        get_user_model()
        .objects.filter(role=Role.PLATFORM_STAFF, platform_id=user.platform_id)
        .order_by("-is_active", "username")
    )


def platform_api_keys(user) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(platform_id=user.platform_id).select_related("created_by")


def platform_webhooks(user) -> QuerySet[WebhookEndpoint]:
    """The webhooks of ``user``'s platform, newest first; none for a user without a platform."""
    return WebhookEndpoint.objects.filter(platform_id=user.platform_id).order_by("-created_at", "-pk")
