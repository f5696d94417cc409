from django.urls import path

from . import views
from .exports import PlatformInboxExportView, PlatformStatisticsView
from .follow_up import ComplaintFollowUpView

urlpatterns = [
    path("complaints/", views.ComplaintListCreateView.as_view(), name="complaint-list"),
    path("complaints/<int:id>/", views.ComplaintDetailView.as_view(), name="complaint-detail"),
    path("complaints/<int:id>/events/", views.ComplaintEventsView.as_view(), name="complaint-events"),
    path("complaints/<int:id>/evidence/", views.EvidenceUploadView.as_view(), name="complaint-evidence"),
    path("evidence/<int:id>/download/", views.EvidenceDownloadView.as_view(), name="evidence-download"),
    path(
        "complaints/<int:id>/withdraw/", views.ComplaintWithdrawView.as_view(), name="complaint-withdraw"
    ),
    path("complaints/<int:id>/accept/", views.ComplaintAcceptView.as_view(), name="complaint-accept"),
    path("complaints/<int:id>/dispute/", views.ComplaintDisputeView.as_view(), name="complaint-dispute"),
    path(
        "complaints/<int:id>/escalate/", views.ComplaintEscalateView.as_view(), name="complaint-escalate"
    ),
    path(
        "complaints/<int:id>/supply-info/",
        views.ComplaintSupplyInfoView.as_view(),
        name="complaint-supply-info",
    ),
    path(
        "complaints/<int:id>/publication/",
        views.ComplaintPublicationView.as_view(),
        name="complaint-publication",
    ),
    path("complaints/<int:id>/survey/", ComplaintFollowUpView.as_view(), name="complaint-survey"),
    path("complaints/<int:id>/respond/", views.ComplaintRespondView.as_view(), name="complaint-respond"),
    path(
        "complaints/<int:id>/request-info/",
        views.ComplaintRequestInfoView.as_view(),
        name="complaint-request-info",
    ),
    path("complaints/<int:id>/assign/", views.ComplaintAssignView.as_view(), name="complaint-assign"),
    path("complaints/<int:id>/notes/", views.ComplaintNotesView.as_view(), name="complaint-notes"),
    path("platform/complaints/", views.PlatformInboxView.as_view(), name="platform-inbox"),
    path("platform/complaints/export/", PlatformInboxExportView.as_view(), name="platform-inbox-export"),
    path("platform/statistics/", PlatformStatisticsView.as_view(), name="platform-statistics"),
]
