from django.urls import path

from . import views_platform as views
from .views_platform_exports import InboxExportView
from .views_thread import PlatformMessagePostView

urlpatterns = [
    path("inbox/", views.InboxView.as_view(), name="inbox-list"),
    path("inbox/assign/", views.InboxAssignView.as_view(), name="inbox-assign"),
    path("inbox/export/", InboxExportView.as_view(), name="inbox-export"),
    path("<int:pk>/respond/", views.RespondView.as_view(), name="respond-complaint"),
    path("<int:pk>/respond/evidence/", views.EvidenceUploadView.as_view(), name="respond-evidence"),
    path("<int:pk>/respond/request-info/", views.RequestInfoView.as_view(), name="respond-request-info"),
    path("<int:pk>/respond/message/", PlatformMessagePostView.as_view(), name="respond-message"),
    path("<int:pk>/respond/note/", views.NoteView.as_view(), name="respond-note"),
    path("<int:pk>/respond/assign/", views.AssignView.as_view(), name="respond-assign"),
]
