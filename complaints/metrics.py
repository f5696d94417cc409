"""Backlog gauges computed when Prometheus scrapes /metrics: what is waiting to be sent, and how far the
deadline sweep is behind.

Four queries, each answered from a small partial index (``outbox_unsent``, ``webhook_pending``,
``deadline_open_due``, ``deadline_running_by_complaint``) whose size is the backlog, not the history: fast
however many complaints there are (docs/operations.md has the timings at a million complaints).
"""

from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from portal.models import OutboxMessage

from .models import Deadline, DeliveryStatus, WebhookDelivery

# Enough to alert on; counting further would cost a scan as long as the backlog itself.
OVERDUE_COUNT_CAP = 10_000


class BacklogCollector:
    """A prometheus_client collector; never raises into the scrape (``portal_backlog_up`` says it failed)."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Names only: registering must not query the database (it happens at start-up).
        yield from self._families().values()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = self._families()
        try:
            values = self._measure()
        except DatabaseError:
            families["up"].add_metric([], 0)
            yield families["up"]
            return
        families["up"].add_metric([], 1)
        for name, value in values.items():
            families[name].add_metric([], value)
        yield from families.values()

    @staticmethod
    def _families() -> dict[str, GaugeMetricFamily]:
        return {
            "up": GaugeMetricFamily("portal_backlog_up", "1 when the backlog gauges below could be read."),
            "outbox_unsent": GaugeMetricFamily(
                "portal_outbox_unsent_messages", "E-mails written to the outbox and not sent yet."
            ),
            "outbox_oldest": GaugeMetricFamily(
                "portal_outbox_oldest_unsent_age_seconds", "Age of the oldest unsent e-mail (0 when none waits)."
            ),
            "webhooks_pending": GaugeMetricFamily(
                "portal_webhook_pending_deliveries", "Webhook deliveries not yet delivered nor given up."
            ),
            "overdue_clocks": GaugeMetricFamily(
                "portal_deadlines_overdue_unswept",
                f"Running clocks past their due time that no sweep has handled (counted up to {OVERDUE_COUNT_CAP}).",
            ),
            "sweep_lag": GaugeMetricFamily(
                "portal_sweep_lag_seconds",
                "How long the oldest overdue running clock has waited for the sweep (0 when none).",
            ),
        }

    @staticmethod
    def _measure() -> dict[str, float]:
        now = timezone.now()
        outbox = OutboxMessage.objects.filter(sent_at__isnull=True).aggregate(
            count=Count("pk"), oldest=Min("created_at")
        )
        pending_webhooks = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count()
        # The sweep's own candidates (running, unpaused, due): after a pass there are none left to handle. Two
        # small queries rather than one COUNT and MIN: PostgreSQL misjudges how many running clocks are due and
        # plans that as a parallel scan whose start-up alone cost 15-45 ms (docs/operations.md).
        overdue = Deadline.objects.running().filter(paused_at__isnull=True, due_at__lte=now).order_by("due_at")
        oldest_due = overdue.values_list("due_at", flat=True).first()
        overdue_count = overdue.order_by()[:OVERDUE_COUNT_CAP].count()
        return {
            "outbox_unsent": outbox["count"],
            "outbox_oldest": _age(now, outbox["oldest"]),
            "webhooks_pending": pending_webhooks,
            "overdue_clocks": overdue_count,
            "sweep_lag": _age(now, oldest_due),
        }


def _age(now, since) -> float:
    return max((now - since).total_seconds(), 0.0) if since else 0.0
