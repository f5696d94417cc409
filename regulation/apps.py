from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegulationConfig(AppConfig):
    name = "regulation"
    verbose_name = _("Regulation")

    def ready(self) -> None:
        from complaints.models import EventKind
        from complaints.timeline import register_event_link

        from .notices import notice_event_link

        register_event_link(EventKind.NOTICE_ISSUED, notice_event_link)
