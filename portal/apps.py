from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal accounts")

    def ready(self) -> None:
        from . import metrics  # also registers its system check

        metrics.connect_task_signals()
        from .anchoring import AnchorBacklogCollector

        metrics.register_scrape_collector(AnchorBacklogCollector())
        # Registers the system check that warns when PDFs would be rendered with slow font subsetting.
        from . import pdf  # noqa: F401
