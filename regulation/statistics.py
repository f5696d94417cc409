"""Statistics for regulators, the dashboard, the public registry and the scorecards.

Definitions (DESIGN "Statistics", docs/scorecard.md): the window is the complaints filed on the last ``days``
filing dates (Asia/Shanghai) up to and including the day of ``now``; on-time rates come from the clock rows
(met at or before due / met or breached); upheld = closed with finding upheld; acceptance = resolved /
complaints that got a final answer.

Every figure is a SQL aggregate. A full set of per-platform figures costs the same four queries whatever the
number of complaints or platforms: the platforms, one grouped aggregate over the complaints (the median time
to first response included; SQLite needs a fifth query for it), one over their clocks, one over the penalties.
Rows are then merged per platform (or operator) in Python — per group, never per complaint.

Once the daily rollup ``PlatformDailyStats`` has been refreshed (regulation.rollup; the refresh leaves a
``DailyStatsRefresh`` row), the sums (counts, rates, mean rating) are read from it instead: one grouped sum over
(groups × days) rows replaces the two aggregates over the complaints and their clocks. The window is whole
filing days on both paths, so the rollup equals a direct count made at its last refresh, today's filing day
included as it stood then; the figures say so in ``as_of``. The median is not additive: it is read from the
complaints once per refresh and cached. Before any refresh (a new installation), or for a window reaching
back before the days the rollup holds, the complaints are counted directly and ``as_of`` is None.

Every figure is of a jurisdiction (Order 121 Art. 38: each office analyses the complaints of its own region): an
``OfficeScope`` (``portal.offices``) narrows the complaints, their clocks, the rollup rows and the penalties by the
office that handles (or decided) them — the office and every office below it. A regulator's views pass their own
scope (``statistics_scope``), or an office inside it for a drill-down; the default, the whole market, is what the
public registry and the national supervisor see. The rollup holds one row per (platform, office, day), so a
county's figures are a sum over its own few rows.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    TextChoices,
    TextField,
    Value,
    Window,
)
from django.db.models.functions import Replace, RowNumber, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import ClockKind, Complaint, Deadline, Finding, FollowUp, Status
from complaints.selectors import unscoped_complaints_for_system
from complaints.unreachable import PLATFORM_UNREACHABLE
from platforms.models import Operator, Platform
from portal.access import office_scope
from portal.models import Office
from portal.offices import EVERYTHING, OfficeScope

from .models import DailyStatsRefresh, Penalty, PenaltyKind, PenaltyStatus, PlatformDailyStats
from .scorecard import (
    SCORECARD_CACHE_SECONDS,
    SCORECARD_VERSION,
    SCORECARD_WINDOW_DAYS,
    Scorecard,
    scorecard_for,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_WINDOW_DAYS = 90
MAX_WINDOW_DAYS = 730
DASHBOARD_WINDOWS = (30, 90, 365)
DEFAULT_TREND_WEEKS = 12
MAX_TREND_WEEKS = 104
DEFAULT_REPEAT_OFFENDER_THRESHOLD = 3
# The monthly order volume platforms report is scaled to the window's length in 30-day months.
DAYS_PER_REPORTED_MONTH = 30
RATED_CLOCKS = (ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION)
MASK_ORDER_NUMBER = "[订单号已隐藏]"
MASK_PAYMENT_REFERENCE = "[支付流水号已隐藏]"


# --- SQL building blocks ----------------------------------------------------------------------------------


class HoursBetween(Func):
    """Hours from the second expression to the first, as a float computed by the database."""

    arity = 2
    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra_context):
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        return f"((julianday({end_sql}) - julianday({start_sql})) * 24.0)", (*end_params, *start_params)


class Median(Aggregate):
    """PostgreSQL's exact median (``percentile_cont(0.5)``); SQLite has no equivalent, see ``_medians``."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


# --- Result rows ------------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Figures:
    """The aggregate figures of a group of complaints (one platform, one operator or the whole market)."""

    days: int
    complaints: int = 0
    upheld: int = 0
    overdue: int = 0
    final_answers: int = 0
    accepted: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    compensation_breaches: int = 0
    first_response_on_time: int = 0
    first_response_decided: int = 0
    resolution_on_time: int = 0
    resolution_decided: int = 0
    median_first_response_hours: float | None = None
    # The rollup refresh the figures were read from; None when the complaints were counted just now. Not part
    # of equality: the same figures are equal whichever way they were counted.
    as_of: datetime | None = field(default=None, compare=False)

    @property
    def mean_rating(self) -> float | None:
        """Sum over count, not the database's AVG, so the rollup and the direct count give the same float."""
        return _ratio(self.rating_sum, self.rating_count)

    @property
    def first_response_on_time_rate(self) -> float | None:
        return _ratio(self.first_response_on_time, self.first_response_decided)

    @property
    def resolution_on_time_rate(self) -> float | None:
        return _ratio(self.resolution_on_time, self.resolution_decided)

    @property
    def acceptance_rate(self) -> float | None:
        return _ratio(self.accepted, self.final_answers)

    @property
    def upheld_rate(self) -> float | None:
        return _ratio(self.upheld, self.complaints)

    @property
    def overdue_rate(self) -> float | None:
        return _ratio(self.overdue, self.complaints)

    @property
    def upheld_and_overdue(self) -> int:
        """The repeat-offender measure: both kinds of failure count, a complaint that is both counts twice."""
        return self.upheld + self.overdue


