from django.urls import include, path

urlpatterns = [
    path("", include("platforms.urls_public")),
    path("", include("platforms.urls_workspace")),
    path("", include("platforms.urls_regulator")),
    path("", include("platforms.urls_dashboard")),
]
