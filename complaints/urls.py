from django.urls import include, path

app_name = "complaints"

urlpatterns = [
    path("complaints/", include("complaints.urls_consumer")),
    path("complaints/", include("complaints.urls_platform")),
    path("complaints/", include("complaints.urls_dossier")),
    path("", include("complaints.urls_workspace")),
]
