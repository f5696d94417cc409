from django.urls import path

from .vanishing import VanishingAlertConfirmView, VanishingAlertDismissView, VanishingAlertListView

urlpatterns = [
    path("regulator/alerts/", VanishingAlertListView.as_view(), name="regulator-alert-list"),
    path("regulator/alerts/<int:id>/confirm/", VanishingAlertConfirmView.as_view(), name="regulator-alert-confirm"),
    path("regulator/alerts/<int:id>/dismiss/", VanishingAlertDismissView.as_view(), name="regulator-alert-dismiss"),
]
