"""The weekly follow-up sample (回访, Order 121 Art. 26: offices evaluate their handling by spot checks and
follow-ups).

Every Monday the beat draws a share of the complaints closed (resolved or closed by a regulator) in the previous
ISO week, Asia/Shanghai, at least a minimum per sampling group, and ``complaints.follow_up`` asks their consumers.

The draw is deterministic: complaints are ranked by SHA-256 of the week and their id, and the first ones are
taken, so the same week always draws the same complaints. It is idempotent: a group that has follow-ups of the
week is not drawn again, and a complaint is followed up at most once (a unique key), so re-running the task, or
two workers running it at once, never asks anyone twice.
"""

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from complaints.calendar import SHANGHAI
from complaints.follow_up import FOLLOWED_UP_STATUSES, follow_ups_request
from complaints.models import FollowUp
from complaints.selectors import unscoped_complaints_for_system

# The unit a share is drawn from: the complaints whose values of these fields are equal form one group, and each
# group gets its own share and minimum. One group today, the whole portal. Once platforms belong to offices this
# becomes ("platform__office_id",) and every office follows up its own complaints; nothing else changes.
SAMPLING_GROUP_BY: tuple[str, ...] = ()


@dataclass(frozen=True)
class SampledWeek:
    label: str  # ISO week, e.g. "2026-W48"
    since: datetime
    until: datetime


@dataclass(frozen=True)
class DrawResult:
    week: str
    closed: int
    requested: int


def week_before(now: datetime) -> SampledWeek:
    """The ISO week (Monday 00:00 to Monday 00:00, Asia/Shanghai) before the one ``now`` is in."""
    today = now.astimezone(SHANGHAI).date()
    monday = today - timedelta(days=today.weekday() + 7)
    year, week, _weekday = monday.isocalendar()
    since = datetime.combine(monday, time.min, tzinfo=SHANGHAI)
    return SampledWeek(label=f"{year}-W{week:02d}", since=since, until=since + timedelta(days=7))


def sample_size(population: int) -> int:
    """The share of ``population`` (rounded up), at least the minimum, at most everyone."""
    wanted = max(settings.PORTAL_FOLLOW_UP_MINIMUM, math.ceil(population * settings.PORTAL_FOLLOW_UP_SHARE))
    return min(population, wanted)


def sampling_rank(week: str, complaint_id: int) -> str:
    return hashlib.sha256(f"{week}:{complaint_id}".encode()).hexdigest()


def follow_ups_draw(*, now: datetime | None = None) -> DrawResult:
    """Draw last week's sample and open its surveys."""
    now = now or timezone.now()
    week = week_before(now)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for row in (
        unscoped_complaints_for_system()
        .filter(closed_at__gte=week.since, closed_at__lt=week.until, status__in=FOLLOWED_UP_STATUSES)
        .values("pk", *SAMPLING_GROUP_BY)
    ):
        groups[tuple(row[name] for name in SAMPLING_GROUP_BY)].append(row["pk"])
    drawn_before = set(FollowUp.objects.filter(week=week.label).values_list("complaint_id", flat=True))
    chosen: list[int] = []
    for members in groups.values():
        if drawn_before.intersection(members):
            continue
        ranked = sorted(members, key=lambda pk: sampling_rank(week.label, pk))
        chosen += ranked[: sample_size(len(members))]
    requested = follow_ups_request(complaint_ids=chosen, week=week.label, now=now) if chosen else []
    return DrawResult(week=week.label, closed=sum(map(len, groups.values())), requested=len(requested))
