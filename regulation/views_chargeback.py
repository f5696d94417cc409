"""The regulator's chargeback manifests of a platform: per payment channel, every affected order as a CSV."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views import View
from django.views.generic import TemplateView

from complaints.models import PaymentChannel
from platforms.models import Platform
from portal.csv_export import csv_response

from .chargeback_manifest import (
    MANIFEST_HEADER,
    affected_orders_by_channel,
    chargeback_manifest_export,
    manifest_filename,
    manifest_rows,
)
from .views_dashboard import RegulatorRequiredMixin


class ChargebackManifestPage(RegulatorRequiredMixin, TemplateView):
    """Regulators only (others 403): the counts per channel, with a download per channel."""

    template_name = "regulation/chargeback_manifests.html"

    def get_context_data(self, **kwargs) -> dict:
        platform = get_object_or_404(Platform.objects.select_related("unreachable_office"), pk=self.kwargs["pk"])
        channels = affected_orders_by_channel(self.request.user, platform)
        return super().get_context_data(platform=platform, channels=channels, **kwargs)


class ChargebackManifestCsv(RegulatorRequiredMixin, View):
    """The CSV of one channel, streamed through the portal's one CSV writer; each download is audited."""

    def get(self, request, pk: int, channel: str):
        if channel not in PaymentChannel.values:
            raise Http404("No such payment channel.")
        platform = get_object_or_404(Platform, pk=pk)
        rows = chargeback_manifest_export(platform=platform, channel=channel, by=request.user)
        response = csv_response(
            filename=manifest_filename(platform, channel), header=MANIFEST_HEADER, rows=manifest_rows(rows)
        )
        response["Cache-Control"] = "private, no-store"
        return response