@dataclass(kw_only=True)
class MarketTotals(Figures):
    platforms: int = 0


@dataclass(kw_only=True)
class PenaltyRecord:
    """A group's penalties: all-time kinds (for the enforcement ladder) and how many fall in the window."""

    in_window: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    @property
    def kind_labels(self) -> list[str]:
        return [f"{PenaltyKind(kind).label} × {count}" for kind, count in sorted(self.kinds.items())]


@dataclass(kw_only=True)
class PlatformStats(Figures):
    platform: Platform
    penalties: PenaltyRecord = field(default_factory=PenaltyRecord)

    @property
    def penalties_in_window(self) -> int:
        return self.penalties.in_window

    @property
    def complaints_per_10k_orders(self) -> float | None:
        """Complaints per 10 000 orders, with the reported monthly volume scaled to the window."""
        monthly = self.platform.reported_monthly_orders
        if not monthly:
            return None
        return self.complaints / (monthly * self.days / DAYS_PER_REPORTED_MONTH) * 10_000

    @cached_property
    def scorecard(self) -> Scorecard:
        return scorecard_for(self)


@dataclass(kw_only=True)
class OperatorStats(Figures):
    operator: Operator
    platform_count: int = 0
    penalties: PenaltyRecord = field(default_factory=PenaltyRecord)

    @property
    def penalties_in_window(self) -> int:
        return self.penalties.in_window


@dataclass(kw_only=True)
class OfficeStats(Figures):
    """The figures of an office's jurisdiction: the complaints it and every office below it handle. ``own`` is
    the row of a parent's own cases, those no office below it handles."""

    office: Office
    own: bool = False


class NextStep(TextChoices):
    """The enforcement ladder for repeat offenders (docs/scorecard.md, "Repeat offenders")."""

    WARNING = "warning", _("Issue a warning")
    RECTIFICATION = "rectification", _("Order rectification")
    FINE_OR_SUSPENSION = "fine_or_suspension", _("Fine or suspend the listing")
    REVOCATION_REFERRAL = "revocation_referral", _("Refer for licence revocation")


def suggest_next_step(kinds: dict[str, int]) -> NextStep:
    """The next rung above the heaviest penalty already decided (overturned decisions do not count)."""
    if (
        kinds.get(PenaltyKind.FINE, 0) >= 2
        or kinds.get(PenaltyKind.SUSPENSION)
        or kinds.get(PenaltyKind.REVOCATION_REFERRAL)
    ):
        return NextStep.REVOCATION_REFERRAL
    if kinds.get(PenaltyKind.FINE) or kinds.get(PenaltyKind.RECTIFICATION):
        return NextStep.FINE_OR_SUSPENSION
    if kinds.get(PenaltyKind.WARNING):
        return NextStep.RECTIFICATION
    return NextStep.WARNING


@dataclass(kw_only=True)
class RepeatOffender:
    """A platform or operator at or over the threshold, with what it was penalised for before."""

    stats: PlatformStats | OperatorStats
    min_complaints: int

    @property
    def prior_penalties(self) -> int:
        return self.stats.penalties.total

    @property
    def prior_penalty_kinds(self) -> dict[str, int]:
        return self.stats.penalties.kinds

    @property
    def next_step(self) -> NextStep:
        return suggest_next_step(self.stats.penalties.kinds)


@dataclass(kw_only=True)
class TrendWeek:
    week_start: date
    filed: int = 0
    upheld: int = 0
    overdue: int = 0


class WeeklyTrend(list[TrendWeek]):
    """The weeks of a trend, oldest first, and the rollup refresh they were read from (``as_of``, as Figures)."""

    def __init__(self, weeks: Iterable[TrendWeek] = (), *, as_of: datetime | None = None) -> None:
        super().__init__(weeks)
        self.as_of = as_of


def oldest_as_of(moments: Iterable[datetime | None]) -> datetime | None:
    """When figures shown together were all current: the oldest refresh behind them; None if all were live.

    A live count (None) is as of now, newer than any refresh, so it never lowers the answer.
    """
    return min((moment for moment in moments if moment is not None), default=None)


# --- The window -------------------------------------------------------------------------------------------


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def scope_key(scope: OfficeScope) -> str:
    """Names a scope in cache keys: the whole market, one office's subtree, or nothing."""
    if scope.everything:
        return "all"
    return f"office-{scope.office.pk}" if scope.office is not None else "none"


