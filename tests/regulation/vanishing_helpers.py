"""Complaint histories for the detection tests: rows written directly (detection only reads them), by day."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from complaints.calendar import SHANGHAI
from complaints.models import Complaint, PaymentChannel, PlatformOrderStatus, Problem, Status

# A Wednesday morning in Beijing with ordinary working days around it (no holiday in the five days before).
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)
_counter = itertools.count(1)


def complaints_on(platform, consumer, *, days_ago: int, count: int, answered: bool = True, text: str = "", now=NOW):
    """``count`` complaints against ``platform`` filed ``days_ago`` days before ``now`` (answered an hour later,
    unless not ``answered``)."""
    filed = now - timedelta(days=days_ago, hours=1)
    rows = []
    for _i in range(count):
        n = next(_counter)
        rows.append(
            Complaint(
                reference=f"KM-T-{n:07d}",
                consumer=consumer,
                platform=platform,
                office=None,
                order_number=f"VAN{n:08d}",
                paid_at=filed - timedelta(hours=1),
                amount=Decimal("99.00"),
                payment_channel=PaymentChannel.ALIPAY,
                payment_reference=f"2026{n:010d}",
                product_name="点卡",
                problem=Problem.CARD_KEY_MISSING,
                platform_order_status=PlatformOrderStatus.PAID,
                description=text or "付款后未收到卡密。",
                desired_outcome="refund",
                status=Status.RESOLVED if answered else Status.AWAITING_PLATFORM,
                created_at=filed,
                forwarded_at=filed,
                first_answered_at=filed + timedelta(hours=1) if answered else None,
            )
        )
    return Complaint.objects.bulk_create(rows)


def steady_history(platform, consumer, *, per_day: int = 1, days: int = 35, now=NOW):
    """A platform that gets a few complaints a day and answers each within the hour."""
    for day in range(days):
        complaints_on(platform, consumer, days_ago=day, count=per_day, now=now)


def surge_history(platform, consumer, *, now=NOW, keyword_text: str = "网站打不开，客服联系不上，疑似跑路"):
    """One complaint a day, answered, for four weeks; then six a day, unanswered, for the last seven days — two
    a day saying the site is gone."""
    for day in range(7, 35):
        complaints_on(platform, consumer, days_ago=day, count=1, now=now)
    recent = []
    for day in range(7):
        recent += complaints_on(platform, consumer, days_ago=day, count=4, answered=False, now=now)
        recent += complaints_on(platform, consumer, days_ago=day, count=2, answered=False, text=keyword_text, now=now)
    return recent
