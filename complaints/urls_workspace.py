from django.urls import path

from . import views_workspace as views
from .views_platform_exports import PlatformStatisticsExportView, PlatformStatisticsView

urlpatterns = [
    path("workspace/", views.WorkspaceHomeView.as_view(), name="workspace-home"),
    path("workspace/statistics/", PlatformStatisticsView.as_view(), name="workspace-statistics"),
    path(
        "workspace/statistics/export/",
        PlatformStatisticsExportView.as_view(),
        name="workspace-statistics-export",
    ),
    path("workspace/webhooks/<int:pk>/test/", views.WebhookTestView.as_view(), name="workspace-webhook-test"),
    path(
        "workspace/webhooks/<int:pk>/deliveries/",
        views.WebhookDeliveriesView.as_view(),
        name="workspace-webhook-deliveries",
    ),
]
