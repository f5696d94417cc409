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

    def explanation(self) -> dict:
        return {
            "unit": "working_days",
            "start": self.start.astimezone(SHANGHAI).isoformat(),
            "counting_from": self.counting_from.isoformat(),
            "working_days": self.working_days,
            "skipped": [{"date": day.isoformat(), "reason": reason} for day, reason in self.skipped],
            "due": self.due.astimezone(SHANGHAI).isoformat(),
            "timezone": "Asia/Shanghai",
        }


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
