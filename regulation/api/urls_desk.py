from django.urls import path

from . import desk

MOVES = [
    ("forward", desk.ForwardView),
    ("accept", desk.AcceptView),
    ("refuse", desk.RefuseView),
    ("request-identity", desk.RequestMaterialView),
    ("mediation-consent", desk.MediationConsentView),
    ("testing-start", desk.TestingStartView),
    ("testing-end", desk.TestingEndView),
    ("agreement", desk.AgreementView),
    ("terminate", desk.TerminateView),
    ("refer-police", desk.PoliceReferralView),
    ("close", desk.CloseView),
]

urlpatterns = [
    path("regulator/complaints/", desk.DeskQueueView.as_view(), name="desk-queue"),
    path("notices/", desk.NoticeListView.as_view(), name="notice-list"),
    path("notices/<int:pk>/notice.pdf", desk.NoticePdfApiView.as_view(), name="notice-pdf"),
    *[path(f"regulator/complaints/<int:id>/{move}/", view.as_view(), name=f"desk-{move}") for move, view in MOVES],
]
