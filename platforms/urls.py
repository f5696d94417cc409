from django.urls import include, path

urlpatterns = [
    path("", include("platforms.urls_workspace")),
]
