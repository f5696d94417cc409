from django.urls import path

from .penalties import PenaltyDetailView, PenaltyListCreateView, PenaltyNoticeView
from .signals import ComplaintSignalsView

urlpatterns = [
    path("penalties/", PenaltyListCreateView.as_view(), name="penalty-list"),
    path("penalties/<int:pk>/", PenaltyDetailView.as_view(), name="penalty-detail"),
    path("penalties/<int:pk>/notice.pdf", PenaltyNoticeView.as_view(), name="penalty-notice"),
    path("regulator/complaints/<int:id>/signals/", ComplaintSignalsView.as_view(), name="regulator-complaint-signals"),
]
