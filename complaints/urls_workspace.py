from django.urls import path

from . import views_workspace as views

urlpatterns = [
    path("workspace/", views.WorkspaceHomeView.as_view(), name="workspace-home"),
    path("workspace/webhooks/<int:pk>/test/", views.WebhookTestView.as_view(), name="workspace-webhook-test"),
    path(
        "workspace/webhooks/<int:pk>/deliveries/",
        views.WebhookDeliveriesView.as_view(),
        name="workspace-webhook-deliveries",
    ),
]
