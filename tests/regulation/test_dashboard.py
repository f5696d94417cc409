"""The regulators' dashboard, its scorecard page and CSV exports: access, content and query counts."""

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import Finding
from complaints.sweep import deadlines_sweep
from regulation import desk, views_dashboard
from regulation.api.stats import RepeatOffenderSerializer
from regulation.rollup import refresh_daily_stats
from regulation.scorecard import SCORECARD_VERSION
from tests.factories import ConsumerFactory, PlatformFactory, file_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

DASHBOARD_URLS = [
    "regulation:dashboard-home",
    "regulation:dashboard-scorecard",
    "regulation:dashboard-export-platforms",
    "regulation:dashboard-export-repeat-offenders",
]


def overdue_upheld_complaints(platform, regulator, count: int) -> None:
    """Complaints the platform never answered (the sweep breaches them), closed upheld by the regulator."""
    filed_at = timezone.now() - timedelta(days=20)
    complaints = [
        file_complaint(ConsumerFactory(), platform, now=filed_at, paid_at=filed_at - timedelta(hours=1))
        for _ in range(count)
    ]
    deadlines_sweep()
    for complaint in complaints:
        desk.complaint_close(complaint_id=complaint.pk, by=regulator, finding=Finding.UPHELD)


@pytest.fixture
def offender(regulator):
    platform = PlatformFactory(name="=HYPERLINK 卡盟")
    overdue_upheld_complaints(platform, regulator, 2)  # upheld 2 + overdue 2 = 4
    return platform


