from django.urls import path

from . import views_workspace as views

urlpatterns = [
    path("workspace/staff/invite/", views.StaffInviteView.as_view(), name="workspace-staff-invite"),
    path("workspace/staff/<int:pk>/deactivate/", views.StaffDeactivateView.as_view(),
         name="workspace-staff-deactivate"),
    path("workspace/api-keys/", views.ApiKeysView.as_view(), name="workspace-api-keys"),
    path("workspace/api-keys/<int:pk>/revoke/", views.ApiKeyRevokeView.as_view(),
         name="workspace-api-key-revoke"),
    path("workspace/webhooks/", views.WebhooksView.as_view(), name="workspace-webhooks"),
    path("workspace/webhooks/<int:pk>/deactivate/", views.WebhookDeactivateView.as_view(),
         name="workspace-webhook-deactivate"),
]