@dataclass(frozen=True)
class StatsWindow:
    """The ``days`` filing dates (Asia/Shanghai) ending with the day of ``now``: [first_day, last_day], of the
    complaints handled in ``scope``.

    Whole days, so the window is a range of the daily rollup's ``day`` and the direct count covers exactly the
    same complaints: filed at or after midnight starting ``first_day`` and before midnight ending ``last_day``.
    """

    days: int
    now: datetime
    scope: OfficeScope = EVERYTHING

    @property
    def last_day(self) -> date:
        return timezone.localtime(self.now, SHANGHAI).date()

    @property
    def first_day(self) -> date:
        return self.last_day - timedelta(days=self.days - 1)

    @property
    def since(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def until(self) -> datetime:
        return local_midnight(self.last_day + timedelta(days=1))

    def complaints(self) -> QuerySet[Complaint]:
        # Aggregates over every tenant are not a user's read: the system selector is the deliberate bypass.
        # The jurisdiction is applied here, by the scope the caller's office gives.
        return unscoped_complaints_for_system().filter(
            self.scope.filter("office"), created_at__gte=self.since, created_at__lt=self.until
        )

    def clocks(self) -> QuerySet[Deadline]:
        # A platform clock starts when the complaint is forwarded, never before it was filed, so the
        # started_at bound is always true for clocks of complaints in the window: it is there to let the
        # (kind, started_at) index narrow the scan before the join checks the filing time.
        return Deadline.objects.filter(
            self.scope.filter("complaint__office"),
            kind__in=RATED_CLOCKS,
            started_at__gte=self.since,
            complaint__created_at__gte=self.since,
            complaint__created_at__lt=self.until,
        )

    def daily_stats(self) -> QuerySet[PlatformDailyStats]:
        return PlatformDailyStats.objects.filter(
            self.scope.filter("office"), day__gte=self.first_day, day__lte=self.last_day
        )

    def penalties_decided_by_now(self) -> QuerySet[Penalty]:
        """The decisions of the scope's offices: a jurisdiction's enforcement ladder is its own decisions."""
        return Penalty.objects.exclude(status=PenaltyStatus.OVERTURNED).filter(
            self.scope.filter("office"), decided_on__lte=self.last_day
        )

    @property
    def first_penalty_day(self) -> date:
        return self.first_day


def _window(days: int, now: datetime | None, scope: OfficeScope = EVERYTHING) -> StatsWindow:
    return StatsWindow(days=days, now=now or timezone.now(), scope=scope)


# --- Grouped aggregates -----------------------------------------------------------------------------------


COMPLAINT_AGGREGATES = {
    "complaints": Count("pk"),
    "upheld": Count("pk", filter=Q(status=Status.CLOSED, finding=Finding.UPHELD)),
    "overdue": Count("pk", filter=Q(is_overdue=True)),
    "final_answers": Count("pk", filter=Q(final_answered_at__isnull=False)),
    "accepted": Count("pk", filter=Q(status=Status.RESOLVED)),
    "rating_sum": Sum("rating", default=0),
    "rating_count": Count("rating"),
    "compensation_breaches": Count("pk", filter=Q(compensation_breach=True)),
}
CLOCK_AGGREGATES = {
    f"{kind}_{measure}": Count("pk", filter=condition)
    for kind in RATED_CLOCKS
    for measure, condition in (
        ("on_time", Q(kind=kind, met_at__lte=F("due_at"))),
        ("decided", Q(kind=kind) & (Q(met_at__isnull=False) | Q(breached_at__isnull=False))),
    )
}
FIRST_RESPONSE_HOURS = HoursBetween("first_answered_at", "forwarded_at")
# The figures the rollup holds: every key of COMPLAINT_AGGREGATES and CLOCK_AGGREGATES is a column of it.
ROLLUP_FIELDS = (*COMPLAINT_AGGREGATES, *CLOCK_AGGREGATES)
ROLLUP_SUMS = {name: Sum(name, default=0) for name in ROLLUP_FIELDS}


def _complaint_aggregates() -> dict:
    """COMPLAINT_AGGREGATES and, on PostgreSQL, the median: one scan of the window's complaints for both."""
    if connection.vendor != "postgresql":
        return COMPLAINT_AGGREGATES
    answered = Q(first_answered_at__isnull=False, forwarded_at__isnull=False)
    return {**COMPLAINT_AGGREGATES, "median_first_response_hours": Median(FIRST_RESPONSE_HOURS, filter=answered)}


def _grouped(queryset: QuerySet, group: str, aggregates: dict) -> dict[int, dict]:
    rows = queryset.values(group).annotate(**aggregates).order_by()
    return {row.pop(group): row for row in rows}


def _medians(complaints: QuerySet[Complaint], group: str | None) -> dict[int | None, float]:
    """Median hours from forwarding to the first answer, per ``group`` (or market-wide for None).

    PostgreSQL computes it exactly with ``percentile_cont``. SQLite (laptops, tests) has no such aggregate:
    a window query numbers the answered complaints per group by answer time and returns only the one or two
    middle rows of each group, whose mean is the median — still one query, at most two rows per group.
    """
    answered = complaints.filter(first_answered_at__isnull=False, forwarded_at__isnull=False)
    if connection.vendor == "postgresql":
        if group is None:
            return {None: answered.aggregate(median=Median(FIRST_RESPONSE_HOURS))["median"]}
        return {
            key: row["median"]
            for key, row in _grouped(answered, group, {"median": Median(FIRST_RESPONSE_HOURS)}).items()
        }
    partition = [F(group)] if group else None
    middle_rows = answered.annotate(
        hours=FIRST_RESPONSE_HOURS,
        position=Window(RowNumber(), partition_by=partition, order_by=FIRST_RESPONSE_HOURS.asc()),
        group_size=Window(Count("pk"), partition_by=partition),
    ).filter(position__gte=F("group_size") / 2.0, position__lte=F("group_size") / 2.0 + 1)
    middles: dict[int | None, list[float]] = defaultdict(list)
    if group is None:
        middles[None] = list(middle_rows.values_list("hours", flat=True))
    else:
        for key, hours in middle_rows.values_list(group, "hours"):
            middles[key].append(hours)
    return {key: sum(values) / len(values) for key, values in middles.items() if values}


ROLLUP_STATE_KEY = "stats-rollup-state"
# The last refresh is read from its row at most once a minute per cache: the refresh writes the new state into
# the cache itself, so with a shared cache every process sees it at once, and with per-process caches (a laptop)
# within a minute. A flushed cache costs one small query, never a switch to counting the complaints.
ROLLUP_STATE_SECONDS = 60
NEVER_REFRESHED = "never-refreshed"
ROLLUP_FIGURES_SECONDS = 60 * 60
# The paths that group complaints and rollup rows per platform, per operator and per handling office (the
# drill-down); None is the whole market.
GROUPS = ("platform_id", "platform__operator_id", "office_id")
# Groups read for additive figures only: the drill-down sums an office's figures with those below it, and a median
# of medians is not a median, so none is computed for them.
ADDITIVE_ONLY_GROUPS = ("office_id",)


@dataclass(frozen=True)
class RollupState:
    """The last refresh of the rollup (a ``DailyStatsRefresh`` row)."""

    refreshed_at: datetime
    covers_from: date
    generation: int

    def covers(self, first_day: date) -> bool:
        return first_day >= self.covers_from


def rollup_state() -> RollupState | None:
    """The rollup's last refresh, or None when it has never run (the statistics then count directly)."""
    state = cache.get(ROLLUP_STATE_KEY)
    if state is None:
        row = DailyStatsRefresh.objects.filter(pk=DailyStatsRefresh.SINGLETON_PK).first()
        state = (
            RollupState(refreshed_at=row.refreshed_at, covers_from=row.covers_from, generation=row.generation)
            if row
            else NEVER_REFRESHED
        )
        cache.set(ROLLUP_STATE_KEY, state, ROLLUP_STATE_SECONDS)
    return None if state == NEVER_REFRESHED else state


def publish_rollup_state(state: RollupState) -> None:
    """Called by the refresh once its row is written, so readers switch to the new figures at once."""
    cache.set(ROLLUP_STATE_KEY, state, ROLLUP_STATE_SECONDS)


def _rollup_for(first_day: date) -> RollupState | None:
    """The refresh to read figures from when the rollup holds every filing day from ``first_day``, else None."""
    state = rollup_state()
    return state if state is not None and state.covers(first_day) else None


def _grouped_complaints(window: StatsWindow, group: str | None) -> QuerySet[Complaint]:
    complaints = window.complaints()
    return complaints if group is None else complaints.filter(**{f"{group}__isnull": False})


def _compute_rollup_figures(window: StatsWindow, group: str | None, keys: list[int] | None) -> dict:
    """The rollup's sums per group (or for the market) and the medians beside them, read from the complaints:
    a median is not additive, so it cannot live in the daily rows."""
    rows = window.daily_stats()
    complaints = _grouped_complaints(window, group)
    if group is None:
        # Rollup rows exist only for days with complaints, so the platforms with a row are those complained of.
        figures = {None: rows.aggregate(**ROLLUP_SUMS, platforms=Count("platform_id", distinct=True))}
    else:
        rows = rows.filter(**{f"{group}__isnull": False})
        if keys is not None:
            rows = rows.filter(**{f"{group}__in": keys})
            complaints = complaints.filter(**{f"{group}__in": keys})
        figures = _grouped(rows, group, ROLLUP_SUMS)
    if group in ADDITIVE_ONLY_GROUPS:
        return figures
    for key, median in _medians(complaints, group).items():
        figures.setdefault(key, {})["median_first_response_hours"] = median
    return figures


def _rollup_figures(
    window: StatsWindow, state: RollupState, group: str | None, keys: Iterable[int] | None = None
) -> dict:
    """Figures per group from the rollup, computed once per refresh and window for every group together.

    Summing the window's daily rows and finding the medians on every request cost most of a dashboard view at a
    million complaints; both change only when the rollup does, so they are as fresh as the last refresh (at most
    one beat interval behind). Subsets of groups (``keys``: a public page) read the cached figures of all
    groups; before those are cached, only the subset's are computed, and not kept.
    """
    keys = None if keys is None else list(keys)
    cache_key = (
        f"stats-figures:{state.generation}:{scope_key(window.scope)}:{group}:{window.first_day}:{window.last_day}"
    )
    figures = cache.get(cache_key)
    if figures is None:
        if keys is not None:
            return _compute_rollup_figures(window, group, keys)
        figures = _compute_rollup_figures(window, group, None)
        cache.set(cache_key, figures, ROLLUP_FIGURES_SECONDS)
    if keys is None:
        return figures
    return {key: figures[key] for key in keys if key in figures}


def warm_rollup_figures(*, now: datetime | None = None) -> None:
    """Compute the figures of the windows people open (dashboard tabs, public scorecards) after a refresh, so
    that no request pays for them. The whole market only: an office's figures are a sum over its own rows,
    computed on its first view and cached until the next refresh."""
    for days in sorted({*DASHBOARD_WINDOWS, SCORECARD_WINDOW_DAYS}):
        window = _window(days, now)
        state = _rollup_for(window.first_day)
        if state is None:
            continue
        for group in (*GROUPS, None):
            _rollup_figures(window, state, group)


def _penalty_records(window: StatsWindow, group: str, keys: Iterable[int] | None = None) -> dict[int, PenaltyRecord]:
    penalties = window.penalties_decided_by_now()
    if keys is not None:
        penalties = penalties.filter(**{f"{group}__in": list(keys)})
    rows = (
        penalties.values(group, "kind")
        .annotate(total=Count("pk"), in_window=Count("pk", filter=Q(decided_on__gte=window.first_penalty_day)))
        .order_by()
    )
    records: dict[int, PenaltyRecord] = defaultdict(PenaltyRecord)
    for row in rows:
        record = records[row[group]]
        record.kinds[row["kind"]] = row["total"]
        record.in_window += row["in_window"]
    return records


def _figures(
    window: StatsWindow, complaint_group: str, keys: Iterable[int] | None = None
) -> tuple[dict[int, dict], datetime | None]:
    """Complaint, clock and median figures per group key, in two queries (three on SQLite), and their ``as_of``.

    From the rollup: one grouped sum over its rows and the median, in two queries on every database, once per
    refresh. The group paths (``platform_id``, ``platform__operator_id``) mean the same on complaints and rollup
    rows.
    """
    state = _rollup_for(window.first_day)
    if state is not None:
        return _rollup_figures(window, state, complaint_group, keys), state.refreshed_at
    complaints = _grouped_complaints(window, complaint_group)
    if keys is not None:
        complaints = complaints.filter(**{f"{complaint_group}__in": list(keys)})
    figures: dict[int, dict] = defaultdict(dict)
    clocks = window.clocks().filter(**{f"complaint__{complaint_group}__isnull": False})
    if keys is not None:
        clocks = clocks.filter(**{f"complaint__{complaint_group}__in": list(keys)})
    aggregates = _complaint_aggregates()
    for key, row in _grouped(complaints, complaint_group, aggregates).items():
        figures[key].update(row)
    for key, row in _grouped(clocks, f"complaint__{complaint_group}", CLOCK_AGGREGATES).items():
        figures[key].update(row)
    if "median_first_response_hours" not in aggregates:
        for key, median in _medians(complaints, complaint_group).items():
            figures[key]["median_first_response_hours"] = median
    return figures, None


# --- Selectors --------------------------------------------------------------------------------------------

# What the statistics' readers show of a platform. A dashboard loads every platform: the licence data, contact
# and settlement columns would triple the rows' decoding time for nothing.
STATS_PLATFORM_FIELDS = ("name", "slug", "reported_monthly_orders", "operator__name")


def platform_statistics(
    *,
    days: int = DEFAULT_WINDOW_DAYS,
    now: datetime | None = None,
    platform_ids: Iterable[int] | None = None,
    scope: OfficeScope = EVERYTHING,
) -> list[PlatformStats]:
    """Figures for every platform (or only ``platform_ids``), including platforms without complaints.

    In an office's scope, the platforms of its jurisdiction: those with complaints it handles in the window or
    decisions it took, and those domiciled in its region (complained of or not).
    """
    window = _window(days, now, scope)
    keys = None if platform_ids is None else list(platform_ids)
    platforms = Platform.objects.select_related("operator").only(*STATS_PLATFORM_FIELDS).order_by("name", "pk")
    if keys is not None:
        platforms = platforms.filter(pk__in=keys)
    figures, as_of = _figures(window, "platform_id", keys)
    penalties = _penalty_records(window, "platform_id", keys)
    if not scope.everything:
        platforms = platforms.filter(
            Q(pk__in=[*figures, *penalties]) | Q(domicile_code__in=offices_in_scope(scope).values("division_code"))
        )
    return [
        PlatformStats(
            platform=platform,
            days=days,
            as_of=as_of,
            penalties=penalties.get(platform.pk, PenaltyRecord()),
            **figures.get(platform.pk, {}),
        )
        for platform in platforms
    ]


def operator_statistics(
    *, days: int = DEFAULT_WINDOW_DAYS, now: datetime | None = None, scope: OfficeScope = EVERYTHING
) -> list[OperatorStats]:
    """Figures per operator: all complaints against all of an operator's platforms (in ``scope``: those the
    scope's offices handle; only operators with complaints or decisions there are listed)."""
    window = _window(days, now, scope)
    operators = Operator.objects.annotate(platform_count=Count("platforms")).order_by("name", "pk")
    figures, as_of = _figures(window, "platform__operator_id")
    penalties = _penalty_records(window, "platform__operator_id")
    if not scope.everything:
        operators = operators.filter(pk__in=[*figures, *penalties])
    return [
        OperatorStats(
            operator=operator,
            days=days,
            as_of=as_of,
            platform_count=operator.platform_count,
            penalties=penalties.get(operator.pk, PenaltyRecord()),
            **figures.get(operator.pk, {}),
        )
        for operator in operators
    ]


def market_totals(
    *, days: int = DEFAULT_WINDOW_DAYS, now: datetime | None = None, scope: OfficeScope = EVERYTHING
) -> MarketTotals:
    """The whole market in the window (or the complaints handled in ``scope``), complaints against unregistered
    platforms included."""
    window = _window(days, now, scope)
    state = _rollup_for(window.first_day)
    if state is not None:
        return MarketTotals(days=days, as_of=state.refreshed_at, **_rollup_figures(window, state, None)[None])
    complaints = window.complaints()
    aggregates = _complaint_aggregates()
    totals = complaints.aggregate(**aggregates, platforms=Count("platform_id", distinct=True))
    totals.update(window.clocks().aggregate(**CLOCK_AGGREGATES))
    if "median_first_response_hours" not in aggregates:
        totals["median_first_response_hours"] = _medians(complaints, None).get(None)
    return MarketTotals(days=days, **totals)


# --- Jurisdictions and the drill-down -----------------------------------------------------------------------


class OfficeOutOfScope(Exception):
    """The office asked for is not the caller's or below it (or does not exist): answered as "not found"."""


def offices_in_scope(scope: OfficeScope) -> QuerySet[Office]:
    """The offices whose figures ``scope`` may read: every office, one office's subtree, or none."""
    if scope.everything:
        return Office.objects.all()
    if scope.office is None:
        return Office.objects.none()
    return scope.office.subtree()


def scope_of_office(office: Office) -> OfficeScope:
    """An office's jurisdiction as a scope; the national office's is the whole market (cases without an office
    included, as the national supervisor reads them)."""
    return OfficeScope(office=office, everything=office.is_national)


def statistics_scope(user, division_code: str = "") -> OfficeScope:
    """Whose figures ``user`` reads: their jurisdiction by default, or the office of it named by
    ``division_code`` (a drill-down). Anything outside their scope raises ``OfficeOutOfScope``; a regulator
    without an office reads nothing (``portal.access.office_scope`` fails closed)."""
    scope = office_scope(user)
    if not division_code:
        return scope
    office = offices_in_scope(scope).filter(division_code=division_code).first()
    if office is None:
        raise OfficeOutOfScope(division_code)
    return scope_of_office(office)


def scope_office(scope: OfficeScope) -> Office | None:
    """The office a scope is about, for headings and the drill-down: the national office for the whole market."""
    if scope.office is not None:
        return scope.office
    return Office.objects.filter(parent__isnull=True).first() if scope.everything else None


def office_breakdown(
    *, office: Office, days: int = DEFAULT_WINDOW_DAYS, now: datetime | None = None
) -> list[OfficeStats]:
    """The drill-down below ``office``: first its own cases, then one row per child office with everything its
    subtree handles, by division code. Additive figures only (a median of medians is not a median).

    Two queries (the offices, the figures per handling office) whatever the depth: the figures are grouped per
    office once and summed per child by the child's path prefix.
    """
    window = _window(days, now, scope_of_office(office))
    figures, as_of = _figures(window, "office_id")
    offices = list(office.subtree().only("pk", "path", "name", "short_name", "division_code", "level", "parent"))
    children = {child.division_code: child for child in offices if child.parent_id == office.pk}
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ROLLUP_FIELDS, 0))
    for member in offices:
        sums = figures.get(member.pk)
        if not sums:
            continue
        below = member.path[len(office.path) :].split("/", 1)[0]
        target = children[below].pk if below in children else office.pk
        for name in ROLLUP_FIELDS:
            totals[target][name] += sums.get(name) or 0
    own = OfficeStats(office=office, own=True, days=days, as_of=as_of, **totals.get(office.pk, {}))
    rows = [
        OfficeStats(office=child, days=days, as_of=as_of, **totals.get(child.pk, {}))
        for _code, child in sorted(children.items())
    ]
    return [own, *rows]


