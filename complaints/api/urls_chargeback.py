from django.urls import path

from . import chargeback

urlpatterns = [
    path(
        "complaints/<int:id>/chargeback-packs/",
        chargeback.ChargebackRequestView.as_view(),
        name="chargeback-request",
    ),
    path(
        "complaints/<int:id>/chargeback-packs/<int:pack_id>/",
        chargeback.ChargebackStatusView.as_view(),
        name="chargeback-status",
    ),
    path(
        "complaints/<int:id>/chargeback-packs/<int:pack_id>/download/",
        chargeback.ChargebackDownloadView.as_view(),
        name="chargeback-download",
    ),
]
