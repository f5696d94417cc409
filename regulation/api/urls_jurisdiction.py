from django.urls import path

from .jurisdiction import (
    ComplaintDesignateView,
    ComplaintDisputeJurisdictionView,
    ComplaintTakeOverView,
    ComplaintTransferView,
)

urlpatterns = [
    path("regulator/complaints/<int:id>/transfer/", ComplaintTransferView.as_view(), name="complaint-transfer"),
    path("regulator/complaints/<int:id>/take-over/", ComplaintTakeOverView.as_view(), name="complaint-take-over"),
    path(
        "regulator/complaints/<int:id>/dispute/",
        ComplaintDisputeJurisdictionView.as_view(),
        name="complaint-jurisdiction-dispute",
    ),
    path("regulator/complaints/<int:id>/designate/", ComplaintDesignateView.as_view(), name="complaint-designate"),
]
