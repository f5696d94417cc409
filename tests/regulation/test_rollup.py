"""The daily rollup: after a refresh every statistic read from it equals the direct count.

Checked on the hand-computed market of test_statistics and on a randomised market driven through the services
(several platforms, an unregistered one, filing days over six weeks, answers, ratings, disputes, requests for
information, sweeps and findings). The statistics read the rollup as soon as it has been refreshed once, and
count the complaints directly before that.
"""

import io
import random
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from complaints import services
from complaints.models import PLATFORM_TURN_STATUSES, Complaint, Finding, Status
from complaints.sweep import deadlines_sweep
from platforms.models import Operator
from regulation import desk, statistics
from regulation.models import DailyStatsRefresh, PlatformDailyStats
from regulation.rollup import refresh_daily_stats
from regulation.statistics import (
    MAX_WINDOW_DAYS,
    Figures,
    market_totals,
    operator_statistics,
    platform_statistics,
    weekly_trend,
)
from regulation.tasks import refresh_daily_stats_task
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory, file_complaint
from tests.regulation import test_statistics as hand_computed

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

NOW = hand_computed.NOW
WINDOWS = (1, 7, 30, 90, 365)
FIGURES = [field.name for field in fields(Figures) if field.name != "as_of"]
RATES = ("first_response_on_time_rate", "resolution_on_time_rate", "acceptance_rate", "upheld_rate", "mean_rating")
clock = hand_computed.clock
market = hand_computed.market


def figures(row) -> dict:
    return {name: getattr(row, name) for name in (*FIGURES, *RATES)}


