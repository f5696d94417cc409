from django.urls import path

from .thread import ComplaintMessagesView

urlpatterns = [
    path("complaints/<int:id>/messages/", ComplaintMessagesView.as_view(), name="complaint-messages"),
]
