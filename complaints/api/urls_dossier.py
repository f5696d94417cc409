from django.urls import path

from . import dossier

urlpatterns = [
    path("complaints/<int:id>/dossier.pdf", dossier.DossierPdfView.as_view(), name="dossier-download"),
    path("complaints/<int:id>/evidence-bundle.zip", dossier.EvidenceBundleView.as_view(), name="bundle-download"),
    path(
        "complaints/<int:id>/dossier/<int:export_id>/", dossier.DossierExportStatusView.as_view(),
        name="dossier-export-status",
    ),
    path(
        "complaints/<int:id>/dossier/<int:export_id>/download/", dossier.DossierExportDownloadView.as_view(),
        name="dossier-export-download",
    ),
]
