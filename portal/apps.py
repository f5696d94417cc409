from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import metrics  # also registers its system check
        from .anchoring import AnchorBacklogCollector, register_leaf_source
        from .audit import AuditTrailHeads, record_regulator_login

        metrics.connect_task_signals()
        metrics.register_scrape_collector(AnchorBacklogCollector())
        register_leaf_source(AuditTrailHeads())
        user_logged_in.connect(record_regulator_login, dispatch_uid="portal.audit.regulator_login")
        # Registers the system check that warns when PDFs would be rendered with slow font subsetting.
        from . import pdf  # noqa: F401
