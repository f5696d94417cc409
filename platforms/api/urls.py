from django.urls import include, path

app_name = "platforms_api"

urlpatterns = [
    path("", include("platforms.api.urls_workspace")),
]
