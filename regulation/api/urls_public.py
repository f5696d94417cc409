from django.urls import path

from .public import RegistryDetailView, RegistryListView

urlpatterns = [
    path("platforms/", RegistryListView.as_view(), name="registry-list"),
    path("platforms/<slug:slug>/", RegistryDetailView.as_view(), name="registry-detail"),
]
