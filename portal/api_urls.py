from django.urls import path

from portal import api  # noqa: F401 - registers the OpenAPI description of API-key authentication
from portal.api_notifications import (
    NotificationListApi,
    NotificationPreferencesApi,
    NotificationReadAllApi,
    NotificationReadApi,
)
from portal.api_views import MeView, TokenObtainView

app_name = "portal_api"

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
    path("notifications/", NotificationListApi.as_view(), name="notifications"),
    path("notifications/<int:pk>/read/", NotificationReadApi.as_view(), name="notification-read"),
    path("notifications/read-all/", NotificationReadAllApi.as_view(), name="notifications-read-all"),
    path("notifications/preferences/", NotificationPreferencesApi.as_view(), name="notification-preferences"),
]
