from django.urls import path, re_path

from .views_open_data import open_data_file
from .views_public import RegistryDetailView, RegistryListView

urlpatterns = [
    path("platforms/", RegistryListView.as_view(), name="registry-list"),
    path("platforms/<slug:slug>/", RegistryDetailView.as_view(), name="registry-detail"),
    re_path(
        r"^open-data/complaints-(?P<label>\d{4}-\d{2}-\d{2}|latest)\.(?P<fmt>csv|jsonl)\.gz$",
        open_data_file,
        name="open-data-file",
    ),
]
