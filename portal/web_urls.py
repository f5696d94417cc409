from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import views, views_notifications

app_name = "portal"

# Django's auth views name their next page without a namespace: each is told its page in ours.
accounts = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/register/", views.RegisterView.as_view(), name="register"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("portal:password_change_done")),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(success_url=reverse_lazy("portal:password_reset_done")),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url=reverse_lazy("portal:password_reset_complete")),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

api_schema = [
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from its own URL: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="portal:schema"), name="api-docs"),
]

notifications = [
    path("notifications/", views_notifications.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/<int:pk>/open/", views_notifications.NotificationOpenView.as_view(), name="notification-open"
    ),
    path(
        "notifications/read-all/",
        views_notifications.NotificationReadAllView.as_view(),
        name="notifications-read-all",
    ),
    path(
        "notifications/preferences/",
        views_notifications.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    *accounts,
    *api_schema,
    *notifications,
]