@pytest.mark.parametrize("url_name", DASHBOARD_URLS)
def test_anonymous_visitor_is_sent_to_login(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


@pytest.mark.parametrize("url_name", DASHBOARD_URLS)
@pytest.mark.parametrize("role", ["consumer", "agent", "manager"])
def test_dashboard_is_forbidden_to_non_regulators(client, request, url_name, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(reverse(url_name)).status_code == 403


def test_dashboard_shows_totals_trend_ranking_and_offenders(client, regulator, offender):
    client.force_login(regulator)

    response = client.get(reverse("regulation:dashboard-home"), {"days": 90})

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["totals"].complaints == 2
    assert '<svg class="chart"' in html and '<title id="trend-chart-title">' in html
    assert reverse("admin:complaints_complaint_changelist") + f"?platform__id__exact={offender.pk}" in html
    assert reverse("regulation:penalty-new") + f"?platform={offender.slug}" in html
    assert [o.stats.platform for o in response.context["platform_offenders"]] == [offender]
    assert SCORECARD_VERSION in html
    assert reverse("regulation:dashboard-scorecard") in html


def test_dashboard_has_no_inline_styles_or_scripts(client, regulator, offender):
    client.force_login(regulator)

    html = client.get(reverse("regulation:dashboard-home")).content.decode()

    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_dashboard_window_selector_marks_the_chosen_window(client, regulator):
    client.force_login(regulator)

    html = client.get(reverse("regulation:dashboard-home"), {"days": 365}).content.decode()

    assert re.search(r'href="\?days=365[^"]*" aria-current="page"', html)


@pytest.mark.parametrize("days", ["0", "9999", "abc"])
def test_dashboard_falls_back_to_90_days_for_a_bad_window(client, regulator, days):
    client.force_login(regulator)

    assert client.get(reverse("regulation:dashboard-home"), {"days": days}).context["days"] == 90


def test_repeat_offender_threshold_is_adjustable(client, regulator, offender):
    client.force_login(regulator)

    above = client.get(reverse("regulation:dashboard-home"), {"min_complaints": 5}).context["platform_offenders"]
    at = client.get(reverse("regulation:dashboard-home"), {"min_complaints": 4}).context["platform_offenders"]

    assert (len(above), len(at)) == (0, 1)


def test_offender_tables_show_the_worst_and_point_to_the_csv_for_the_rest(client, regulator, offender, monkeypatch):
    overdue_upheld_complaints(PlatformFactory(name="第二个卡盟"), regulator, 1)
    monkeypatch.setattr(views_dashboard, "OFFENDERS_SHOWN", 1)
    client.force_login(regulator)

    response = client.get(reverse("regulation:dashboard-home"), {"min_complaints": 1}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()

    offenders_section = page[page.index('id="offenders-title"') :]
    assert offender.name in offenders_section and "第二个卡盟" not in offenders_section
    assert "the 1 worst of 2" in offenders_section


def read_csv(response) -> list[dict]:
    content = b"".join(response.streaming_content)
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_platforms_csv_lists_every_platform_and_neutralises_formulas(client, regulator, offender, settings):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 5
    client.force_login(regulator)

    response = client.get(reverse("regulation:dashboard-export-platforms"), {"days": 90})

    assert response["Content-Type"].startswith("text/csv")
    (row,) = read_csv(response)
    assert row["platform"] == "'=HYPERLINK 卡盟"
    assert (row["complaints"], row["upheld"], row["overdue"]) == ("2", "2", "2")
    assert (row["is_rated"], row["first_response_on_time_rate"], row["score"]) == ("False", "", "")


def test_repeat_offenders_csv_has_next_step(client, regulator, offender):
    client.force_login(regulator)

    rows = read_csv(client.get(reverse("regulation:dashboard-export-repeat-offenders"), {"min_complaints": 4}))

    assert [(row["slug"], row["upheld_and_overdue"], row["next_step"]) for row in rows] == [
        (offender.slug, "4", "warning"),
    ]


def test_scorecard_page_shows_version_weights_and_minimum(client, regulator, settings):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 7
    client.force_login(regulator)

    response = client.get(reverse("regulation:dashboard-scorecard"))

    html = response.content.decode()
    assert SCORECARD_VERSION in html
    assert [component.weight for component in response.context["components"]] == [25, 25, 20, 15, 10, 5]
    assert '<td class="num">25</td>' in html
    assert response.context["min_complaints"] == 7


def test_dashboard_query_count_does_not_grow_with_platforms(client, regulator, django_assert_max_num_queries):
    client.force_login(regulator)
    for _ in range(3):
        file_complaint(platform=PlatformFactory())
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("regulation:dashboard-home"))
    for _ in range(12):
        file_complaint(platform=PlatformFactory())

    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("regulation:dashboard-home"))

    assert len(response.context["ranking"]) == 15


# --- When the figures were counted ----------------------------------------------------------------------------

MORNING = datetime(2026, 3, 20, 9, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def at(monkeypatch):
    """Pins timezone.now() (what the dashboard and the refresh read) to the moment given."""

    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_now


def test_dashboard_says_nothing_of_a_refresh_before_the_first_one(client, regulator):
    file_complaint(platform=PlatformFactory())
    client.force_login(regulator)

    response = client.get(reverse("regulation:dashboard-home"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.context["as_of"] is None
    assert response.context["totals"].complaints == 1
    assert "Figures as of" not in response.content.decode()


def test_dashboard_shows_when_its_figures_were_counted(client, regulator, at):
    at(MORNING)
    refresh_daily_stats()
    at(MORNING + timedelta(minutes=4))
    client.force_login(regulator)

    english = client.get(reverse("regulation:dashboard-home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(reverse("regulation:dashboard-home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert '<time datetime="2026-03-20T09:05:00+08:00">Figures as of 09:05</time>' in english
    assert "数据截至 09:05" in chinese


def test_dashboard_gives_the_date_of_figures_counted_on_an_earlier_day(client, regulator, at):
    at(MORNING - timedelta(days=2))
    refresh_daily_stats()
    at(MORNING)
    client.force_login(regulator)

    page = client.get(reverse("regulation:dashboard-home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Figures as of 2026-03-18 09:05" in page


def test_an_empty_csv_export_still_names_its_columns(client, regulator):
    client.force_login(regulator)

    response = client.get(reverse("regulation:dashboard-export-repeat-offenders"))

    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert content.splitlines() == [",".join(RepeatOffenderSerializer().fields)]
