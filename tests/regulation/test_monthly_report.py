"""The monthly statistics report (投诉举报统计分析报告, Order 121 Art. 38): its numbers against direct counts of a
small market, the jurisdiction it covers, the page and the issued PDF."""

from collections import Counter
from datetime import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from complaints.calendar import SHANGHAI
from complaints.models import ClockKind, Complaint, Deadline, NoticeKind, Status
from portal.models import IssuedDocument, IssuedDocumentKind
from portal.offices import OfficeScope
from regulation.demo_bulk import VANISHED_SLUG, seed_market
from regulation.models import DailyStatsRefresh, Notice, Penalty
from regulation.monthly_report import Month, monthly_report
from regulation.statistics import scope_of_office
from tests.factories import ConsumerFactory, ManagerFactory
from tests.offices import build_tree
from tests.pdf_reading import compact, pdf_text

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
OCTOBER = Month(2026, 10)
NOVEMBER = Month(2026, 11)
URL = reverse("regulation:dashboard-monthly")
PDF_URL = reverse("regulation:dashboard-monthly-pdf")

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return build_tree()


@pytest.fixture
def market(tree):
    with time_machine.travel(NOW, tick=False):
        seed_market(complaints=200, consumers=30, now=NOW)
        yield tree


def in_month(moment, month: Month) -> bool:
    return moment is not None and month.since <= moment < month.until


def handled_in(scope: OfficeScope):
    ids = set(scope.offices().values_list("pk", flat=True))
    return [complaint for complaint in Complaint.objects.all() if complaint.office_id in ids]


@pytest.fixture(params=["rollup", "direct"])
def counting(request, market):
    """Both paths of the statistics: the refreshed rollup, and the direct count before any refresh."""
    if request.param == "direct":
        DailyStatsRefresh.objects.all().delete()
        cache.clear()
    return request.param


def test_volumes_equal_direct_counts(market, counting):
    scope = scope_of_office(market.city)
    report = monthly_report(scope=scope, month=OCTOBER)
    complaints = handled_in(scope)
    filed = [complaint for complaint in complaints if in_month(complaint.created_at, OCTOBER)]
    assert report.received == len(filed) > 0
    assert report.totals.upheld == sum(1 for c in filed if c.status == Status.CLOSED and c.finding == "upheld")
    assert report.totals.overdue == sum(1 for c in filed if c.is_overdue)
    ended = Counter(
        (c.finding if c.status == Status.CLOSED else c.status) for c in complaints if in_month(c.closed_at, OCTOBER)
    )
    assert {row.code: row.count for row in report.closures} == dict(ended)
    assert [(row.code, row.count) for row in report.problems] == sorted(
        Counter(c.problem for c in filed).items(), key=lambda item: (-item[1], item[0])
    )[:5]


def test_decisions_are_the_notices_of_the_month(market, counting):
    scope = scope_of_office(market.city)
    report = monthly_report(scope=scope, month=OCTOBER)
    ids = {complaint.pk for complaint in handled_in(scope)}
    notices = [n for n in Notice.objects.all() if n.complaint_id in ids and in_month(n.decided_at, OCTOBER)]
    assert report.accepted == sum(1 for n in notices if n.kind == NoticeKind.ACCEPTANCE) > 0
    refusals = Counter(n.ground_code for n in notices if n.kind == NoticeKind.REFUSAL)
    assert {row.code: row.count for row in report.refusals} == dict(refusals)


def test_on_time_rate_equals_the_clocks_of_the_month(market, counting):
    scope = scope_of_office(market.city)
    report = monthly_report(scope=scope, month=OCTOBER)
    ids = {c.pk for c in handled_in(scope) if in_month(c.created_at, OCTOBER)}
    clocks = [d for d in Deadline.objects.filter(kind=ClockKind.FIRST_RESPONSE) if d.complaint_id in ids]
    decided = [d for d in clocks if d.met_at or d.breached_at]
    on_time = [d for d in decided if d.met_at and d.met_at <= d.due_at]
    assert report.totals.first_response_on_time_rate == pytest.approx(len(on_time) / len(decided))


def test_platforms_with_most_complaints_come_first(market):
    report = monthly_report(scope=scope_of_office(market.national), month=OCTOBER)
    counts = Counter(c.platform_id for c in Complaint.objects.all() if in_month(c.created_at, OCTOBER))
    assert report.most_complained[0].complaints == max(counts.values())
    assert report.most_breaches[0].upheld_and_overdue >= report.most_breaches[-1].upheld_and_overdue


