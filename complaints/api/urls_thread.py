from django.urls import path

from .thread import ComplaintMessagesView, ComplaintMessageWithFilesView

urlpatterns = [
    path("complaints/<int:id>/messages/", ComplaintMessagesView.as_view(), name="complaint-messages"),
    path(
        "complaints/<int:id>/messages/with-files/",
        ComplaintMessageWithFilesView.as_view(),
        name="complaint-messages-with-files",
    ),
]
