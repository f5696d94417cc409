from django.urls import path

from .webhooks import WebhookDeactivateView, WebhookListView

urlpatterns = [
    path("platform/webhooks/", WebhookListView.as_view(), name="webhook-list"),
    path("platform/webhooks/<int:pk>/deactivate/", WebhookDeactivateView.as_view(), name="webhook-deactivate"),
]
