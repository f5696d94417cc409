from django.urls import include, path

app_name = "regulation"

urlpatterns = [
    path("", include("regulation.urls_public")),
    path("", include("regulation.urls_regulator")),
    path("", include("regulation.urls_dashboard")),
    path("", include("regulation.urls_notices")),
    path("", include("regulation.urls_worklist")),
]
