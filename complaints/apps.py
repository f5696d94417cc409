from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from portal.metrics import register_scrape_collector

        from .metrics import BacklogCollector

        register_scrape_collector(BacklogCollector())