def every_statistic(days: int) -> tuple[dict, set]:
    """Every statistic of the window, and the ``as_of`` values they came with."""
    totals = market_totals(days=days, now=NOW)
    trend = weekly_trend(weeks=max(days // 7, 1), now=NOW)
    platforms = platform_statistics(days=days, now=NOW)
    operators = operator_statistics(days=days, now=NOW)
    return (
        {
            "trend": trend,
            "platforms": {row.platform.pk: figures(row) for row in platforms},
            "operators": {row.operator.pk: figures(row) for row in operators},
            "market": (figures(totals), totals.platforms),
        },
        {totals.as_of, trend.as_of, *(row.as_of for row in (*platforms, *operators))},
    )


def rollup_rows() -> list[dict]:
    columns = [field.name for field in PlatformDailyStats._meta.fields if field.name != "id"]
    return list(PlatformDailyStats.objects.order_by("day", "platform_id").values(*columns))


def assert_rollup_equals_direct(monkeypatch) -> None:
    """Every window read from the last refresh equals a direct count (the rollup hidden, as before any refresh)."""
    refreshed_at = DailyStatsRefresh.objects.get().refreshed_at
    for days in WINDOWS:
        with monkeypatch.context() as never_refreshed:
            never_refreshed.setattr(statistics, "rollup_state", lambda: None)
            direct, direct_as_of = every_statistic(days)
        from_rollup, rollup_as_of = every_statistic(days)
        assert (direct_as_of, rollup_as_of) == ({None}, {refreshed_at}), f"{days} days"
        assert from_rollup == direct, f"{days} days"


def test_rollup_equals_the_hand_computed_figures(market, monkeypatch):
    refresh_daily_stats(now=NOW)

    assert_rollup_equals_direct(monkeypatch)
    row = {row.platform.slug: row for row in platform_statistics(days=30, now=NOW)}[market["a"].slug]
    assert (row.complaints, row.upheld, row.overdue, row.compensation_breaches) == (6, 2, 2, 4)
    assert (row.first_response_on_time, row.first_response_decided) == (3, 6)
    assert row.mean_rating == pytest.approx(4.0)
    assert row.median_first_response_hours == pytest.approx(4.0)
    totals = market_totals(days=30, now=NOW)
    assert (totals.complaints, totals.platforms, totals.accepted) == (11, 2, 3)


def test_rollup_has_one_row_per_platform_and_filing_day(market):
    refresh_daily_stats(now=NOW)

    rows = {(row.platform_id, row.day.isoformat()): row.complaints for row in PlatformDailyStats.objects.all()}
    assert rows == {
        (market["a"].pk, "2026-01-05"): 1,
        (market["a"].pk, "2026-03-09"): 6,
        (market["b"].pk, "2026-03-10"): 4,
        (None, "2026-03-11"): 1,
    }


def test_refresh_is_idempotent(market):
    refresh_daily_stats(now=NOW)
    first = rollup_rows()

    refresh_daily_stats(now=NOW)

    assert rollup_rows() == first


def test_refresh_covers_only_the_days_asked_for(market):
    refresh_daily_stats(days=30, now=NOW)

    assert not PlatformDailyStats.objects.filter(day__year=2026, day__month=1).exists()


def test_a_change_after_a_refresh_shows_after_the_next_one(market, clock, regulator, monkeypatch):
    escalated = _escalated_complaint(market, clock)
    refresh_daily_stats(now=NOW)
    upheld_before = market_totals(days=30, now=NOW).upheld

    desk.complaint_close(complaint_id=escalated.pk, by=regulator, finding=Finding.UPHELD)
    assert market_totals(days=30, now=NOW).upheld == upheld_before
    refresh_daily_stats(now=NOW)

    assert market_totals(days=30, now=NOW).upheld == upheld_before + 1
    assert_rollup_equals_direct(monkeypatch)


def _escalated_complaint(market, clock) -> Complaint:
    """A complaint against B left unanswered until the sweep escalates it."""
    filed_at = NOW - timedelta(days=5)
    clock.set(filed_at)
    complaint = file_complaint(ConsumerFactory(), market["b"], now=filed_at, order_number="DD-late")
    clock.set(NOW - timedelta(hours=1))
    deadlines_sweep(now=NOW - timedelta(hours=1))
    clock.set(NOW)
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED
    return complaint


def test_days_without_complaints_any_more_lose_their_row(market):
    refresh_daily_stats(now=NOW)
    PlatformDailyStats.objects.create(platform=market["a"], day=NOW.date() - timedelta(days=2), complaints=3)

    refresh_daily_stats(now=NOW)

    assert not PlatformDailyStats.objects.filter(day=NOW.date() - timedelta(days=2)).exists()


def test_rollup_statistics_take_a_fixed_number_of_queries(market, django_assert_num_queries):
    refresh_daily_stats(now=NOW)
    # The platforms, the rollup's sums, the median, the penalties — on every database.
    with django_assert_num_queries(4):
        platform_statistics(days=30, now=NOW)
    PlatformFactory.create_batch(3)
    for _ in range(3):
        file_complaint(ConsumerFactory(), market["a"], now=NOW)
    refresh_daily_stats(now=NOW)
    with django_assert_num_queries(4):
        platform_statistics(days=30, now=NOW)
    with django_assert_num_queries(2):
        market_totals(days=30, now=NOW)


def test_figures_are_read_once_per_refresh(market, django_assert_num_queries):
    refresh_daily_stats(now=NOW)
    first = platform_statistics(days=30, now=NOW)
    # The platforms and the penalties: sums and medians come from the cache until the next refresh.
    with django_assert_num_queries(2):
        again = platform_statistics(days=30, now=NOW)
    assert [figures(row) for row in again] == [figures(row) for row in first]


def test_todays_complaints_count_as_of_the_last_refresh(market):
    refresh_daily_stats(now=NOW)
    before = market_totals(days=30, now=NOW).complaints
    later = NOW + timedelta(hours=1)
    file_complaint(ConsumerFactory(), market["a"], now=later, order_number="after-the-refresh")

    stale = market_totals(days=30, now=later)
    assert (stale.complaints, stale.as_of) == (before, NOW)
    refresh_daily_stats(now=later)

    fresh = market_totals(days=30, now=later)
    assert (fresh.complaints, fresh.as_of) == (before + 1, later)


def test_one_platforms_figures_read_the_cached_figures_of_all(market, django_assert_num_queries):
    refresh_daily_stats(now=NOW)
    everyone = {row.platform.pk: row for row in platform_statistics(days=30, now=NOW)}

    # The platform and its penalties: no sums or median over its rows and complaints.
    with django_assert_num_queries(2):
        (one,) = platform_statistics(days=30, now=NOW, platform_ids=[market["a"].pk])

    assert one.median_first_response_hours == everyone[market["a"].pk].median_first_response_hours
    assert one.median_first_response_hours == pytest.approx(4.0)


def test_the_beat_task_warms_the_figures_it_refreshed(market, clock, django_assert_num_queries):
    clock.set(NOW)

    refresh_daily_stats_task()

    with django_assert_num_queries(2):
        platform_statistics(days=90)
    with django_assert_num_queries(0):
        market_totals(days=365)


def test_task_and_command_refresh_the_rollup(market, clock):
    clock.set(NOW)
    assert refresh_daily_stats_task() == 4
    PlatformDailyStats.objects.all().delete()

    output = io.StringIO()
    call_command("refresh_daily_stats", "--days", "30", stdout=output)

    assert PlatformDailyStats.objects.count() == 3
    assert output.getvalue() == "daily statistics rows: 3\n"


# --- When the statistics read the rollup -------------------------------------------------------------------


def test_before_any_refresh_the_statistics_count_the_complaints(market, django_assert_num_queries):
    # The last refresh (none), then the complaints' and the clocks' aggregates (and SQLite's median query).
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        totals = market_totals(days=30, now=NOW)

    assert (totals.complaints, totals.upheld, totals.as_of) == (11, 3, None)
    assert not PlatformDailyStats.objects.exists()
    assert {row.as_of for row in platform_statistics(days=30, now=NOW)} == {None}
    assert weekly_trend(weeks=4, now=NOW).as_of is None


def test_a_refresh_records_when_it_ran_and_which_days_the_rollup_holds(market):
    refresh_daily_stats(now=NOW)

    row = DailyStatsRefresh.objects.get()
    assert row.refreshed_at == NOW
    assert row.covers_from == NOW.date() - timedelta(days=MAX_WINDOW_DAYS - 1)


def test_after_a_refresh_the_statistics_read_the_rollup(market, django_assert_num_queries):
    refresh_daily_stats(now=NOW)
    file_complaint(ConsumerFactory(), market["a"], now=NOW, order_number="not-in-the-rollup-yet")

    # The rollup's sums and the median; the last refresh is in the cache. A direct count would see 12.
    with django_assert_num_queries(2):
        totals = market_totals(days=30, now=NOW)

    assert (totals.complaints, totals.as_of) == (11, NOW)


def test_a_flushed_cache_does_not_send_the_statistics_back_to_counting(market, django_assert_num_queries):
    refresh_daily_stats(now=NOW)
    file_complaint(ConsumerFactory(), market["a"], now=NOW, order_number="not-in-the-rollup-yet")
    cache.clear()

    # The refresh row, the rollup's sums, the median.
    with django_assert_num_queries(3):
        totals = market_totals(days=30, now=NOW)

    assert (totals.complaints, totals.as_of) == (11, NOW)


def test_a_window_reaching_before_the_first_refresh_is_counted_directly(market):
    refresh_daily_stats(days=30, now=NOW)

    month, quarter = market_totals(days=30, now=NOW), market_totals(days=90, now=NOW)

    assert (month.complaints, month.as_of) == (11, NOW)
    # The rollup holds no row of January's complaint: a sum over it would miss it.
    assert (quarter.complaints, quarter.as_of) == (12, None)


def test_a_short_refresh_after_a_full_one_keeps_every_day_readable(market):
    refresh_daily_stats(now=NOW)
    later = NOW + timedelta(minutes=10)

    refresh_daily_stats(days=1, now=later)

    row = DailyStatsRefresh.objects.get()
    assert (row.refreshed_at, row.covers_from) == (later, NOW.date() - timedelta(days=MAX_WINDOW_DAYS - 1))
    assert market_totals(days=90, now=later).as_of == later


def test_a_short_refresh_after_a_long_pause_holds_only_its_own_days(market):
    refresh_daily_stats(now=NOW - timedelta(days=40))

    refresh_daily_stats(days=30, now=NOW)

    assert DailyStatsRefresh.objects.get().covers_from == NOW.date() - timedelta(days=29)
    assert market_totals(days=90, now=NOW).as_of is None


def test_there_is_no_setting_to_choose_where_the_statistics_come_from(settings):
    assert not hasattr(settings, "PORTAL_STATS_FROM_ROLLUP")


# --- A randomised market ----------------------------------------------------------------------------------


@pytest.fixture
def random_market(clock, regulator):
    """Complaints over six weeks against three platforms (two of one operator) and an unregistered one.

    Every step happens at its own time, in time order, through the services; a sweep runs every two days.
    A step whose precondition no longer holds (the sweep got there first) is skipped, as a person would.
    """
    rng = random.Random(20260320)
    operator = Operator.objects.create(name="某随机科技有限公司")
    platforms = [PlatformFactory(operator=operator), PlatformFactory(operator=operator), PlatformFactory()]
    agents = {platform.pk: StaffFactory(platform=platform) for platform in platforms}
    start = NOW - timedelta(days=42)
    steps = [(start + timedelta(days=day, hours=1), "sweep", None, None) for day in range(0, 42, 2)]
    for number in range(60):
        filed_at = start + timedelta(days=rng.randrange(42), hours=rng.randrange(24), minutes=rng.randrange(60))
        platform = rng.choice([*platforms, None])
        steps.append((filed_at, "file", number, platform))
        reaction = rng.choice(["refund", "deliver", "ignore", "info"])
        answered_at = filed_at + timedelta(hours=rng.choice([1, 3, 30, 60]))
        steps.append((answered_at, reaction, number, None))
        reply = rng.choice(["accept", "dispute"])
        steps.append((answered_at + timedelta(hours=rng.randrange(1, 80)), reply, number, None))
    steps.append((NOW - timedelta(hours=2), "sweep", None, None))
    filed: dict[int, Complaint] = {}

    def current(number: int) -> Complaint | None:
        complaint = filed.get(number)
        if complaint is not None:
            complaint.refresh_from_db()
        return complaint

    for at, step, number, platform in sorted(steps, key=lambda item: item[0]):
        if at > NOW:
            continue
        clock.set(at)
        complaint = current(number) if number is not None else None
        if step == "sweep":
            deadlines_sweep(now=at)
        elif step == "file":
            filed[number] = file_complaint(
                ConsumerFactory(),
                platform or False,
                now=at,
                order_number=f"DD-R{number}",
                paid_at=at - timedelta(hours=rng.choice([1, 5])),
                **({} if platform else {"unregistered_platform_name": "某随机卡盟"}),
            )
        elif complaint is None or complaint.platform_id is None:
            continue
        elif step in ("refund", "deliver") and complaint.status in PLATFORM_TURN_STATUSES:
            fields_ = (
                {"refund_amount": Decimal("50.00"), "refund_reference": f"RF-{complaint.pk}"}
                if step == "refund"
                else {"delivered_at": at, "delivery_method": "站内信", "delivery_record": "****-1A2B"}
            )
            agent, outcome = agents[complaint.platform_id], "refunded" if step == "refund" else "delivered"
            services.complaint_respond(
                complaint_id=complaint.pk, by=agent, outcome=outcome, message="已处理", **fields_
            )
        elif step == "info" and complaint.status == Status.AWAITING_PLATFORM:
            services.complaint_request_info(
                complaint_id=complaint.pk, by=agents[complaint.platform_id], message="请提供截图"
            )
        elif step == "accept" and complaint.status == Status.AWAITING_CONSUMER:
            services.complaint_accept(complaint_id=complaint.pk, by=complaint.consumer, rating=rng.randint(1, 5))
        elif step == "dispute" and complaint.status == Status.AWAITING_CONSUMER:
            services.complaint_dispute(complaint_id=complaint.pk, by=complaint.consumer, reason="仍未收到")
    for complaint in Complaint.objects.filter(status=Status.ESCALATED):
        finding = rng.choice([Finding.UPHELD, Finding.NOT_UPHELD])
        desk.complaint_close(complaint_id=complaint.pk, by=regulator, finding=finding)
    clock.set(NOW)
    return filed


def test_rollup_equals_the_direct_count_on_a_random_market(random_market, monkeypatch):
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {Status.RESOLVED, Status.CLOSED, Status.DISPUTED, Status.INFO_REQUESTED} <= statuses, statuses
    assert Complaint.objects.filter(is_overdue=True).exists()

    refresh_daily_stats(now=NOW)

    assert_rollup_equals_direct(monkeypatch)