def test_penalties_are_those_decided_in_the_month_in_the_jurisdiction(market):
    report = monthly_report(scope=scope_of_office(market.city), month=OCTOBER)
    expected = Penalty.objects.filter(decided_on__year=2026, decided_on__month=10)
    assert {penalty.number for penalty in report.penalties} == {penalty.number for penalty in expected}
    assert report.penalties
    district = monthly_report(scope=scope_of_office(market.district_b), month=OCTOBER)
    assert all(penalty.office == market.district_b for penalty in district.penalties)


def test_a_warning_counts_in_the_month_and_office_that_confirmed_it(market):
    city = monthly_report(scope=scope_of_office(market.city), month=NOVEMBER)
    assert [platform.slug for platform in city.warnings] == [VANISHED_SLUG]
    assert monthly_report(scope=scope_of_office(market.city), month=OCTOBER).warnings == []
    assert monthly_report(scope=scope_of_office(market.district_a), month=NOVEMBER).warnings == []


def test_the_month_under_way_is_counted_up_to_today(market):
    report = monthly_report(scope=scope_of_office(market.national), month=NOVEMBER)
    assert not report.is_complete and report.through == NOW.date()
    assert report.received == sum(1 for c in Complaint.objects.all() if in_month(c.created_at, NOVEMBER))


# --- the page -------------------------------------------------------------------------------------------------


def test_the_page_shows_the_offices_report_for_the_chosen_month(client, market, django_assert_max_num_queries):
    client.force_login(market.regulator("city"))
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(URL, {"month": "2026-10"})
    assert response.status_code == 200
    assert response.context["report"].office == market.city
    assert response.context["report"].month == OCTOBER
    page = response.content.decode()
    assert market.city.name in page and "2026-10" in page


# The report's queries: rollup state, figures (totals, platforms, offices), medians, penalties, notices, closures,
# problems, warnings, the platforms, the session and the user; none per complaint, platform or office.
PAGE_QUERIES = 25


@pytest.mark.parametrize("size", [40, 200])
def test_the_page_queries_do_not_grow_with_the_market(client, tree, size, django_assert_max_num_queries):
    with time_machine.travel(NOW, tick=False):
        seed_market(complaints=size, consumers=10, now=NOW)
        cache.clear()
        client.force_login(tree.regulator("city"))
        with django_assert_max_num_queries(PAGE_QUERIES):
            assert client.get(URL, {"month": "2026-10"}).status_code == 200


def test_the_month_defaults_to_the_last_complete_one(client, market):
    client.force_login(market.regulator("national"))
    for value in ("", "2026-13", "tomorrow", "2027-01"):
        assert client.get(URL, {"month": value}).context["report"].month == OCTOBER


@pytest.mark.parametrize(("reader", "office"), [("a", "city"), ("a", "b"), ("city", "cousin"), ("b", "national")])
def test_an_office_outside_the_jurisdiction_is_not_found(client, market, reader, office):
    client.force_login(market.regulator(reader))
    code = getattr(market, {"a": "district_a", "b": "district_b"}.get(office, office)).division_code
    assert client.get(URL, {"office": code}).status_code == 404
    assert client.get(PDF_URL, {"office": code}).status_code == 404


def test_an_office_below_is_reachable_by_its_drill_down(client, market):
    client.force_login(market.regulator("city"))
    response = client.get(URL, {"office": market.district_a.division_code, "month": "2026-10"})
    assert response.status_code == 200
    assert response.context["report"].office == market.district_a
    assert response.context["parent_office"] == market.city


def test_a_regulator_without_an_office_reads_no_report(client, market):
    lost = market.regulator("a")
    lost.office = None
    lost.save()
    client.force_login(lost)
    assert client.get(URL).status_code == 404


@pytest.mark.parametrize("who", ["consumer", "manager"])
def test_only_regulators_read_the_report(client, market, who):
    client.force_login(ConsumerFactory() if who == "consumer" else ManagerFactory())
    assert client.get(URL).status_code == 403
    assert client.get(PDF_URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, market):
    assert client.get(URL).status_code == 302


def test_the_dashboard_links_to_the_report(client, market):
    client.force_login(market.regulator("city"))
    assert URL in client.get(reverse("regulation:dashboard-home")).content.decode()


# --- the PDF --------------------------------------------------------------------------------------------------


def test_the_pdf_names_the_office_and_the_month_and_is_registered(client, market):
    client.force_login(market.regulator("city"))
    response = client.get(PDF_URL, {"month": "2026-10"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = compact(pdf_text(response.content))
    assert compact(market.city.name) in body
    assert "2026年10月" in body and "投诉举报统计分析报告" in body
    document = IssuedDocument.objects.get()
    assert document.kind == IssuedDocumentKind.STATISTICS_REPORT
    assert document.reference == f"{market.city.division_code}-2026-10"