def ranked_by_scorecard(rows: list[PlatformStats]) -> list[PlatformStats]:
    """Rated platforms best first, then the ones with too few complaints to rate (by complaint count)."""
    return sorted(
        rows,
        key=lambda row: (
            not row.scorecard.is_rated,
            -(row.scorecard.score or 0),
            -row.complaints,
            row.platform.name,
        ),
    )


def repeat_offenders(rows: Iterable[PlatformStats | OperatorStats], *, min_complaints: int) -> list[RepeatOffender]:
    """Platforms (or operators) whose upheld + overdue complaints in the window reach ``min_complaints``.

    Takes the rows of ``platform_statistics`` / ``operator_statistics`` so a page that shows both the ranking
    and the offenders runs the aggregates once.
    """
    offenders = [
        RepeatOffender(stats=row, min_complaints=min_complaints)
        for row in rows
        if row.upheld_and_overdue >= min_complaints
    ]
    return sorted(offenders, key=lambda offender: -offender.stats.upheld_and_overdue)


def weekly_trend(
    *,
    weeks: int = DEFAULT_TREND_WEEKS,
    now: datetime | None = None,
    platform_id: int | None = None,
    scope: OfficeScope = EVERYTHING,
) -> WeeklyTrend:
    """Complaints filed, upheld and overdue per ISO week (from Monday, Asia/Shanghai), oldest first.

    Weeks without complaints are included with zeros, so a chart's x axis is regular.
    """
    now = now or timezone.now()
    today = timezone.localtime(now, SHANGHAI).date()
    first_monday = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    by_week: dict[date, dict] = defaultdict(lambda: dict.fromkeys(TREND_FIGURES, 0))
    state = _rollup_for(first_monday)
    for day, row in _trend_days(first_monday, now, platform_id, scope, from_rollup=state is not None).items():
        week = by_week[day - timedelta(days=day.weekday())]
        for name in TREND_FIGURES:
            week[name] += row[name]
    trend = WeeklyTrend(as_of=state.refreshed_at if state else None)
    for offset in range(weeks):
        monday = first_monday + timedelta(weeks=offset)
        row = by_week[monday]
        trend.append(
            TrendWeek(week_start=monday, filed=row["complaints"], upheld=row["upheld"], overdue=row["overdue"])
        )
    return trend


