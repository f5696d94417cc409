from django.urls import path

from . import views_dossier

urlpatterns = [
    path("<int:pk>/dossier.pdf", views_dossier.dossier_download, name="dossier-download"),
    path("<int:pk>/evidence-bundle.zip", views_dossier.bundle_download, name="bundle-download"),
    path("<int:pk>/dossier/<int:export_id>/", views_dossier.dossier_status, name="dossier-status"),
    path(
        "<int:pk>/dossier/<int:export_id>/status.json", views_dossier.dossier_status_json,
        name="dossier-status-json",
    ),
    path(
        "<int:pk>/dossier/<int:export_id>/download/", views_dossier.dossier_export_download,
        name="dossier-export-download",
    ),
]
