"""Working-day deadlines across Chinese public holidays, make-up workdays (调休) and regulator exceptions.

The 2026 dates come from the ``holidays`` package: National Day is Oct 1–7 (Sun Sep 20 and Sat Oct 10 are
make-up workdays), Spring Festival is Feb 15–23 (Sat Feb 14 and Sat Feb 28 are make-up workdays).
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from complaints.calendar import SHANGHAI, add_working_days, clear_exceptions_cache, is_working_day
from complaints.deadlines import build_clock, compute_due
from complaints.models import CalendarException, ClockKind, Deadline
from tests.factories import file_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.dated]


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def dates_between(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=offset)).isoformat() for offset in range((last - first).days + 1)]


NATIONAL_DAY_2026 = dates_between(date(2026, 10, 1), date(2026, 10, 7))
SPRING_FESTIVAL_2026 = dates_between(date(2026, 2, 15), date(2026, 2, 23))


@pytest.fixture
def regulator_calendar():
    """A regulator turns Tuesday 2026-03-10 into a holiday and Saturday 2026-03-14 into a working day."""
    CalendarException.objects.create(date=date(2026, 3, 10), is_working_day=False, note="临时休假")
    CalendarException.objects.create(date=date(2026, 3, 14), is_working_day=True, note="临时补班")
    clear_exceptions_cache()
    yield
    clear_exceptions_cache()


@pytest.mark.parametrize(
    ("start", "working_days", "due", "skipped"),
    [
        pytest.param(
            shanghai(2026, 9, 30, 10),
            1,
            shanghai(2026, 10, 8, 10),
            NATIONAL_DAY_2026,
            id="national-day-holiday-is-skipped",
        ),
        pytest.param(
            shanghai(2026, 10, 9, 15),
            1,
            shanghai(2026, 10, 10, 15),
            [],
            id="make-up-saturday-after-national-day-is-a-working-day",
        ),
        pytest.param(
            shanghai(2026, 9, 18, 15),
            1,
            shanghai(2026, 9, 20, 15),
            ["2026-09-19"],
            id="make-up-sunday-before-national-day-is-a-working-day",
        ),
        pytest.param(
            shanghai(2026, 2, 14, 10),
            1,
            shanghai(2026, 2, 24, 10),
            SPRING_FESTIVAL_2026,
            id="spring-festival-from-make-up-saturday",
        ),
        pytest.param(
            shanghai(2026, 2, 13, 10),
            3,
            shanghai(2026, 2, 25, 10),
            SPRING_FESTIVAL_2026,
            id="spring-festival-crossed-by-three-working-days",
        ),
        pytest.param(
            shanghai(2026, 11, 27, 15),
            1,
            shanghai(2026, 11, 30, 15),
            ["2026-11-28", "2026-11-29"],
            id="ordinary-weekend-is-skipped",
        ),
    ],
)
def test_add_working_days_skips_holidays_and_counts_make_up_days(start, working_days, due, skipped):
    computed = add_working_days(start, working_days)
    assert computed.due == due
    assert [day.isoformat() for day, _reason in computed.skipped] == skipped


def test_skipped_national_day_dates_carry_their_reasons():
    computed = add_working_days(shanghai(2026, 9, 30, 10), 1)
    reasons = {day.isoformat(): reason for day, reason in computed.skipped}
    assert reasons["2026-10-01"] == "National Day"
    assert reasons["2026-10-04"] == "weekend"
    assert reasons["2026-10-07"] == "Day off (substituted from 10/10/2026)"


@pytest.mark.parametrize(
    ("start", "counting_from", "due"),
    [
        pytest.param(shanghai(2026, 3, 7, 10), date(2026, 3, 9), shanghai(2026, 3, 10), id="saturday"),
        pytest.param(shanghai(2026, 3, 8, 23, 30), date(2026, 3, 9), shanghai(2026, 3, 10), id="sunday-late-evening"),
        pytest.param(shanghai(2026, 10, 3, 9), date(2026, 10, 8), shanghai(2026, 10, 9), id="national-day"),
    ],
)
def test_clock_started_on_a_non_working_day_counts_from_midnight_of_the_next_working_day(start, counting_from, due):
    computed = add_working_days(start, 1)
    assert computed.counting_from == counting_from
    assert computed.due == due


@pytest.mark.usefixtures("regulator_calendar")
@pytest.mark.parametrize(
    ("start", "due", "skipped"),
    [
        pytest.param(
            shanghai(2026, 3, 9, 10),
            shanghai(2026, 3, 11, 10),
            [("2026-03-10", "regulator exception")],
            id="working-day-turned-holiday",
        ),
        pytest.param(shanghai(2026, 3, 13, 10), shanghai(2026, 3, 14, 10), [], id="saturday-turned-working-day"),
    ],
)
def test_regulator_calendar_exception_changes_the_due_time(start, due, skipped):
    computed = add_working_days(start, 1)
    assert computed.due == due
    assert [(day.isoformat(), reason) for day, reason in computed.skipped] == skipped


def test_regulator_calendar_exception_applies_only_after_the_cache_is_cleared():
    start = shanghai(2026, 3, 9, 10)
    assert add_working_days(start, 1).due == shanghai(2026, 3, 10, 10)
    CalendarException.objects.create(date=date(2026, 3, 10), is_working_day=False)
    assert is_working_day(date(2026, 3, 10))  # still the cached calendar
    clear_exceptions_cache()
    assert add_working_days(start, 1).due == shanghai(2026, 3, 11, 10)


def test_explanation_lists_start_working_days_skipped_dates_and_due():
    _due_at, explanation = compute_due(ClockKind.FIRST_RESPONSE, shanghai(2026, 9, 30, 10))
    assert explanation["unit"] == "working_days"
    assert explanation["start"] == "2026-09-30T10:00:00+08:00"
    assert explanation["counting_from"] == "2026-09-30"
    assert explanation["working_days"] == 1
    assert [skipped["date"] for skipped in explanation["skipped"]] == NATIONAL_DAY_2026
    assert {"date": "2026-10-01", "reason": "National Day"} in explanation["skipped"]
    assert explanation["due"] == "2026-10-08T10:00:00+08:00"
    assert explanation["timezone"] == "Asia/Shanghai"


def test_built_clock_due_at_is_the_computed_shanghai_time(complaint):
    start = shanghai(2026, 9, 30, 10)
    clock = build_clock(complaint, ClockKind.RESOLUTION, start)
    # resolution = 3 working days: Oct 8, Oct 9 and the make-up Saturday Oct 10.
    assert clock.due_at == shanghai(2026, 10, 10, 10)
    assert clock.explanation["due"] == "2026-10-10T10:00:00+08:00"


def test_stored_due_at_is_utc_aware_and_equals_the_shanghai_local_time():
    filed_at = shanghai(2026, 9, 30, 10)
    complaint = file_complaint(now=filed_at, paid_at=filed_at - timedelta(hours=5))
    stored = Deadline.objects.get(complaint=complaint, kind=ClockKind.FIRST_RESPONSE)
    assert stored.due_at.utcoffset() == timedelta(0)
    assert stored.due_at == datetime(2026, 10, 8, 2, 0, tzinfo=UTC)
    assert stored.due_at.astimezone(SHANGHAI).replace(tzinfo=None) == datetime(2026, 10, 8, 10, 0)
