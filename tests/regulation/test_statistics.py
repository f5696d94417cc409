"""Platform statistics, repeat offenders, weekly trend and the statistics API, against hand-computed figures.

The market (filed through the services at controlled times; "now" is Friday 2026-03-20 12:00, Shanghai;
first response due 1 working day after filing, resolution 3):

platform A (30 000 orders a month, promises delivery in 2 h), all filed Mon 03-09 10:00:
  a1 refunded at +2 h, accepted (rating 5)            a4 no answer → sweep 03-14: overdue, escalated; upheld
  a2 refunded at +4 h, accepted (rating 3)            a5 no answer → sweep 03-14: overdue, escalated; upheld
  a3 refunded at +4 h, disputed                       a6 refunded at +36 h (first response late), waiting
  a1, a2 paid 1 h before filing; a3–a6 5 h before → 4 compensation-standard breaches
  plus one complaint filed 2026-01-05 (outside 30 days, inside 90)
platform B (no reported volume), all filed Tue 03-10 10:00:
  b1 no answer → overdue, escalated; not upheld       b3 delivered at +1 h, accepted (rating 2)
  b2 no answer → overdue, escalated; upheld           b4 asked for information at +3 h (clocks paused)
one complaint against an unregistered platform (triage), Wed 03-11
penalties: A warning 03-16, A fine 02-01 overturned (does not count), B fine 2025-01-10
A and B belong to operator O.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.serializers import Serializer

from complaints import services
from complaints.models import Finding
from complaints.sweep import deadlines_sweep
from platforms.models import Operator
from portal.offices import national_office
from regulation import desk
from regulation.api.stats import RepeatOffenderSerializer
from regulation.models import Penalty, PenaltyKind, PenaltyStatus
from regulation.rollup import refresh_daily_stats
from regulation.scorecard import SCORECARD_VERSION
from regulation.statistics import (
    NextStep,
    market_totals,
    operator_statistics,
    platform_statistics,
    repeat_offenders,
    suggest_next_step,
    weekly_trend,
)
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory, file_complaint
from tests.fixtures_roles import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=SHANGHAI)


def march(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=SHANGHAI)


class Clock:
    """Stands in for timezone.now() so services stamp the times the scenario says."""

    def __init__(self, monkeypatch) -> None:
        self.now = NOW
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def penalty(platform, kind, decided_on, number, status=PenaltyStatus.ISSUED) -> Penalty:
    return Penalty.objects.create(
        platform=platform,
        office=national_office(),
        year=decided_on.year,
        sequence=int(number[-3:]),
        number=number,
        kind=kind,
        fine_amount=Decimal("50000") if kind == PenaltyKind.FINE else None,
        legal_basis="《电子商务法》",
        facts="多次超时未发货。",
        decision="予以处罚。",
        decided_on=decided_on,
        appeal_deadline=decided_on + timedelta(days=60),
        status=status,
    )


@pytest.fixture
def market(clock, regulator):
    operator = Operator.objects.create(name="某网络科技有限公司")
    platform_a = PlatformFactory(reported_monthly_orders=30_000, compensation_hours=2, operator=operator)
    platform_b = PlatformFactory(operator=operator)
    agent_a, agent_b = StaffFactory(platform=platform_a), StaffFactory(platform=platform_b)

    def filed(platform, at, name, paid_hours_before=5):
        clock.set(at)
        return file_complaint(
            ConsumerFactory(),
            platform,
            now=at,
            order_number=f"DD-{name}",
            paid_at=at - timedelta(hours=paid_hours_before),
        )

    def refund(complaint, agent, at):
        clock.set(at)
        services.complaint_respond(
            complaint_id=complaint.pk,
            by=agent,
            outcome="refunded",
            message="已退款",
            refund_amount=Decimal("199.00"),
            refund_reference=f"RF-{complaint.pk}",
        )

    filed(platform_a, datetime(2026, 1, 5, 10, 0, tzinfo=SHANGHAI), "old")
    a1, a2 = (filed(platform_a, march(9, 10), name, paid_hours_before=1) for name in ("a1", "a2"))
    a3, a4, a5, a6 = (filed(platform_a, march(9, 10), name) for name in ("a3", "a4", "a5", "a6"))
    b1, b2, b3, b4 = (filed(platform_b, march(10, 10), name) for name in ("b1", "b2", "b3", "b4"))
    clock.set(march(11, 9))
    file_complaint(ConsumerFactory(), False, now=march(11, 9), unregistered_platform_name="某小众卡盟")

    refund(a1, agent_a, march(9, 12))
    clock.set(march(9, 13))
    services.complaint_accept(complaint_id=a1.pk, by=a1.consumer, rating=5)
    refund(a2, agent_a, march(9, 14))
    refund(a3, agent_a, march(9, 14))
    clock.set(march(9, 15))
    services.complaint_accept(complaint_id=a2.pk, by=a2.consumer, rating=3)
    services.complaint_dispute(complaint_id=a3.pk, by=a3.consumer, reason="没有收到退款")
    refund(a6, agent_a, march(10, 22))
    clock.set(march(10, 11))
    services.complaint_respond(
        complaint_id=b3.pk,
        by=agent_b,
        outcome="delivered",
        message="已补发",
        delivered_at=march(10, 11),
        delivery_method="站内信",
        delivery_record="****-8K2D",
    )
    clock.set(march(10, 12))
    services.complaint_accept(complaint_id=b3.pk, by=b3.consumer, rating=2)
    clock.set(march(10, 13))
    services.complaint_request_info(complaint_id=b4.pk, by=agent_b, message="请提供充值账号截图")

    clock.set(march(14, 10))
    deadlines_sweep(now=march(14, 10))

    clock.set(march(16, 10))
    desk.complaint_accept_for_mediation(complaint_id=a4.pk, by=regulator)
    for complaint, finding in (
        (a4, Finding.UPHELD),
        (a5, Finding.UPHELD),
        (b1, Finding.NOT_UPHELD),
        (b2, Finding.UPHELD),
    ):
        desk.complaint_close(complaint_id=complaint.pk, by=regulator, finding=finding)

    penalty(platform_a, PenaltyKind.WARNING, date(2026, 3, 16), "市监罚〔2026〕001")
    overturned = PenaltyStatus.OVERTURNED
    penalty(platform_a, PenaltyKind.FINE, date(2026, 2, 1), "市监罚〔2026〕002", status=overturned)
    penalty(platform_b, PenaltyKind.FINE, date(2025, 1, 10), "市监罚〔2025〕001")
    clock.set(NOW)
    return {"a": platform_a, "b": platform_b, "operator": operator}


def stats_by_slug(days=30):
    return {row.platform.slug: row for row in platform_statistics(days=days, now=NOW)}


def test_platform_figures_equal_the_hand_computed_ones(market):
    row = stats_by_slug()[market["a"].slug]

    assert (row.complaints, row.upheld, row.overdue) == (6, 2, 2)
    assert (row.first_response_on_time, row.first_response_decided) == (3, 6)
    assert (row.resolution_on_time, row.resolution_decided) == (4, 6)
    assert row.first_response_on_time_rate == pytest.approx(0.5)
    assert row.resolution_on_time_rate == pytest.approx(4 / 6)
    assert row.median_first_response_hours == pytest.approx(4.0)
    assert (row.final_answers, row.accepted, row.acceptance_rate) == (4, 2, 0.5)
    assert row.mean_rating == pytest.approx(4.0)
    assert row.compensation_breaches == 4
    assert row.penalties_in_window == 1
    assert row.complaints_per_10k_orders == pytest.approx(2.0)


def test_second_platform_figures_equal_the_hand_computed_ones(market):
    row = stats_by_slug()[market["b"].slug]

    assert (row.complaints, row.upheld, row.overdue) == (4, 1, 2)
    assert (row.first_response_on_time, row.first_response_decided) == (2, 4)
    assert (row.resolution_on_time, row.resolution_decided) == (1, 3)
    assert row.median_first_response_hours == pytest.approx(2.0)
    assert (row.final_answers, row.accepted) == (1, 1)
    assert row.mean_rating == pytest.approx(2.0)
    assert (row.compensation_breaches, row.penalties_in_window) == (0, 0)
    assert row.complaints_per_10k_orders is None


def test_window_leaves_out_older_complaints(market):
    assert stats_by_slug(days=30)[market["a"].slug].complaints == 6
    assert stats_by_slug(days=90)[market["a"].slug].complaints == 7


def test_platform_without_complaints_has_zero_figures_and_no_rates(market):
    quiet = PlatformFactory()

    row = stats_by_slug()[quiet.slug]

    assert (row.complaints, row.upheld, row.overdue) == (0, 0, 0)
    assert row.first_response_on_time_rate is None
    assert row.median_first_response_hours is None


def test_market_totals_include_unregistered_platforms(market):
    totals = market_totals(days=30, now=NOW)

    assert (totals.complaints, totals.upheld, totals.overdue, totals.platforms) == (11, 3, 4, 2)
    assert (totals.first_response_on_time, totals.first_response_decided) == (5, 10)
    assert (totals.resolution_on_time, totals.resolution_decided) == (5, 9)
    assert totals.median_first_response_hours == pytest.approx(3.5)
    assert (totals.final_answers, totals.accepted) == (5, 3)
    assert totals.mean_rating == pytest.approx(10 / 3)
    assert totals.compensation_breaches == 4


def test_operator_figures_add_up_its_platforms(market):
    (row,) = operator_statistics(days=30, now=NOW)

    assert row.operator == market["operator"]
    assert (row.platform_count, row.complaints, row.upheld, row.overdue) == (2, 10, 3, 4)
    assert (row.first_response_on_time, row.first_response_decided) == (5, 10)
    assert row.median_first_response_hours == pytest.approx(3.5)
    assert row.penalties.kinds == {PenaltyKind.WARNING: 1, PenaltyKind.FINE: 1}


def test_platform_at_the_threshold_is_a_repeat_offender(market):
    offenders = repeat_offenders(platform_statistics(days=30, now=NOW), min_complaints=4)

    assert [offender.stats.platform for offender in offenders] == [market["a"]]
    (offender,) = offenders
    assert offender.stats.upheld_and_overdue == 4
    assert (offender.prior_penalties, offender.prior_penalty_kinds) == (1, {PenaltyKind.WARNING: 1})
    assert offender.next_step == NextStep.RECTIFICATION


def test_platform_below_the_threshold_is_not_a_repeat_offender(market):
    offenders = repeat_offenders(platform_statistics(days=30, now=NOW), min_complaints=5)

    assert offenders == []


def test_prior_fine_suggests_fine_or_suspension(market):
    offenders = repeat_offenders(platform_statistics(days=30, now=NOW), min_complaints=3)

    steps = {offender.stats.platform.slug: offender.next_step for offender in offenders}
    assert steps == {market["a"].slug: NextStep.RECTIFICATION, market["b"].slug: NextStep.FINE_OR_SUSPENSION}


def test_operator_is_a_repeat_offender_on_its_platforms_together(market):
    offenders = repeat_offenders(operator_statistics(days=30, now=NOW), min_complaints=7)

    assert [offender.stats.operator for offender in offenders] == [market["operator"]]
    assert offenders[0].next_step == NextStep.FINE_OR_SUSPENSION


@pytest.mark.parametrize(
    ("kinds", "step"),
    [
        ({}, NextStep.WARNING),
        ({PenaltyKind.WARNING: 2}, NextStep.RECTIFICATION),
        ({PenaltyKind.WARNING: 1, PenaltyKind.RECTIFICATION: 1}, NextStep.FINE_OR_SUSPENSION),
        ({PenaltyKind.FINE: 1}, NextStep.FINE_OR_SUSPENSION),
        ({PenaltyKind.FINE: 2}, NextStep.REVOCATION_REFERRAL),
        ({PenaltyKind.SUSPENSION: 1}, NextStep.REVOCATION_REFERRAL),
    ],
)
def test_enforcement_ladder_climbs_one_rung_above_the_heaviest_penalty(kinds, step):
    assert suggest_next_step(kinds) == step


def test_scorecard_of_a_rated_platform_follows_the_documented_formula(market, settings):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 5

    scorecard = stats_by_slug()[market["a"].slug].scorecard

    # 25·0.5 + 25·4/6 + 20·(1 − 2/6) + 15·(1 − 2/6) + 10·(1 − 2/50) + 5·(1 − 1/2) = 64.6
    assert (scorecard.is_rated, scorecard.score, scorecard.grade, scorecard.version) == (
        True,
        64.6,
        "C",
        SCORECARD_VERSION,
    )


def test_scorecard_below_the_minimum_is_not_rated(market, settings):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 5

    scorecard = stats_by_slug()[market["b"].slug].scorecard

    assert (scorecard.is_rated, scorecard.score, scorecard.grade) == (False, None, "")


def test_scorecard_at_the_minimum_is_rated(market, settings):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 4

    assert stats_by_slug()[market["b"].slug].scorecard.is_rated


def test_weekly_trend_counts_per_iso_week(market):
    trend = weekly_trend(weeks=4, now=NOW)

    assert [(week.week_start, week.filed, week.upheld, week.overdue) for week in trend] == [
        (date(2026, 2, 23), 0, 0, 0),
        (date(2026, 3, 2), 0, 0, 0),
        (date(2026, 3, 9), 11, 3, 4),
        (date(2026, 3, 16), 0, 0, 0),
    ]


def test_weekly_trend_of_one_platform(market):
    trend = {week.week_start: week for week in weekly_trend(weeks=12, now=NOW, platform_id=market["a"].pk)}

    assert (trend[date(2026, 1, 5)].filed, trend[date(2026, 1, 5)].overdue) == (1, 1)
    assert (trend[date(2026, 3, 9)].filed, trend[date(2026, 3, 9)].upheld) == (6, 2)
    assert sum(week.filed for week in trend.values()) == 7


def test_platform_statistics_take_a_fixed_number_of_queries_whatever_the_data(market, django_assert_num_queries):
    # The rollup's last refresh (there is none: the complaints are counted), then the platforms, the complaints,
    # the clocks and the penalties. PostgreSQL computes the median in the complaints' aggregate; SQLite needs a
    # query of its own for it.
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 6):
        platform_statistics(days=30, now=NOW)


# --- The statistics API -----------------------------------------------------------------------------------


def test_stats_api_returns_the_hand_computed_figures(market, regulator, settings, django_assert_max_num_queries):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 5

    # Three of them are the drill-down to the offices below (the user's office, the offices, one aggregate).
    with django_assert_max_num_queries(13):
        response = client_for(regulator).get(reverse("regulation_api:stats-platforms"), {"days": 30})

    assert response.status_code == 200
    body = response.json()
    rows = {row["slug"]: row for row in body["results"]}
    assert body["market"]["complaints"] == 11
    assert (body["count"], body["scorecard_version"]) == (2, SCORECARD_VERSION)
    a_row = rows[market["a"].slug]
    assert (a_row["complaints"], a_row["upheld"], a_row["overdue"], a_row["score"]) == (6, 2, 2, 64.6)
    assert a_row["resolution_on_time_rate"] == pytest.approx(0.6667)
    assert a_row["median_first_response_hours"] == pytest.approx(4.0)


def test_stats_api_hides_rates_below_the_minimum(market, regulator, settings):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 5

    rows = {
        row["slug"]: row
        for row in client_for(regulator).get(reverse("regulation_api:stats-platforms"), {"days": 30}).json()["results"]
    }

    b_row = rows[market["b"].slug]
    assert (b_row["complaints"], b_row["is_rated"]) == (4, False)
    assert b_row["first_response_on_time_rate"] is None
    assert b_row["score"] is None


def test_repeat_offenders_api_lists_platforms_and_operators(market, regulator):
    response = client_for(regulator).get(
        reverse("regulation_api:stats-repeat-offenders"), {"days": 30, "min_complaints": 4}
    )

    assert response.status_code == 200
    body = response.json()
    assert [(row["slug"], row["upheld_and_overdue"], row["next_step"]) for row in body["platforms"]] == [
        (market["a"].slug, 4, NextStep.RECTIFICATION.value),
    ]
    assert body["platforms"][0]["prior_penalty_kinds"] == {"warning": 1}
    operators = [(row["name"], row["upheld_and_overdue"]) for row in body["operators"]]
    assert operators == [("某网络科技有限公司", 7)]


def test_repeat_offender_rows_match_their_declared_schema_fields(market):
    offenders = [
        *repeat_offenders(platform_statistics(days=30, now=NOW), min_complaints=1),
        *repeat_offenders(operator_statistics(days=30, now=NOW), min_complaints=1),
    ]
    assert {offender.stats.__class__.__name__ for offender in offenders} == {"PlatformStats", "OperatorStats"}

    for offender in offenders:
        generic = Serializer.to_representation(RepeatOffenderSerializer(), offender)
        assert RepeatOffenderSerializer(offender).data == generic


def test_operators_api_returns_operator_rows(market, regulator):
    response = client_for(regulator).get(reverse("regulation_api:stats-operators"), {"days": 30})

    assert response.status_code == 200
    rows = [(row["operator"], row["complaints"]) for row in response.json()["results"]]
    assert rows == [("某网络科技有限公司", 10)]


def test_trend_api_returns_weeks_oldest_first(market, regulator):
    response = client_for(regulator).get(reverse("regulation_api:stats-trend"), {"weeks": 12})

    assert response.status_code == 200
    weeks = response.json()["results"]
    assert len(weeks) == 12
    assert weeks[-1]["week_start"] == "2026-03-16"
    assert weeks[-2] == {"week_start": "2026-03-09", "filed": 11, "upheld": 3, "overdue": 4}


@pytest.mark.parametrize("days", ["0", "731", "-5", "ninety"])
def test_stats_api_rejects_a_window_out_of_range(regulator, days):
    response = client_for(regulator).get(reverse("regulation_api:stats-platforms"), {"days": days})

    assert response.status_code == 400
    assert "days" in response.json()


def test_trend_api_rejects_an_unknown_platform(regulator):
    response = client_for(regulator).get(reverse("regulation_api:stats-trend"), {"platform": "no-such-platform"})

    assert response.status_code == 400
    assert "platform" in response.json()


STATS_URLS = [
    "regulation_api:stats-platforms",
    "regulation_api:stats-operators",
    "regulation_api:stats-repeat-offenders",
    "regulation_api:stats-trend",
]


@pytest.mark.parametrize("url_name", STATS_URLS)
def test_stats_api_needs_credentials(api_client, url_name):
    assert api_client.get(reverse(url_name)).status_code == 401


@pytest.mark.parametrize("url_name", STATS_URLS)
@pytest.mark.parametrize("role", ["consumer", "agent", "manager"])
def test_stats_api_is_forbidden_to_non_regulators(request, url_name, role):
    user = request.getfixturevalue(role)

    assert client_for(user).get(reverse(url_name)).status_code == 403


@pytest.mark.parametrize("url_name", STATS_URLS)
def test_stats_api_figures_have_no_as_of_before_the_rollup_is_refreshed(market, regulator, url_name):
    body = client_for(regulator).get(reverse(url_name)).json()

    assert body["as_of"] is None


@pytest.mark.parametrize("url_name", STATS_URLS)
def test_stats_api_gives_the_time_of_the_refresh_its_figures_were_read_from(market, regulator, url_name):
    refresh_daily_stats(now=NOW - timedelta(minutes=7))

    body = client_for(regulator).get(reverse(url_name)).json()

    assert body["as_of"] == "2026-03-20T11:53:00+08:00"


@pytest.mark.parametrize(
    "component", ["PlatformStatsPage", "OperatorStatsPage", "RepeatOffenders", "Trend", "PublicScorecard"]
)
def test_schema_documents_as_of(component):
    schema = SchemaGenerator().get_schema(request=None, public=True)

    as_of = schema["components"]["schemas"][component]["properties"]["as_of"]

    assert (as_of["format"], as_of["nullable"]) == ("date-time", True)


def test_stats_api_figures_after_a_refresh_leave_out_what_came_later(market, regulator):
    refresh_daily_stats(now=NOW)
    file_complaint(ConsumerFactory(), market["a"], now=NOW, order_number="after-the-refresh")

    body = client_for(regulator).get(reverse("regulation_api:stats-platforms"), {"days": 30}).json()

    assert (body["market"]["complaints"], body["as_of"]) == (11, "2026-03-20T12:00:00+08:00")


def test_stats_api_is_forbidden_to_platform_api_keys(api_key):
    assert client_for(api_key=api_key).get(reverse("regulation_api:stats-platforms")).status_code == 403


def queries_for(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def platforms_with_a_complaint_each(count: int) -> None:
    for _number in range(count):
        platform = PlatformFactory(reported_monthly_orders=1000)
        file_complaint(platform=platform)
        penalty(platform, PenaltyKind.WARNING, date(2026, 1, 2), f"市监罚〔2026〕{platform.pk:03d}")


@pytest.mark.parametrize("url_name", STATS_URLS)
def test_stats_api_query_count_does_not_grow(regulator, url_name, django_assert_max_num_queries):
    client = client_for(regulator)
    platforms_with_a_complaint_each(3)
    few = queries_for(lambda: client.get(reverse(url_name)))
    platforms_with_a_complaint_each(12)

    with django_assert_max_num_queries(few):
        response = client.get(reverse(url_name))

    assert response.status_code == 200
