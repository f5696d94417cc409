"""The root URLconf: the one place that wires the apps together (each app's URLs live in its namespace)."""

from django.contrib import admin
from django.urls import include, path

api_v1 = [
    path("", include("portal.api_urls")),
    path("", include("complaints.api.urls")),
    path("", include("platforms.api.urls")),
    path("", include("regulation.api.urls")),
]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("", include("portal.web_urls")),
    path("", include("complaints.urls")),
    path("", include("platforms.urls")),
    path("", include("regulation.urls")),
]

handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
