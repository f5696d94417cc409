from django.urls import path

from .open_data import OpenComplaintList

urlpatterns = [
    path("open/complaints/", OpenComplaintList.as_view(), name="open-complaints"),
]
