from django.urls import path

from .views_worklist import WorklistView

urlpatterns = [
    path("regulator/worklist/", WorklistView.as_view(), name="worklist"),
]
