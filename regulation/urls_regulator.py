from django.urls import path

from .views_chargeback import ChargebackManifestCsv, ChargebackManifestPage
from .views_penalties import PenaltyDetailView, PenaltyIssueView, PenaltyListView, PenaltyNoticeView
from .views_signals import ComplaintSignalsPage

urlpatterns = [
    path("penalties/", PenaltyListView.as_view(), name="penalty-list"),
    path("penalties/new/", PenaltyIssueView.as_view(), name="penalty-new"),
    path("penalties/<int:pk>/", PenaltyDetailView.as_view(), name="penalty-detail"),
    path("penalties/<int:pk>/notice.pdf", PenaltyNoticeView.as_view(), name="penalty-notice"),
    path("regulator/complaints/<int:pk>/signals/", ComplaintSignalsPage.as_view(), name="complaint-signals"),
    path(
        "regulator/platforms/<int:pk>/chargeback-manifests/",
        ChargebackManifestPage.as_view(),
        name="chargeback-manifests",
    ),
    path(
        "regulator/platforms/<int:pk>/chargeback-manifests/<str:channel>.csv",
        ChargebackManifestCsv.as_view(),
        name="chargeback-manifest-csv",
    ),
]
