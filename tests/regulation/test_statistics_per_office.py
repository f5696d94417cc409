"""Statistics per office: a regulator's dashboard and stats API show their jurisdiction (their office and every
office below it) by default, drill down to the offices below, refuse an office outside it, and the per-office
rollup equals a direct count for every window and every jurisdiction."""

import random
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.models import Complaint, Finding
from portal.models import Office, OfficeLevel
from portal.offices import EVERYTHING
from portal.roles import make_regulator
from regulation import desk, statistics
from regulation.jurisdiction import complaint_transfer
from regulation.rollup import refresh_daily_stats
from regulation.statistics import (
    market_totals,
    office_breakdown,
    operator_statistics,
    platform_statistics,
    repeat_offenders,
    scope_of_office,
    weekly_trend,
)
from tests.factories import PlatformFactory, RegulatorFactory, file_complaint
from tests.fixtures_roles import client_for
from tests.offices import build_tree
from tests.regulation import test_rollup as rollup_tests
from tests.regulation import test_statistics as hand_computed

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

NOW = hand_computed.NOW
clock = hand_computed.clock
random_market = rollup_tests.random_market
FIGURES, RATES, WINDOWS = rollup_tests.FIGURES, rollup_tests.RATES, rollup_tests.WINDOWS
# The drill-down carries the additive figures only.
ADDITIVE = [name for name in FIGURES if name != "median_first_response_hours"]


@pytest.fixture
def offices(db):
    """Xihu and Binjiang below the Hangzhou city office, and Haishu, a district of Ningbo in the same province."""
    tree = build_tree()
    return SimpleNamespace(
        a=tree.district_a,
        b=tree.district_b,
        city=tree.city,
        province=tree.province,
        elsewhere=tree.cousin,
        national=tree.national,
    )


def regulator_of(office):
    user = RegulatorFactory(office=office)
    make_regulator(user)
    return user


@pytest.fixture
def routed(offices, clock):
    """Complaints routed by the platforms' domiciles: 3 to Xihu (one then transferred to Binjiang through the
    city's receiving centre), 2 to Binjiang, 1 to Haishu; one Xihu complaint is upheld."""
    platform_a = PlatformFactory(domicile_code="330106")
    platform_b = PlatformFactory(domicile_code="330108")
    platform_x = PlatformFactory(domicile_code="330203")
    filed = {"a": [], "b": [], "x": []}
    for index, (key, platform) in enumerate([("a", platform_a)] * 3 + [("b", platform_b)] * 2 + [("x", platform_x)]):
        at = NOW - timedelta(days=5, hours=index)
        clock.set(at)
        filed[key].append(file_complaint(platform=platform, now=at, order_number=f"DD-O{index}"))
    clock.set(NOW - timedelta(days=4))
    moved = filed["a"][2]
    complaint_transfer(
        complaint_id=moved.pk, by=regulator_of(offices.a), to_office=offices.city, reason="住所地不在本区"
    )
    complaint_transfer(complaint_id=moved.pk, by=regulator_of(offices.city), to_office=offices.b, reason="分送黄浦区")
    upheld = filed["a"][0]
    complaint = Complaint.objects.get(pk=upheld.pk)
    complaint.status = "escalated"
    complaint.save(update_fields=["status"])
    desk.complaint_close(complaint_id=upheld.pk, by=regulator_of(offices.a), finding=Finding.UPHELD)
    clock.set(NOW)
    return SimpleNamespace(platform_a=platform_a, platform_b=platform_b, platform_x=platform_x, moved=moved)


def test_complaints_are_counted_for_the_office_that_handles_them(offices, routed):
    totals = {
        name: market_totals(days=30, now=NOW, scope=scope_of_office(getattr(offices, name))).complaints
        for name in ("a", "b", "city", "province", "elsewhere", "national")
    }
    assert totals == {"a": 2, "b": 3, "city": 5, "province": 6, "elsewhere": 1, "national": 6}


def test_the_drill_down_sums_each_child_s_subtree(offices, routed):
    rows = {row.office.division_code: row for row in office_breakdown(office=offices.national, days=30, now=NOW)}
    assert {code: row.complaints for code, row in rows.items()} == {"100000": 0, "330000": 6}
    province_rows = office_breakdown(office=offices.province, days=30, now=NOW)
    assert [(row.office.division_code, row.complaints) for row in province_rows] == [
        ("330000", 0),
        ("330100", 5),
        ("330200", 1),
    ]
    city_rows = office_breakdown(office=offices.city, days=30, now=NOW)
    assert [(row.office.division_code, row.own, row.complaints) for row in city_rows] == [
        ("330100", True, 0),
        ("330106", False, 2),
        ("330108", False, 3),
    ]
    assert {row.office.division_code: row.upheld for row in city_rows} == {"330100": 0, "330108": 0, "330106": 1}


