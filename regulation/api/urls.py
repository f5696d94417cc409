from django.urls import include, path

app_name = "regulation_api"

urlpatterns = [
    path("", include("regulation.api.urls_public")),
    path("", include("regulation.api.urls_open_data")),
    path("", include("regulation.api.urls_regulator")),
    path("", include("regulation.api.urls_stats")),
    path("", include("regulation.api.urls_jurisdiction")),
    path("", include("regulation.api.urls_desk")),
    path("", include("regulation.api.urls_vanishing")),
    path("", include("regulation.api.urls_joint")),
]
