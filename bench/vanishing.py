"""Detection of platforms that have gone dark, over every platform, timed inside a transaction that is rolled back.

The generated load has no vanished platform, so the benchmark first makes one: a few hundred of one platform's
older complaints are moved into the last days, unanswered, some saying the site is gone (an UPDATE in the same
transaction). Each timed refresh then computes every platform's signals; the first opens the alert, the others
refresh it, as beat would. Rolling back leaves the database as it was.
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Complaint
from regulation.models import VanishingAlert
from regulation.vanishing import vanishing_alerts_refresh

from .measure import Target, Timing

DETECTION_TARGET = Target("p50", "<=", 5000)
SURGE_COMPLAINTS = 300


@dataclass
class DetectionRun:
    platforms: int
    alerting: int
    opened: int
    signals: list[str]


def _make_a_surge() -> int:
    """Move SURGE_COMPLAINTS older complaints of a quiet platform (the fewest complaints in the last 35 days among
    those with that many older ones) into the last 7 days: a busy one's baseline would swallow them, as it
    should."""
    now = timezone.now()
    older = Q(created_at__lt=now - timedelta(days=60))
    platform_id = (
        Complaint.objects.values("platform_id")
        .annotate(old=Count("pk", filter=older), recent=Count("pk", filter=Q(created_at__gte=now - timedelta(days=35))))
        .filter(old__gte=SURGE_COMPLAINTS)
        .order_by("recent", "platform_id")
        .values_list("platform_id", flat=True)[0]
    )
    old = list(
        Complaint.objects.filter(platform_id=platform_id, created_at__lt=now - timedelta(days=60))
        .order_by("pk")
        .values_list("pk", flat=True)[:SURGE_COMPLAINTS]
    )
    for index, pk in enumerate(old):
        Complaint.objects.filter(pk=pk).update(
            created_at=now - timedelta(hours=1 + index % (7 * 24 - 2)),
            first_answered_at=None,
            final_answered_at=None,
            description="网站打不开，客服联系不上，疑似跑路" if index % 3 == 0 else "付款后一直未到账",
        )
    return platform_id


def run(*, repeats: int) -> tuple[Timing, DetectionRun]:
    samples, queries = [], []
    with transaction.atomic():
        platform_id = _make_a_surge()
        for _ in range(repeats):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                result = vanishing_alerts_refresh()
                samples.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured))
        alert = VanishingAlert.objects.filter(platform_id=platform_id, status="open").first()
        last = DetectionRun(
            platforms=result.platforms,
            alerting=result.alerting,
            opened=VanishingAlert.objects.filter(status="open").count(),
            signals=alert.signals if alert else [],
        )
        transaction.set_rollback(True)
    return Timing(samples_ms=samples, queries=queries), last
