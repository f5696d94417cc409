from django.urls import include, path

urlpatterns = [
    path("", include("platforms.api.urls_public")),
    path("", include("platforms.api.urls_regulator")),
    path("", include("platforms.api.urls_stats")),
    path("", include("platforms.api.urls_workspace")),
]
