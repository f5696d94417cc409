from django.urls import path

from .webhooks import WebhookDeactivateView, WebhookDeliveriesView, WebhookListView, WebhookTestView

urlpatterns = [
    path("platform/webhooks/", WebhookListView.as_view(), name="webhook-api-list"),
    path("platform/webhooks/<int:pk>/deactivate/", WebhookDeactivateView.as_view(), name="webhook-api-deactivate"),
    path("platform/webhooks/<int:pk>/test/", WebhookTestView.as_view(), name="webhook-api-test"),
    path("platform/webhooks/<int:pk>/deliveries/", WebhookDeliveriesView.as_view(), name="webhook-api-deliveries"),
]
