"""Statistics across the turn of the year: filing days are Asia/Shanghai days, eight hours ahead of UTC, so the
first complaints of 2027 are filed on 31 December in UTC. Windows, the rollup and the weekly trend must all put
them in 2027 (and in the ISO week that began on Monday 28 December 2026)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from regulation.models import PlatformDailyStats
from regulation.rollup import refresh_daily_stats
from regulation.statistics import market_totals, weekly_trend
from tests.factories import PlatformFactory, file_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

SHANGHAI = ZoneInfo("Asia/Shanghai")
LAST_MINUTE_OF_2026 = datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI)
FIRST_MINUTE_OF_2027 = datetime(2027, 1, 1, 0, 0, 10, tzinfo=SHANGHAI)  # 2026-12-31 16:00:10 UTC
NOW = datetime(2027, 1, 1, 0, 5, tzinfo=SHANGHAI)


@pytest.fixture
def new_year():
    platform = PlatformFactory()
    with time_machine.travel(NOW):
        for filed_at in (LAST_MINUTE_OF_2026, FIRST_MINUTE_OF_2027, FIRST_MINUTE_OF_2027):
            file_complaint(platform=platform, now=filed_at, paid_at=filed_at - timedelta(hours=1))
        yield platform


@pytest.mark.parametrize(("days", "complaints"), [(1, 2), (2, 3)])
def test_a_window_just_after_midnight_starts_at_the_shanghai_midnight(new_year, days, complaints):
    assert market_totals(days=days, now=NOW).complaints == complaints


def test_the_rollup_files_each_complaint_under_its_shanghai_day(new_year):
    refresh_daily_stats(now=NOW)
    assert dict(PlatformDailyStats.objects.values_list("day", "complaints")) == {
        date(2026, 12, 31): 1,
        date(2027, 1, 1): 2,
    }


@pytest.mark.parametrize("days", [1, 2, 7])
def test_the_rollup_and_the_direct_count_agree_across_the_new_year(new_year, settings, days):
    refresh_daily_stats(now=NOW)
    settings.PORTAL_STATS_FROM_ROLLUP = False
    direct = market_totals(days=days, now=NOW)
    settings.PORTAL_STATS_FROM_ROLLUP = True
    assert market_totals(days=days, now=NOW) == direct


@pytest.mark.parametrize("from_rollup", [False, True])
def test_the_weekly_trend_keeps_new_year_s_eve_and_day_in_one_iso_week(new_year, settings, from_rollup):
    refresh_daily_stats(now=NOW)
    settings.PORTAL_STATS_FROM_ROLLUP = from_rollup
    [week] = weekly_trend(weeks=1, now=NOW)
    assert (week.week_start, week.filed) == (date(2026, 12, 28), 3)
