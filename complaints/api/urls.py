from django.urls import include, path

from .verify import VerifyView

app_name = "complaints_api"

urlpatterns = [
    path("", include("complaints.api.urls_complaints")),
    path("", include("complaints.api.urls_dossier")),
    path("", include("complaints.api.urls_chargeback")),
    path("", include("complaints.api.urls_workspace")),
    path("", include("complaints.api.urls_rulebook")),
    path("", include("complaints.api.urls_joint")),
    path("", include("complaints.api.urls_thread")),
    path("verify/", VerifyView.as_view(), name="verify"),
]
