from django.urls import path

from portal import api  # noqa: F401 - registers the OpenAPI description of API-key authentication
from portal.api_views import MeView, TokenObtainView

app_name = "portal_api"

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
]