def test_repeat_offenders_are_those_of_the_jurisdiction(offices, routed):
    def offenders(office) -> set[str]:
        rows = platform_statistics(days=30, now=NOW, scope=scope_of_office(office))
        return {offender.stats.platform.slug for offender in repeat_offenders(rows, min_complaints=1)}

    assert offenders(offices.a) == {routed.platform_a.slug}
    assert offenders(offices.b) == set()
    assert offenders(offices.national) == {routed.platform_a.slug}


def test_a_jurisdiction_lists_its_platforms_only(offices, routed):
    listed = {row.platform.slug for row in platform_statistics(days=30, now=NOW, scope=scope_of_office(offices.b))}
    # Binjiang's own platform, and Xihu's platform whose complaint it now handles.
    assert listed == {routed.platform_b.slug, routed.platform_a.slug}


# --- the dashboard ---------------------------------------------------------------------------------------


def test_a_district_dashboard_shows_its_own_jurisdiction(client, offices, routed):
    client.force_login(regulator_of(offices.a))
    context = client.get(reverse("regulation:dashboard-home"), {"days": 30}).context
    assert (context["office"], context["totals"].complaints) == (offices.a, 2)
    assert context["office_rows"] == []
    assert context["parent_office"] is None  # the city is above Xihu's jurisdiction


def test_the_city_dashboard_drills_down_to_its_districts(client, offices, routed):
    client.force_login(regulator_of(offices.city))
    response = client.get(reverse("regulation:dashboard-home"), {"days": 30})
    rows = {row.office.division_code: row.complaints for row in response.context["office_rows"]}
    assert rows == {"330100": 0, "330108": 3, "330106": 2}
    assert "office=330106" in response.content.decode()

    district = client.get(reverse("regulation:dashboard-home"), {"days": 30, "office": "330106"})
    assert (district.status_code, district.context["totals"].complaints) == (200, 2)
    assert district.context["parent_office"] == offices.city


@pytest.mark.parametrize(("reader", "office"), [("a", "330108"), ("a", "330100"), ("city", "330203"), ("a", "999999")])
def test_an_office_outside_the_jurisdiction_is_not_found_on_the_dashboard(client, offices, routed, reader, office):
    client.force_login(regulator_of(getattr(offices, reader)))
    for name in ("regulation:dashboard-home", "regulation:dashboard-export-platforms"):
        assert client.get(reverse(name), {"office": office}).status_code == 404


def test_the_csv_export_holds_the_jurisdiction_s_platforms(client, offices, routed):
    client.force_login(regulator_of(offices.elsewhere))
    response = client.get(reverse("regulation:dashboard-export-platforms"), {"days": 30})
    body = b"".join(response.streaming_content).decode()
    assert routed.platform_x.name in body and routed.platform_a.name not in body


def test_the_national_supervisor_sees_the_whole_market(client, offices, routed):
    client.force_login(regulator_of(offices.national))
    context = client.get(reverse("regulation:dashboard-home"), {"days": 30}).context
    assert context["totals"].complaints == 6
    assert {row.office.division_code for row in context["office_rows"]} == {"100000", "330000"}


@pytest.mark.parametrize("office", ["a", "city"])
def test_dashboard_query_count_does_not_grow_with_platforms_or_offices(
    client, offices, routed, office, django_assert_max_num_queries
):
    client.force_login(regulator_of(getattr(offices, office)))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("regulation:dashboard-home"))
    for code in ("330109", "330110", "330111"):
        district = Office.objects.create(
            division_code=code, level=OfficeLevel.COUNTY, parent=offices.city, name=f"{code}局", short_name=code
        )
        for _ in range(3):
            file_complaint(platform=PlatformFactory(domicile_code=district.division_code))

    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("regulation:dashboard-home"))

    assert response.status_code == 200


def test_dashboard_queries_after_a_refresh(client, offices, routed, django_assert_max_num_queries):
    refresh_daily_stats(now=NOW)
    client.force_login(regulator_of(offices.a))
    client.get(reverse("regulation:dashboard-home"))  # the figures of Xihu's scope are cached from here on
    with django_assert_max_num_queries(12):
        assert client.get(reverse("regulation:dashboard-home")).status_code == 200


# --- the API ---------------------------------------------------------------------------------------------


def test_the_stats_api_answers_for_the_caller_s_jurisdiction(offices, routed):
    body = client_for(regulator_of(offices.b)).get(reverse("regulation_api:stats-platforms"), {"days": 30}).json()
    assert (body["office"], body["market"]["complaints"]) == ("330108", 3)
    national = client_for(regulator_of(offices.national)).get(reverse("regulation_api:stats-platforms"))
    assert (national.json()["office"], national.json()["market"]["complaints"]) == (None, 6)


