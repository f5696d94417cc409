from django.urls import include, path

urlpatterns = [
    path("", include("platforms.api.urls_workspace")),
]
