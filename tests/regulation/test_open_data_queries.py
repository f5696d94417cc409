"""The public complaint database's queries at scale: a page of the API reads only the rows it shows (no pass over
the whole event table for the "disputed" field, no sort of a busy platform's every complaint). Plans are checked
through the SQL the queries compile to; the timings are in docs/benchmarks.md."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import services
from complaints.models import Event, ResponseOutcome
from regulation.open_data import filter_published, published_complaints
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory, file_complaint

pytestmark = pytest.mark.django_db
API_URL = "/api/v1/open/complaints/"


def sql_of(queryset) -> str:
    sql, _params = queryset.query.sql_with_params()
    return sql


def test_disputed_is_a_per_record_lookup_not_an_exists_over_the_event_table():
    sql = sql_of(published_complaints())
    event_table = re.escape(Event._meta.db_table)
    assert re.search(rf"\(SELECT[^()]*FROM \"?{event_table}\"?", sql)
    assert not re.search(rf"EXISTS\s*\(SELECT[^()]*FROM \"?{event_table}\"?", sql)


def test_the_export_reads_the_disputes_in_one_pass_over_the_events():
    sql = sql_of(published_complaints(whole_table=True))
    assert re.search(rf"EXISTS\s*\(SELECT[^()]*FROM \"?{re.escape(Event._meta.db_table)}\"?", sql)


def test_a_page_and_the_export_agree_on_who_disputed():
    filed_at = timezone.now() - timedelta(days=20)  # published by age, unanswered
    disputed = file_complaint()
    quiet = file_complaint(ConsumerFactory(), PlatformFactory(), now=filed_at, paid_at=filed_at - timedelta(hours=1))
    agent = StaffFactory(platform=disputed.platform)
    services.complaint_respond(
        complaint_id=disputed.pk, by=agent, outcome=ResponseOutcome.REJECTED, message="查无此单",
        rejection_reason="not_our_order",
    )  # fmt: skip
    services.complaint_dispute(complaint_id=disputed.pk, by=disputed.consumer, reason="订单截图证明有此单")
    for whole_table in (False, True):
        flags = dict(published_complaints(whole_table=whole_table).values_list("pk", "open_disputed"))
        assert flags == {disputed.pk: True, quiet.pk: False}, whole_table


def test_the_platform_filter_compares_the_platform_id_without_joining_on_the_slug():
    platform = PlatformFactory(slug="kamen-shop")
    with CaptureQueriesContext(connection) as queries:
        sql = sql_of(filter_published(published_complaints(), platform="kamen-shop"))
    assert len(queries) == 1  # the slug looked up once
    assert f'"platform_id" = {platform.pk}' in sql.replace("%s", str(platform.pk))
    assert '"slug" =' not in sql


def test_an_unknown_platform_slug_publishes_nothing(client):
    filed_at = timezone.now() - timedelta(days=20)
    file_complaint(ConsumerFactory(), PlatformFactory(), now=filed_at, paid_at=filed_at - timedelta(hours=1))
    assert filter_published(published_complaints(), platform="no-such-shop").count() == 0
    response = client.get(API_URL, {"platform": "no-such-shop"})
    assert response.status_code == 200 and response.json()["results"] == []


def test_a_platforms_records_are_only_its_own(client):
    filed_at = timezone.now() - timedelta(days=20)
    mine, other = PlatformFactory(), PlatformFactory()
    for platform in (mine, mine, other):
        file_complaint(ConsumerFactory(), platform, now=filed_at, paid_at=filed_at - timedelta(hours=1))
    records = client.get(API_URL, {"platform": mine.slug}).json()["results"]
    assert [record["platform_slug"] for record in records] == [mine.slug, mine.slug]


@pytest.mark.postgres
def test_a_page_of_the_api_plans_no_hashed_pass_over_the_events():
    filed_at = timezone.now() - timedelta(days=20)
    platform = PlatformFactory()
    for _ in range(3):
        file_complaint(ConsumerFactory(), platform, now=filed_at, paid_at=filed_at - timedelta(hours=1))
    page = filter_published(published_complaints(), platform=platform.slug)[:21]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = on")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "hashed SubPlan" not in plan
    assert "platforms_platform_slug" not in plan
