from django.urls import path

from .rulebook import RulebookView

urlpatterns = [
    path("rulebook/", RulebookView.as_view(), name="rulebook"),
]
