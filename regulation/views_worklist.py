"""The regulator's worklist page: their landing page (``PORTAL_LANDING_PAGES``)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from portal.access import office_scope

from .views_dashboard import RegulatorRequiredMixin
from .worklist import worklist_for


class WorklistView(RegulatorRequiredMixin, TemplateView):
    """Regulators only (others 403). Each section lists its most urgent complaints, each linking to the complaint
    in the admin; its count links to the admin list filtered to the whole section."""

    template_name = "regulation/worklist.html"

    def get_context_data(self, **kwargs) -> dict:
        blocks = worklist_for(self.request.user, now=timezone.now())
        complaints_url = reverse("admin:complaints_complaint_changelist")
        disputes_url = reverse("admin:regulation_jurisdictiondispute_changelist")
        for block in blocks:
            if block.key == "jurisdiction_disputes":
                block.list_url = f"{disputes_url}?designated_at__isempty=1"
            else:
                block.list_url = f"{complaints_url}?worklist={block.key}"
        scope = office_scope(self.request.user)
        return super().get_context_data(
            blocks=blocks,
            horizon_days=settings.PORTAL_WORKLIST_HORIZON_DAYS,
            scope=scope,
            **kwargs,
        )
