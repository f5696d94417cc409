from django.urls import path

from . import joint as views

urlpatterns = [
    path("regulator/joint-complaints/", views.RegulatorJointListView.as_view(), name="regulator-joint-list"),
    path(
        "regulator/joint-complaints/<int:id>/",
        views.RegulatorJointDetailView.as_view(),
        name="regulator-joint-detail",
    ),
    path(
        "regulator/joint-complaints/<int:id>/refunds/",
        views.RegulatorJointRefundView.as_view(),
        name="regulator-joint-refunds",
    ),
    path(
        "regulator/joint-complaints/<int:id>/decide/",
        views.RegulatorJointDecideView.as_view(),
        name="regulator-joint-decide",
    ),
]
