from django.urls import path

from . import views_consumer as views
from .views_follow_up import FollowUpView
from .views_thread import MessagePostView

urlpatterns = [
    path("", views.ComplaintListView.as_view(), name="complaint-list"),
    path("new/", views.ComplaintCreateView.as_view(), name="complaint-new"),
    path("new/payment-not-taken/", views.PaymentNotTakenView.as_view(), name="complaint-payment-not-taken"),
    path("<int:pk>/", views.complaint_detail, name="complaint-detail"),
    path("<int:pk>/evidence/", views.EvidenceUploadView.as_view(), name="complaint-evidence-add"),
    path("<int:pk>/messages/", MessagePostView.as_view(), name="complaint-message-post"),
    path("<int:pk>/withdraw/", views.WithdrawView.as_view(), name="complaint-withdraw"),
    path("<int:pk>/accept/", views.AcceptView.as_view(), name="complaint-accept"),
    path("<int:pk>/dispute/", views.DisputeView.as_view(), name="complaint-dispute"),
    path("<int:pk>/escalate/", views.EscalateView.as_view(), name="complaint-escalate"),
    path("<int:pk>/supply-info/", views.SupplyInfoView.as_view(), name="complaint-supply-info"),
    path("<int:pk>/publication/", views.PublicationView.as_view(), name="complaint-publication"),
    path("<int:pk>/follow-up/", FollowUpView.as_view(), name="follow-up"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="complaint-evidence-download"),
    path("evidence/<int:pk>/thumbnail/", views.evidence_thumbnail, name="complaint-evidence-thumbnail"),
]
