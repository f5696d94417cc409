from django.urls import path

from . import views_joint as views

urlpatterns = [
    path("<int:pk>/joint/new/", views.JointCreateView.as_view(), name="joint-new"),
    path("joint/join/", views.JointJoinView.as_view(), name="joint-join"),
    path("joint/<int:pk>/", views.joint_detail, name="joint-detail"),
    path("joint/<int:pk>/elect/", views.JointElectView.as_view(), name="joint-elect"),
    path("joint/<int:pk>/act/", views.JointRepresentativeActView.as_view(), name="joint-act"),
    path("joint/<int:pk>/propose/", views.JointProposeView.as_view(), name="joint-propose"),
    path("joint/<int:pk>/leave/", views.JointLeaveView.as_view(), name="joint-leave"),
    path("joint/proposals/<int:pk>/consent/", views.JointConsentView.as_view(), name="joint-consent"),
    path("joint/proposals/<int:pk>/adopt/", views.JointAdoptView.as_view(), name="joint-adopt"),
    path("inbox/joint/", views.PlatformJointListView.as_view(), name="joint-inbox"),
    path("inbox/joint/<int:pk>/answer/", views.PlatformJointAnswerView.as_view(), name="joint-answer"),
]
