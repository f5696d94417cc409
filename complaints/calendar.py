"""Working days in mainland China: public holidays, make-up workdays (调休) and regulators' exceptions.

Deadlines are computed in Asia/Shanghai and stored in UTC. Every computed deadline carries an explanation
(start, counted days, skipped dates) so a platform or a court can check the arithmetic.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from portal.access import acts_as_regulator
from portal.audit import changes, record_act
from portal.models import AuditAction

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXCEPTIONS_CACHE_KEY = "calendar-exceptions-v1"


@lru_cache(maxsize=16)
def _china_holidays(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


def _exceptions() -> dict[date, bool]:
    """Regulator-edited exceptions, cached; the admin clears the cache on every change."""
    exceptions = cache.get(EXCEPTIONS_CACHE_KEY)
    if exceptions is None:
        from .models import CalendarException

        exceptions = dict(CalendarException.objects.values_list("date", "is_working_day"))
        cache.set(EXCEPTIONS_CACHE_KEY, exceptions, 300)
    return exceptions


def clear_exceptions_cache() -> None:
    cache.delete(EXCEPTIONS_CACHE_KEY)


def day_status(day: date, exceptions: dict[date, bool] | None = None) -> tuple[bool, str]:
    """Whether ``day`` is a working day, and why (the reason is shown in deadline explanations)."""
    exceptions = _exceptions() if exceptions is None else exceptions
    if day in exceptions:
        return exceptions[day], "regulator exception"
    calendar = _china_holidays(day.year)
    if day in calendar:
        return False, str(calendar.get(day))
    if day in calendar.weekend_workdays:
        return True, "make-up workday"
    if day.weekday() >= 5:
        return False, "weekend"
    return True, "working day"


def is_working_day(day: date, exceptions: dict[date, bool] | None = None) -> bool:
    return day_status(day, exceptions)[0]


@dataclass
class WorkingDayDeadline:
    start: datetime
    due: datetime
    working_days: int
    counting_from: date
    skipped: list[tuple[date, str]] = field(default_factory=list)
    # Set when the period is counted in whole days (Order 121 Art. 45): the day it ends with.
    last_day: date | None = None

    def explanation(self) -> dict:
        explanation = {
            "unit": "working_days",
            "start": self.start.astimezone(SHANGHAI).isoformat(),
            "counting_from": self.counting_from.isoformat(),
            "working_days": self.working_days,
            "skipped": [{"date": day.isoformat(), "reason": reason} for day, reason in self.skipped],
            "due": self.due.astimezone(SHANGHAI).isoformat(),
            "timezone": "Asia/Shanghai",
        }
        if self.last_day is not None:
            explanation["last_day"] = self.last_day.isoformat()
        return explanation


def add_working_days(start: datetime, working_days: int) -> WorkingDayDeadline:
    """The moment ``working_days`` full working days after ``start``.

    A clock started on a working day ends at the same time of day on the n-th following working day
    (Friday 15:00 + 1 → Monday 15:00). A clock started on a non-working day starts counting at 00:00 of the
    next working day, so Saturday 10:00 + 1 → Tuesday 00:00 (the end of Monday).
    """
    exceptions = _exceptions()
    local = start.astimezone(SHANGHAI)
    skipped: list[tuple[date, str]] = []
    day = local.date()
    working, reason = day_status(day, exceptions)
    if working:
        time_of_day = local.timetz().replace(tzinfo=None)
        counting_from = day
    else:
        while not working:
            skipped.append((day, reason))
            day += timedelta(days=1)
            working, reason = day_status(day, exceptions)
        time_of_day = time(0, 0)
        counting_from = day
    remaining = working_days
    while remaining > 0:
        day += timedelta(days=1)
        working, reason = day_status(day, exceptions)
        if working:
            remaining -= 1
        else:
            skipped.append((day, reason))
    due = datetime.combine(day, time_of_day, tzinfo=SHANGHAI)
    return WorkingDayDeadline(
        start=start, due=due, working_days=working_days, counting_from=counting_from, skipped=skipped
    )


def add_calendar_days(start: datetime, days: int) -> tuple[datetime, dict]:
    due = start + timedelta(days=days)
    return due, {
        "unit": "calendar_days",
        "start": start.astimezone(SHANGHAI).isoformat(),
        "days": days,
        "due": due.astimezone(SHANGHAI).isoformat(),
        "timezone": "Asia/Shanghai",
    }


# A period counted in whole days ends with its last day: at its last second, Beijing time.
END_OF_DAY = time(23, 59, 59)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)


def add_working_days_whole(start: datetime, working_days: int) -> WorkingDayDeadline:
    """The end of the ``working_days``-th working day after the day of ``start`` (Order 121 Art. 45).

    The starting day is not counted, whatever its time or kind; counting starts with the next working day, and
    the period ends at the end of its last working day (which is never a holiday, so nothing moves).
    """
    exceptions = _exceptions()
    day = start.astimezone(SHANGHAI).date()
    skipped: list[tuple[date, str]] = []
    counting_from = None
    remaining = working_days
    while remaining > 0:
        day += timedelta(days=1)
        working, reason = day_status(day, exceptions)
        if working:
            counting_from = counting_from or day
            remaining -= 1
        else:
            skipped.append((day, reason))
    return WorkingDayDeadline(
        start=start,
        due=end_of_day(day),
        working_days=working_days,
        counting_from=counting_from or day,
        skipped=skipped,
        last_day=day,
    )


def add_calendar_days_whole(start: datetime, days: int) -> tuple[datetime, dict]:
    """The end of the ``days``-th day after the day of ``start`` (Order 121 Art. 45), with its explanation.

    The starting day is not counted. A last day that is not a working day (a public holiday, or a weekend that
    is not a make-up workday) gives way to the first working day after it: the portal reads Art. 45's
    法定节假日 as every day the calendar marks as a day off, as courts read the same rule in procedure law.
    """
    exceptions = _exceptions()
    local_day = start.astimezone(SHANGHAI).date()
    last_day = local_day + timedelta(days=days)
    day = last_day
    moved_over: list[tuple[date, str]] = []
    working, reason = day_status(day, exceptions)
    while not working:
        moved_over.append((day, reason))
        day += timedelta(days=1)
        working, reason = day_status(day, exceptions)
    due = end_of_day(day)
    return due, {
        "unit": "calendar_days",
        "start": start.astimezone(SHANGHAI).isoformat(),
        "counting_from": (local_day + timedelta(days=1)).isoformat(),
        "days": days,
        "last_day": day.isoformat(),
        "skipped": [{"date": skipped.isoformat(), "reason": reason} for skipped, reason in moved_over],
        "due": due.isoformat(),
        "timezone": "Asia/Shanghai",
    }


# --- regulators' corrections ---------------------------------------------------------------------------------

CALENDAR_EXCEPTION_FIELDS = ("date", "is_working_day", "note")


def calendar_exception_save(*, by, exception) -> None:
    """Save a regulator's calendar correction (new or edited, not yet saved) and record it in the audit trail.

    Deadlines computed afterwards use it; the cached exceptions are cleared after commit, since cleared earlier a
    concurrent request could cache the old rows again.
    """
    from .models import CalendarException

    _require_regulator(by)
    with transaction.atomic():
        before = CalendarException.objects.select_for_update().filter(pk=exception.pk).first() if exception.pk else None
        exception.save()
        data = (
            changes(before, exception, CALENDAR_EXCEPTION_FIELDS)
            if before is not None
            else {name: {"before": None, "after": getattr(exception, name)} for name in CALENDAR_EXCEPTION_FIELDS}
        )
        if data:
            record_act(by=by, action=AuditAction.CALENDAR_EXCEPTION_SAVED, obj=exception, data=data)
        transaction.on_commit(clear_exceptions_cache)


def calendar_exceptions_delete(*, by, exceptions) -> None:
    """Delete calendar corrections, recording each one as it was."""
    _require_regulator(by)
    with transaction.atomic():
        for exception in exceptions:
            record_act(
                by=by,
                action=AuditAction.CALENDAR_EXCEPTION_DELETED,
                obj=exception,
                data={name: {"before": getattr(exception, name), "after": None} for name in CALENDAR_EXCEPTION_FIELDS},
            )
            exception.delete()
        transaction.on_commit(clear_exceptions_cache)


def _require_regulator(by) -> None:
    if not acts_as_regulator(by):
        raise PermissionDenied(_("Only regulators can correct the working-day calendar."))
