"""The regulator's page of a complaint's profit-seeking signals (Order 121 Art. 17)."""

from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from complaints.selectors import complaints_visible_to

from .signals import complaint_signals
from .views_dashboard import RegulatorRequiredMixin


class ComplaintSignalsPage(RegulatorRequiredMixin, TemplateView):
    """Regulators only (others 403); a complaint outside the regulator's scope is a 404."""

    template_name = "regulation/signals.html"

    def get_context_data(self, **kwargs) -> dict:
        complaint = get_object_or_404(
            complaints_visible_to(self.request.user).only("pk", "reference", "status"), pk=self.kwargs["pk"]
        )
        signals = complaint_signals([complaint.pk], by=self.request.user)[complaint.pk]
        return super().get_context_data(complaint=complaint, signals=signals, **kwargs)
