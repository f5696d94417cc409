"""The regulator's daily pages in Chromium: landing on the worklist and following its links, axe in both
languages, and the dashboard's wide tables and chart at desktop and phone widths."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.roles import make_regulator
from tests.e2e.conftest import (
    PHONE,
    duplicate_ids,
    horizontal_overflow,
    log_in_as,
    login,
    run_axe,
    screenshot,
)
from tests.e2e.test_accessibility import PHONE_RULES, format_violations
from tests.factories import DEFAULT_PASSWORD, PlatformFactory, RegulatorFactory, file_complaint
from tests.regulation.desk_helpers import escalated_complaint

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def regulator_with_work():
    """A national regulator, one complaint awaiting the acceptance decision and one a platform left overdue."""
    regulator = RegulatorFactory(username="worklist-regulator")
    make_regulator(regulator)
    waiting = escalated_complaint(platform=PlatformFactory(name="星辰卡盟", slug="xingchen"))
    long_ago = timezone.now() - timedelta(days=10)
    overdue = file_complaint(platform=PlatformFactory(name="极速卡盟"), now=long_ago, paid_at=long_ago)
    return regulator, waiting, overdue


def test_the_regulator_lands_on_the_worklist_and_follows_its_links(new_page):
    regulator, waiting, overdue = regulator_with_work()
    page = new_page()

    login(page, regulator.username, DEFAULT_PASSWORD)

    assert page.url.endswith("/regulator/worklist/")
    assert page.locator("#awaiting_acceptance").get_by_role("link", name=waiting.reference).is_visible()
    assert page.locator("#overdue_platform").get_by_role("link", name=overdue.reference).is_visible()
    screenshot(page, "worklist-regulator")
    page.locator("#awaiting_acceptance").get_by_role("link", name=waiting.reference).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/admin/complaints/complaint/{waiting.pk}/change/")
    page.go_back()
    page.locator("#overdue_platform a[href*='worklist=overdue_platform']").click()
    page.wait_for_load_state()
    assert "worklist=overdue_platform" in page.url
    assert page.locator("#result_list").get_by_text(overdue.reference).is_visible()
    assert page.locator("#result_list").get_by_text(waiting.reference).count() == 0


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_worklist_has_no_serious_axe_violations_and_fits_a_phone(new_page, live_server, language):
    regulator, _waiting, _overdue = regulator_with_work()
    desktop = new_page(language=language, axe=True)
    log_in_as(desktop.context, regulator, live_server.url)
    phone = new_page(viewport=PHONE, context=desktop.context)

    desktop.goto("/regulator/worklist/")
    found = run_axe(desktop)
    if duplicates := duplicate_ids(desktop):
        found.append({"id": "duplicate ids", "impact": "serious", "help": "", "nodes": duplicates})
    phone.goto("/regulator/worklist/")
    found += [{**violation, "id": f"{violation['id']} (390 px)"} for violation in run_axe(phone, PHONE_RULES)]

    assert not found, format_violations({f"worklist {language}": found})
    assert horizontal_overflow(phone) == 0
    if language == "zh-hans":
        screenshot(phone, "worklist-regulator-phone")


def crowded_ranking():
    """Platforms with long names, enough complaints to be rated, and a row per platform in the ranking."""
    for index in range(6):
        platform = PlatformFactory(name=f"超长名字的虚拟商品卡盟交易平台第{index}号分站", slug=f"long-{index}")
        for _ in range(2):
            file_complaint(platform=platform)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dashboard_tables_fit_the_page_at_desktop_and_phone_widths(new_page, live_server, settings, language):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 2
    regulator, _waiting, _overdue = regulator_with_work()
    crowded_ranking()
    desktop = new_page(language=language)
    log_in_as(desktop.context, regulator, live_server.url)
    phone = new_page(viewport=PHONE, context=desktop.context)

    desktop.goto("/dashboard/")
    ranking = desktop.locator("section[aria-labelledby=ranking-title] .table-wrap")
    widths = ranking.evaluate("wrap => [wrap.scrollWidth, wrap.clientWidth]")
    phone.goto("/dashboard/")

    assert desktop.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    assert widths[0] <= widths[1], f"the ranking is {widths[0]} px wide in a {widths[1]} px container"
    assert phone.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    if language == "en":
        screenshot(desktop, "dashboard-ranking-desktop")


def test_the_trend_charts_last_week_label_is_inside_the_drawn_chart(new_page, live_server):
    regulator, _waiting, _overdue = regulator_with_work()
    page = new_page()
    log_in_as(page.context, regulator, live_server.url)

    page.goto("/dashboard/")
    chart = page.locator("#trend-chart-title").locator("xpath=..")
    label_right, chart_right = chart.evaluate(
        """svg => {
            const labels = [...svg.querySelectorAll("text.chart-tick[text-anchor=middle]")];
            return [labels[labels.length - 1].getBoundingClientRect().right, svg.getBoundingClientRect().right];
        }"""
    )

    assert label_right <= chart_right
