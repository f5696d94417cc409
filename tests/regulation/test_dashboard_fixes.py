"""The dashboard's trend chart geometry, its ranking table's layout and the unrated platforms' wording."""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.urls import reverse

from regulation import charts
from regulation.statistics import TrendWeek
from tests.factories import PlatformFactory, file_complaint

SVG = "{http://www.w3.org/2000/svg}"
# A generous width per character of the 12 px tick labels (digits and "-" are narrower in every font in use).
TICK_CHAR_WIDTH = 0.65 * 12


def chart(values: list[int]) -> ET.Element:
    weeks = [
        TrendWeek(week_start=date(2026, 9, 14) + timedelta(weeks=i), filed=value, upheld=value, overdue=value)
        for i, value in enumerate(values)
    ]
    # The markup is our own rendering, not untrusted input.
    return ET.fromstring(str(charts.weekly_trend_svg(weeks, chart_id="c", title="t", description="d")))  # noqa: S314


def x_axis_labels(svg: ET.Element) -> list[ET.Element]:
    return [
        text
        for text in svg.iter(f"{SVG}text")
        if text.get("class") == "chart-tick" and text.get("text-anchor") == "middle"
    ]


def polyline_ys(svg: ET.Element) -> set[float]:
    return {float(point.split(",")[1]) for line in svg.iter(f"{SVG}polyline") for point in line.get("points").split()}


def x_axis_y(svg: ET.Element) -> float:
    axis = next(line for line in svg.iter(f"{SVG}line") if line.get("class") == "chart-axis")
    return float(axis.get("y1"))


@pytest.mark.parametrize("weeks", [12, 13, 5])
def test_every_week_label_fits_inside_the_charts_view_box(weeks):
    svg = chart(list(range(weeks)))
    width = float(svg.get("viewBox").split()[2])

    labels = x_axis_labels(svg)

    assert labels and labels[-1].text == (date(2026, 9, 14) + timedelta(weeks=weeks - 1)).strftime("%m-%d")
    for label in labels:
        half = len(label.text) * TICK_CHAR_WIDTH / 2
        assert float(label.get("x")) - half >= 0, label.text
        assert float(label.get("x")) + half <= width, f"{label.text} is clipped at the right edge"


@pytest.mark.parametrize("value", [0, 3])
def test_a_flat_chart_is_drawn_at_mid_height_not_under_the_x_axis(value):
    svg = chart([value] * 12)

    (y,) = polyline_ys(svg)

    assert y != x_axis_y(svg)
    assert y == pytest.approx(charts.TOP + charts.PLOT_HEIGHT / 2)
    ticks = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-tick" and t.get("text-anchor") == "end"]
    assert [t.text for t in ticks] == [str(value)]


def test_a_chart_that_varies_keeps_zero_on_the_axis_and_round_ticks():
    svg = chart([0, 2, 5, 1])

    assert max(polyline_ys(svg)) == x_axis_y(svg)
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-tick" and t.get("text-anchor") == "end"]
    assert ticks == ["0", "2", "4", "6", "8"]


@pytest.mark.django_db
def test_an_unrated_platform_says_how_many_complaints_it_has_and_needs(client, regulator, settings):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 5
    platform = PlatformFactory(name="稀少卡盟")
    for _ in range(2):
        file_complaint(platform=platform)
    client.cookies["django_language"] = "en"
    client.force_login(regulator)

    html = client.get(reverse("regulation:dashboard-home")).content.decode()

    assert "Not rated: 2 of the 5 complaints needed" in html


@pytest.mark.django_db
def test_the_minimum_to_rate_is_the_setting(client, regulator, settings):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 2
    platform = PlatformFactory(name="稀少卡盟")
    for _ in range(2):
        file_complaint(platform=platform)
    client.force_login(regulator)

    response = client.get(reverse("regulation:dashboard-home"))

    (row,) = [row for row in response.context["ranking"] if row.platform == platform]
    assert row.scorecard.is_rated and row.scorecard.complaints == 2


@pytest.mark.django_db
def test_the_wide_tables_wrap_their_headings_and_scroll_in_a_keyboard_reachable_region(client, regulator):
    file_complaint()
    client.force_login(regulator)

    html = client.get(reverse("regulation:dashboard-home")).content.decode()

    ranking = re.search(r'<div class="table-wrap"([^>]*)>\s*<table class="([^"]*)">\s*<caption>\s*Best first', html)
    if ranking is None:  # the default language words the caption in Chinese
        ranking = re.search(r'<div class="table-wrap"([^>]*)>\s*<table class="([^"]*)">\s*<caption>[^<]*评分', html)
    assert ranking is not None
    assert 'tabindex="0"' in ranking.group(1) and 'role="region"' in ranking.group(1)
    assert "table-compact" in ranking.group(2)