TREND_FIGURES = ("complaints", "upheld", "overdue")


def _trend_days(
    first_day: date, now: datetime, platform_id: int | None, scope: OfficeScope, *, from_rollup: bool
) -> dict[date, dict]:
    """The trend's figures per filing day (Asia/Shanghai) from ``first_day`` to ``now``: at most a row a day."""
    if from_rollup:
        rows = PlatformDailyStats.objects.filter(scope.filter("office"), day__gte=first_day)
        if platform_id is not None:
            rows = rows.filter(platform_id=platform_id)
        return _grouped(rows, "day", {name: ROLLUP_SUMS[name] for name in TREND_FIGURES})
    complaints = unscoped_complaints_for_system().filter(
        scope.filter("office"), created_at__gte=local_midnight(first_day), created_at__lte=now
    )
    if platform_id is not None:
        complaints = complaints.filter(platform_id=platform_id)
    return _grouped(
        complaints.annotate(day=TruncDate("created_at", tzinfo=SHANGHAI)),
        "day",
        {name: COMPLAINT_AGGREGATES[name] for name in TREND_FIGURES},
    )


# --- The public registry ----------------------------------------------------------------------------------


def registry_platforms(*, search: str = "", verified_only: bool = False) -> QuerySet[Platform]:
    """Registered platforms for the public registry, searchable by name, domain or ICP filing number."""
    platforms = Platform.objects.order_by("name", "pk")
    search = search.strip()
    if search:
        platforms = platforms.filter(
            Q(name__icontains=search) | Q(domain__icontains=search) | Q(icp_filing_number__icontains=search)
        )
    if verified_only:
        platforms = platforms.filter(is_verified=True)
    return platforms


