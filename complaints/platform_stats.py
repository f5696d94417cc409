"""A platform's own figures, month by month: what its staff see on the workspace's statistics page and download.

Read from the platform's complaints alone (through ``complaints_visible_to``), never from the regulators'
statistics, rollup or scorecard (regulation sits above complaints). The months are calendar months in Asia/Shanghai,
by the date a complaint was filed; the current month counts up to now.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.access import is_platform_staff

from .calendar import SHANGHAI
from .models import Complaint, Finding, Problem, Status
from .selectors import complaints_visible_to

MONTH_CHOICES = (3, 6, 12, 24)
DEFAULT_MONTHS = 6

# (attribute, column label) in the order of the page's table and of the exports.
COLUMNS = (
    ("filed", _("Filed")),
    ("answered", _("Answered")),
    ("missed_deadline", _("Missed a deadline")),
    ("resolved", _("Resolved with the consumer")),
    ("escalated", _("Escalated to a regulator")),
    ("upheld", _("Upheld by a regulator")),
    ("compensation_breaches", _("Breached your compensation standard")),
    ("rated", _("Rated by the consumer")),
    ("average_rating", _("Average rating (1-5)")),
)


@dataclass
class Figures:
    """The counts of one month (or of the whole window): complaints filed then, and what became of them."""

    month: date | None = None
    filed: int = 0
    answered: int = 0
    missed_deadline: int = 0
    resolved: int = 0
    escalated: int = 0
    upheld: int = 0
    compensation_breaches: int = 0
    rated: int = 0
    rating_sum: int = 0

    @property
    def average_rating(self) -> Decimal | None:
        if not self.rated:
            return None
        return (Decimal(self.rating_sum) / self.rated).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def add(self, other: "Figures") -> None:
        for name in (
            "filed",
            "answered",
            "missed_deadline",
            "resolved",
            "escalated",
            "upheld",
            "compensation_breaches",
            "rated",
            "rating_sum",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class PlatformStatistics:
    months: int
    since: datetime
    by_month: list[Figures] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)
    by_problem: list[tuple[str, str, int]] = field(default_factory=list)


AGGREGATES = {
    "filed": Count("pk"),
    "answered": Count("pk", filter=Q(first_answered_at__isnull=False)),
    "missed_deadline": Count("pk", filter=Q(is_overdue=True)),
    "resolved": Count("pk", filter=Q(status=Status.RESOLVED)),
    "escalated": Count("pk", filter=Q(escalated_at__isnull=False)),
    "upheld": Count("pk", filter=Q(finding=Finding.UPHELD)),
    "compensation_breaches": Count("pk", filter=Q(compensation_breach=True)),
    "rated": Count("pk", filter=Q(rating__isnull=False)),
    "rating_sum": Sum("rating"),
}


def first_day_of_window(months: int, now: datetime) -> datetime:
    """Midnight (Asia/Shanghai) of the first day of the month ``months - 1`` months before ``now``'s month."""
    local = timezone.localtime(now, SHANGHAI)
    month_index = local.year * 12 + local.month - 1 - (months - 1)
    year, month = divmod(month_index, 12)
    return datetime(year, month + 1, 1, tzinfo=SHANGHAI)


def month_starts(since: datetime, now: datetime) -> list[date]:
    local_now = timezone.localtime(now, SHANGHAI)
    starts, year, month = [], since.year, since.month
    while (year, month) <= (local_now.year, local_now.month):
        starts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def platform_complaints_since(user, since: datetime) -> QuerySet[Complaint]:
    """The complaints against ``user``'s platform filed since ``since``; none for anyone who is not its staff."""
    complaints = complaints_visible_to(user)
    if not is_platform_staff(user):
        return complaints.none()
    return complaints.filter(created_at__gte=since)


def platform_statistics(user, *, months: int = DEFAULT_MONTHS, now: datetime | None = None) -> PlatformStatistics:
    """The figures of ``user``'s platform for the last ``months`` calendar months, per month (every month listed,
    empty ones too), in total and per problem. Two queries, whatever the number of complaints."""
    now = now or timezone.now()
    since = first_day_of_window(months, now)
    complaints = platform_complaints_since(user, since)
    rows = (
        complaints.annotate(month=TruncMonth("created_at", tzinfo=SHANGHAI))
        .values("month")
        .annotate(**AGGREGATES)
        .order_by("month")
    )
    found = {}
    for row in rows:
        month = row.pop("month")
        if isinstance(month, datetime):
            month = timezone.localtime(month, SHANGHAI).date()
        found[month] = Figures(month=month, **{name: value or 0 for name, value in row.items()})
    statistics = PlatformStatistics(months=months, since=since)
    for start in month_starts(since, now):
        figures = found.get(start, Figures(month=start))
        statistics.by_month.append(figures)
        statistics.total.add(figures)
    counts = dict(complaints.order_by().values_list("problem").annotate(total=Count("pk")))
    statistics.by_problem = [(value, label, counts.get(value, 0)) for value, label in Problem.choices]
    return statistics


def statistics_rows(statistics: PlatformStatistics, *, total_label: str) -> list[list]:
    """The table of the page and of the exports: one row per month (``YYYY-MM``), then the total."""
    rows = []
    for figures in [*statistics.by_month, statistics.total]:
        label = figures.month.strftime("%Y-%m") if figures.month else total_label
        rows.append([label, *(getattr(figures, name) for name, _label in COLUMNS)])
    return rows
