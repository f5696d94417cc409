from django.urls import path

from .webhooks import WebhookDeliveriesView, WebhookTestView

urlpatterns = [
    path("platform/webhooks/<int:pk>/test/", WebhookTestView.as_view(), name="webhook-test"),
    path("platform/webhooks/<int:pk>/deliveries/", WebhookDeliveriesView.as_view(), name="webhook-deliveries"),
]
