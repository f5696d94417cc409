from django.urls import path

from .views_notices import NoticePdfView

urlpatterns = [
    path("notices/<int:pk>/notice.pdf", NoticePdfView.as_view(), name="notice-pdf"),
]
