from django.urls import path

from . import joint as views

urlpatterns = [
    path("joint-complaints/", views.JointListCreateView.as_view(), name="joint-list"),
    path("joint-complaints/join/", views.JointJoinView.as_view(), name="joint-join"),
    path("joint-complaints/<int:id>/", views.JointDetailView.as_view(), name="joint-detail"),
    path("joint-complaints/<int:id>/leave/", views.JointLeaveView.as_view(), name="joint-leave"),
    path(
        "joint-complaints/<int:id>/representatives/",
        views.JointRepresentativesView.as_view(),
        name="joint-representatives",
    ),
    path("joint-complaints/<int:id>/act/", views.JointRepresentativeActView.as_view(), name="joint-act"),
    path("joint-complaints/<int:id>/proposals/", views.JointProposeView.as_view(), name="joint-propose"),
    path("joint-complaints/<int:id>/answer/", views.JointAnswerView.as_view(), name="joint-answer"),
    path("joint-complaints/proposals/<int:id>/consent/", views.JointConsentView.as_view(), name="joint-consent"),
    path("joint-complaints/proposals/<int:id>/adopt/", views.JointAdoptView.as_view(), name="joint-adopt"),
]