def registry_platform(slug: str) -> Platform:
    """One platform with its operator and the operator's other platforms; raises Platform.DoesNotExist."""
    return Platform.objects.select_related("operator", "unreachable_office").get(slug=slug)


def sibling_platforms(platform: Platform) -> QuerySet[Platform]:
    """Other platforms run by the same operator (none when the operator is unknown)."""
    if platform.operator_id is None:
        return Platform.objects.none()
    return Platform.objects.filter(operator_id=platform.operator_id).exclude(pk=platform.pk).order_by("name")


def public_penalties(platform: Platform) -> QuerySet[Penalty]:
    """A platform's penalty decisions as the registry lists them: number, kind, date and status only."""
    return platform.penalties.only("number", "kind", "decided_on", "status", "platform_id").order_by(
        "-decided_on", "-sequence"
    )


def published_narratives(platform: Platform, *, limit: int = 20) -> QuerySet[Complaint]:
    """Consented, redacted narratives, as ``narrative``: only the fields the registry may show.

    Read on every request (never cached), so a consumer who withdraws consent disappears from the page at
    once: the service clears ``public_narrative`` when consent is withdrawn, and both fields are checked.
    The redaction keeps numbers introduced as 订单号 (they usually identify a purchase, not a person); the
    complaint's own order number and payment reference are masked here as well, in SQL.
    """
    narrative = Replace(
        Replace(F("public_narrative"), F("order_number"), Value(MASK_ORDER_NUMBER), output_field=TextField()),
        F("payment_reference"),
        Value(MASK_PAYMENT_REFERENCE),
        output_field=TextField(),
    )
    return (
        Complaint.objects.filter(platform=platform, publish_consent=True)
        .exclude(public_narrative="")
        .annotate(narrative=narrative)
        .only("pk", "product_name", "problem", "created_at")
        .order_by("-created_at")[:limit]
    )


