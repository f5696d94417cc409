"""The daily rollup: after a refresh every statistic read from it equals the direct count.

Checked on the hand-computed market of test_statistics and on a randomised market driven through the services
(several platforms, an unregistered one, filing days over six weeks, answers, ratings, disputes, requests for
information, sweeps and findings).
"""

import io
import random
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from complaints import services
from complaints.models import PLATFORM_TURN_STATUSES, Complaint, Finding, Status
from complaints.sweep import deadlines_sweep
from platforms.models import Operator, PlatformDailyStats
from platforms.rollup import refresh_daily_stats
from platforms.statistics import Figures, market_totals, operator_statistics, platform_statistics, weekly_trend
from platforms.tasks import refresh_daily_stats_task
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory, file_complaint
from tests.platforms import test_statistics as hand_computed

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

NOW = hand_computed.NOW
WINDOWS = (1, 7, 30, 90, 365)
FIGURES = [field.name for field in fields(Figures)]
RATES = ("first_response_on_time_rate", "resolution_on_time_rate", "acceptance_rate", "upheld_rate", "mean_rating")
clock = hand_computed.clock
market = hand_computed.market


def figures(row) -> dict:
    return {name: getattr(row, name) for name in (*FIGURES, *RATES)}


def every_statistic(days: int) -> dict:
    totals = market_totals(days=days, now=NOW)
    return {
        "trend": weekly_trend(weeks=max(days // 7, 1), now=NOW),
        "platforms": {row.platform.pk: figures(row) for row in platform_statistics(days=days, now=NOW)},
        "operators": {row.operator.pk: figures(row) for row in operator_statistics(days=days, now=NOW)},
        "market": (figures(totals), totals.platforms),
    }


def rollup_rows() -> list[dict]:
    columns = [field.name for field in PlatformDailyStats._meta.fields if field.name != "id"]
    return list(PlatformDailyStats.objects.order_by("day", "platform_id").values(*columns))


def assert_rollup_equals_direct(settings) -> None:
    for days in WINDOWS:
        settings.PORTAL_STATS_FROM_ROLLUP = False
        direct = every_statistic(days)
        settings.PORTAL_STATS_FROM_ROLLUP = True
        assert every_statistic(days) == direct, f"{days} days"


def test_rollup_equals_the_hand_computed_figures(market, settings):
    refresh_daily_stats(now=NOW)

    assert_rollup_equals_direct(settings)
    settings.PORTAL_STATS_FROM_ROLLUP = True
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


def test_a_change_after_a_refresh_shows_after_the_next_one(market, clock, regulator, settings):
    settings.PORTAL_STATS_FROM_ROLLUP = True
    escalated = _escalated_complaint(market, clock)
    refresh_daily_stats(now=NOW)
    upheld_before = market_totals(days=30, now=NOW).upheld

    services.complaint_close(complaint_id=escalated.pk, by=regulator, finding=Finding.UPHELD)
    assert market_totals(days=30, now=NOW).upheld == upheld_before
    refresh_daily_stats(now=NOW)

    assert market_totals(days=30, now=NOW).upheld == upheld_before + 1
    assert_rollup_equals_direct(settings)


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


def test_rollup_statistics_take_a_fixed_number_of_queries(market, settings, django_assert_num_queries):
    settings.PORTAL_STATS_FROM_ROLLUP = True
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


def test_figures_are_read_once_per_refresh(market, settings, django_assert_num_queries):
    settings.PORTAL_STATS_FROM_ROLLUP = True
    refresh_daily_stats(now=NOW)
    first = platform_statistics(days=30, now=NOW)
    # The platforms and the penalties: sums and medians come from the cache until the next refresh.
    with django_assert_num_queries(2):
        again = platform_statistics(days=30, now=NOW)
    assert [figures(row) for row in again] == [figures(row) for row in first]


def test_a_refresh_makes_the_next_read_compute_afresh(market, settings):
    settings.PORTAL_STATS_FROM_ROLLUP = True
    refresh_daily_stats(now=NOW)
    before = market_totals(days=30, now=NOW).complaints
    file_complaint(ConsumerFactory(), market["a"], now=NOW, order_number="after-the-refresh")

    assert market_totals(days=30, now=NOW).complaints == before
    refresh_daily_stats(now=NOW)

    assert market_totals(days=30, now=NOW).complaints == before + 1


def test_one_platforms_figures_read_the_cached_figures_of_all(market, settings, django_assert_num_queries):
    settings.PORTAL_STATS_FROM_ROLLUP = True
    refresh_daily_stats(now=NOW)
    everyone = {row.platform.pk: row for row in platform_statistics(days=30, now=NOW)}

    # The platform and its penalties: no sums or median over its rows and complaints.
    with django_assert_num_queries(2):
        (one,) = platform_statistics(days=30, now=NOW, platform_ids=[market["a"].pk])

    assert one.median_first_response_hours == everyone[market["a"].pk].median_first_response_hours
    assert one.median_first_response_hours == pytest.approx(4.0)


def test_the_beat_task_warms_the_figures_when_the_statistics_read_the_rollup(
    market, clock, settings, django_assert_num_queries
):
    settings.PORTAL_STATS_FROM_ROLLUP = True
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
        services.complaint_close(complaint_id=complaint.pk, by=regulator, finding=finding)
    clock.set(NOW)
    return filed


def test_rollup_equals_the_direct_count_on_a_random_market(random_market, settings):
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {Status.RESOLVED, Status.CLOSED, Status.DISPUTED, Status.INFO_REQUESTED} <= statuses, statuses
    assert Complaint.objects.filter(is_overdue=True).exists()

    refresh_daily_stats(now=NOW)

    assert_rollup_equals_direct(settings)
