from django.urls import include, path

from .views_verify import VerifyView

app_name = "complaints"

urlpatterns = [
    path("complaints/", include("complaints.urls_consumer")),
    path("complaints/", include("complaints.urls_platform")),
    path("complaints/", include("complaints.urls_dossier")),
    path("complaints/", include("complaints.urls_joint")),
    path("complaints/", include("complaints.urls_chargeback")),
    path("", include("complaints.urls_workspace")),
    path("verify/", VerifyView.as_view(), name="verify"),
]
