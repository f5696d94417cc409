from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from platforms.signals import staff_deactivated, webhook_deactivated
        from portal.anchoring import register_leaf_source
        from portal.metrics import register_scrape_collector

        from . import receivers
        from .anchoring import ComplaintHeads
        from .metrics import BacklogCollector

        register_scrape_collector(BacklogCollector())
        register_leaf_source(ComplaintHeads())
        staff_deactivated.connect(receivers.unassign_deactivated_staff, dispatch_uid="complaints.unassign_staff")
        webhook_deactivated.connect(receivers.fail_pending_deliveries, dispatch_uid="complaints.fail_deliveries")