def _scorecard_cache_key(platform_id: int) -> str:
    return f"platform-scorecard:{SCORECARD_VERSION}:{platform_id}"


def platform_scorecards(platform_ids: Iterable[int]) -> dict[int, PlatformStats]:
    """The public scorecard figures (last SCORECARD_WINDOW_DAYS days) of these platforms, cached per platform.

    Missing entries are computed together in the constant number of queries of ``platform_statistics``.
    """
    platform_ids = list(platform_ids)
    cached = cache.get_many([_scorecard_cache_key(pk) for pk in platform_ids])
    found = {pk: cached[_scorecard_cache_key(pk)] for pk in platform_ids if _scorecard_cache_key(pk) in cached}
    missing = [pk for pk in platform_ids if pk not in found]
    if missing:
        computed = {
            row.platform.pk: row for row in platform_statistics(days=SCORECARD_WINDOW_DAYS, platform_ids=missing)
        }
        cache.set_many({_scorecard_cache_key(pk): row for pk, row in computed.items()}, SCORECARD_CACHE_SECONDS)
        found.update(computed)
    return found


# --- Follow-up satisfaction (Order 121 Art. 26) -------------------------------------------------------------

# What the answers are grouped by: the complaint's platform. Per office it is "complaint__platform__office_id"
# (pass it as ``group_by``); nothing else changes.
SATISFACTION_BY_PLATFORM = "complaint__platform_id"


