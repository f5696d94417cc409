from django.urls import include, path

urlpatterns = [
    path("", include("complaints.urls_consumer")),
    path("", include("complaints.urls_platform")),
    path("", include("complaints.urls_dossier")),
]
