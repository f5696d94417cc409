from django.urls import path

from . import views_chargeback

urlpatterns = [
    path("<int:pk>/chargeback/", views_chargeback.chargeback_request, name="chargeback-request"),
    path("<int:pk>/chargeback/<int:pack_id>/", views_chargeback.chargeback_status, name="chargeback-status"),
    path(
        "<int:pk>/chargeback/<int:pack_id>/status.json",
        views_chargeback.chargeback_status_json,
        name="chargeback-status-json",
    ),
    path(
        "<int:pk>/chargeback/<int:pack_id>/download/",
        views_chargeback.chargeback_download,
        name="chargeback-download",
    ),
]
