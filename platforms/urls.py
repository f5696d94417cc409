from django.urls import include, path

app_name = "platforms"

urlpatterns = [
    path("", include("platforms.urls_workspace")),
]