@dataclass(frozen=True)
class Satisfaction:
    """The follow-up answers of one group: how many, how many said resolved, and their ratings."""

    answers: int = 0
    resolved: int = 0
    rating_sum: int = 0

    @property
    def resolved_share(self) -> float | None:
        return _ratio(self.resolved, self.answers)

    @property
    def mean_rating(self) -> float | None:
        return _ratio(self.rating_sum, self.answers)


def follow_up_satisfaction(
    *, days: int = DEFAULT_WINDOW_DAYS, now: datetime | None = None, group_by: str = SATISFACTION_BY_PLATFORM
) -> dict[object, Satisfaction]:
    """Follow-up answers given in the window (Asia/Shanghai days ending today), per ``group_by`` value; one query.

    Groups without answers are absent: a platform nobody was asked about has no satisfaction figure, not zero.
    """
    window = _window(days, now)
    rows = (
        FollowUp.objects.filter(answered_at__gte=window.since, answered_at__lt=window.until)
        .values(group_by)
        .annotate(
            answers=Count("pk"), resolved=Count("pk", filter=Q(resolved=True)), rating_sum=Sum("rating", default=0)
        )
        .order_by(group_by)
    )
    return {
        row[group_by]: Satisfaction(answers=row["answers"], resolved=row["resolved"], rating_sum=row["rating_sum"])
        for row in rows
    }


@dataclass(frozen=True)
class PlatformSatisfaction:
    platform: Platform
    satisfaction: Satisfaction


def platform_satisfaction(
    *, days: int = DEFAULT_WINDOW_DAYS, now: datetime | None = None
) -> list[PlatformSatisfaction]:
    """``follow_up_satisfaction`` per platform with answers, the platforms by name; two queries."""
    by_platform = follow_up_satisfaction(days=days, now=now)
    platforms = Platform.objects.filter(pk__in=[key for key in by_platform if key is not None]).order_by("name", "pk")
    return [PlatformSatisfaction(platform, by_platform[platform.pk]) for platform in platforms]


# --- Clocks stopped because the platform was confirmed unreachable (docs/vanished-platforms.md) ---------------


def clocks_stopped_unreachable(platform_ids: Iterable[int]) -> dict[int, int]:
    """Platform clocks stopped by a confirmation that the platform is unreachable, per platform, in one query.

    They are neither met nor missed (``cancelled_at`` with ``cancelled_reason`` "platform_unreachable"), so
    the on-time rates and the overdue count above leave them out; this is their own count, shown beside them.
    """
    rows = (
        Deadline.objects.exclude(cancelled_reason="")
        .filter(cancelled_reason=PLATFORM_UNREACHABLE, complaint__platform_id__in=list(platform_ids))
        .values("complaint__platform_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["complaint__platform_id"]: row["n"] for row in rows}