def test_the_stats_api_drills_down_inside_the_jurisdiction(offices, routed):
    api = client_for(regulator_of(offices.city))
    body = api.get(reverse("regulation_api:stats-platforms"), {"days": 30}).json()
    assert [(row["office"], row["own"], row["complaints"]) for row in body["offices"]] == [
        ("330100", True, 0),
        ("330106", False, 2),
        ("330108", False, 3),
    ]
    assert "median_first_response_hours" not in body["offices"][0]
    district = api.get(reverse("regulation_api:stats-platforms"), {"days": 30, "office": "330106"}).json()
    assert (district["office"], district["market"]["complaints"]) == ("330106", 2)
    assert [row["own"] for row in district["offices"]] == [True]


@pytest.mark.parametrize("name", ["stats-platforms", "stats-operators", "stats-repeat-offenders", "stats-trend"])
@pytest.mark.parametrize(("reader", "office"), [("a", "330108"), ("b", "330100"), ("city", "330203"), ("a", "31")])
def test_the_stats_api_refuses_an_office_outside_the_jurisdiction(offices, reader, office, name):
    response = client_for(regulator_of(getattr(offices, reader))).get(
        reverse(f"regulation_api:{name}"), {"office": office}
    )
    assert (response.status_code, list(response.json())) == (400, ["office"])


def test_a_regulator_without_an_office_reads_no_figures(offices, routed):
    lost = RegulatorFactory(office=None)
    make_regulator(lost)
    body = client_for(lost).get(reverse("regulation_api:stats-platforms"), {"days": 30}).json()
    assert (body["market"]["complaints"], body["count"]) == (0, 0)


# --- the rollup per office -------------------------------------------------------------------------------


def every_statistic(days: int, scope, office) -> tuple[dict, set]:
    """Every statistic of a jurisdiction's window, and the ``as_of`` values they came with."""
    totals = market_totals(days=days, now=NOW, scope=scope)
    trend = weekly_trend(weeks=max(days // 7, 1), now=NOW, scope=scope)
    platforms = platform_statistics(days=days, now=NOW, scope=scope)
    operators = operator_statistics(days=days, now=NOW, scope=scope)
    offices = office_breakdown(office=office, days=days, now=NOW)
    return (
        {
            "trend": trend,
            "platforms": {row.platform.pk: rollup_tests.figures(row) for row in platforms},
            "operators": {row.operator.pk: rollup_tests.figures(row) for row in operators},
            "offices": {row.office.pk: [getattr(row, name) for name in (*ADDITIVE, *RATES)] for row in offices},
            "market": (rollup_tests.figures(totals), totals.platforms),
        },
        {totals.as_of, trend.as_of, *(row.as_of for row in (*platforms, *operators, *offices))},
    )


def test_the_rollup_equals_the_direct_count_in_every_jurisdiction(random_market, offices, monkeypatch):
    # The randomised market's complaints spread over the tree, some without an office (filed before offices).
    rng = random.Random(15)
    targets = [offices.a, offices.b, offices.city, offices.elsewhere, offices.national, None]
    for complaint in Complaint.objects.order_by("pk"):
        Complaint.objects.filter(pk=complaint.pk).update(office=rng.choice(targets))
    assert Complaint.objects.filter(office=offices.a).exists() and Complaint.objects.filter(office=None).exists()

    refresh_daily_stats(now=NOW)

    refreshed = statistics.rollup_state().refreshed_at
    for name in ("national", "province", "city", "a", "b", "elsewhere"):
        office = getattr(offices, name)
        scope = scope_of_office(office)
        for days in WINDOWS:
            with monkeypatch.context() as never_refreshed:
                never_refreshed.setattr(statistics, "rollup_state", lambda: None)
                direct, direct_as_of = every_statistic(days, scope, office)
            from_rollup, rollup_as_of = every_statistic(days, scope, office)
            assert (direct_as_of, rollup_as_of) == ({None}, {refreshed}), f"{name}, {days} days"
            assert from_rollup == direct, f"{name}, {days} days"
    # The jurisdictions add up: the national figures are the sum of the provinces' and the national office's own.
    national = office_breakdown(office=offices.national, days=365, now=NOW)
    unrouted = Complaint.objects.filter(office=None, created_at__gte=NOW - timedelta(days=365)).count()
    assert sum(row.complaints for row in national) + unrouted == market_totals(days=365, now=NOW).complaints


def test_the_rollup_has_a_row_per_platform_office_and_day(offices, routed):
    refresh_daily_stats(now=NOW)
    rows = {
        (row.platform_id, row.office_id): row.complaints
        for row in statistics.PlatformDailyStats.objects.filter(office__isnull=False)
    }
    assert rows == {
        (routed.platform_a.pk, offices.a.pk): 2,
        (routed.platform_a.pk, offices.b.pk): 1,
        (routed.platform_b.pk, offices.b.pk): 2,
        (routed.platform_x.pk, offices.elsewhere.pk): 1,
    }


def test_the_whole_market_scope_is_the_default(routed):
    assert market_totals(days=30, now=NOW) == market_totals(days=30, now=NOW, scope=EVERYTHING)
