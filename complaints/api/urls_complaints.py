from django.urls import path

from . import views

urlpatterns = [
    path("complaints/", views.ComplaintListCreateView.as_view(), name="api-complaint-list"),
    path("complaints/<int:id>/", views.ComplaintDetailView.as_view(), name="api-complaint-detail"),
    path("complaints/<int:id>/events/", views.ComplaintEventsView.as_view(), name="api-complaint-events"),
    path("complaints/<int:id>/evidence/", views.EvidenceUploadView.as_view(), name="api-complaint-evidence"),
    path("evidence/<int:id>/download/", views.EvidenceDownloadView.as_view(), name="api-evidence-download"),
    path(
        "complaints/<int:id>/withdraw/", views.ComplaintWithdrawView.as_view(), name="api-complaint-withdraw"
    ),
    path("complaints/<int:id>/accept/", views.ComplaintAcceptView.as_view(), name="api-complaint-accept"),
    path("complaints/<int:id>/dispute/", views.ComplaintDisputeView.as_view(), name="api-complaint-dispute"),
    path(
        "complaints/<int:id>/escalate/", views.ComplaintEscalateView.as_view(), name="api-complaint-escalate"
    ),
    path(
        "complaints/<int:id>/supply-info/",
        views.ComplaintSupplyInfoView.as_view(),
        name="api-complaint-supply-info",
    ),
    path(
        "complaints/<int:id>/publication/",
        views.ComplaintPublicationView.as_view(),
        name="api-complaint-publication",
    ),
    path("complaints/<int:id>/respond/", views.ComplaintRespondView.as_view(), name="api-complaint-respond"),
    path(
        "complaints/<int:id>/request-info/",
        views.ComplaintRequestInfoView.as_view(),
        name="api-complaint-request-info",
    ),
    path("complaints/<int:id>/assign/", views.ComplaintAssignView.as_view(), name="api-complaint-assign"),
    path("complaints/<int:id>/notes/", views.ComplaintNotesView.as_view(), name="api-complaint-notes"),
    path("platform/complaints/", views.PlatformInboxView.as_view(), name="api-platform-inbox"),
]
