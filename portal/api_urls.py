from django.urls import path

from portal import api  # noqa: F401 - registers the OpenAPI description of API-key authentication
from portal.api_views import MeView, TokenObtainView

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
]
