"""The root URLconf: the one place that wires the apps together (each app's URLs live in its namespace)."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from portal.health import ReadinessView, healthz
from portal.metrics import metrics_view

api_v1 = [
    path("", include("portal.api_urls")),
    path("", include("complaints.api.urls")),
    path("", include("platforms.api.urls")),
    path("", include("regulation.api.urls")),
]

urlpatterns = [
    # For probes and Prometheus: no trailing slash, no redirect (SECURE_REDIRECT_EXEMPT), no login.
    path("healthz", healthz, name="healthz"),
    path("readyz", login_not_required(ReadinessView.as_view()), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
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
