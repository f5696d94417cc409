"""The clocks of a complaint: start, meet, pause and resume, and the complaint's stored next platform deadline
(``Complaint.platform_due_at``) kept in step with them. The sweep that breaches them is in sweep.py."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import OuterRef, Subquery

from .calendar import add_calendar_days, add_working_days
from .models import PLATFORM_CLOCKS, Complaint, Deadline


def compute_due(kind: str, start: datetime) -> tuple[datetime, dict]:
    length, unit = settings.PORTAL_DEADLINES[kind]
    if unit == "working":
        computed = add_working_days(start, length)
        return computed.due, computed.explanation()
    return add_calendar_days(start, length)


def build_clock(complaint: Complaint, kind: str, start: datetime) -> Deadline:
    due_at, explanation = compute_due(kind, start)
    return Deadline(complaint=complaint, kind=kind, started_at=start, due_at=due_at, explanation=explanation)


# What a restart resets: a restarted clock forgets its earlier run.
_RESTART_FIELDS = [
    "started_at",
    "due_at",
    "explanation",
    "met_at",
    "breached_at",
    "reminded_at",
    "paused_at",
    "paused_seconds",
    "cancelled_at",
]


def start_clocks(complaint: Complaint, kinds, start: datetime) -> list[Deadline]:
    """Start (or restart) clocks; a restarted clock forgets its earlier run."""
    clocks = start_clocks_of([complaint], kinds, start)
    _sync_if_platform_clocks(complaint, kinds)
    return clocks


def start_clocks_of(complaints: Iterable[Complaint], kinds, start: datetime) -> list[Deadline]:
    """``start_clocks`` for any number of complaints in one INSERT … ON CONFLICT; ``platform_due_at`` is left to
    the caller."""
    clocks = [build_clock(complaint, kind, start) for complaint in complaints for kind in kinds]
    if clocks:
        Deadline.objects.bulk_create(
            clocks, update_conflicts=True, unique_fields=["complaint", "kind"], update_fields=_RESTART_FIELDS
        )
    return clocks


def meet_clocks(complaint: Complaint, kinds, at: datetime) -> int:
    """Stop the running clocks of these kinds. A clock already missed is still met (late), for statistics."""
    met = meet_clocks_of([complaint.pk], kinds, at)
    if met:
        _sync_if_platform_clocks(complaint, kinds)
    return met


def meet_clocks_of(complaint_ids: Iterable[int], kinds, at: datetime) -> int:
    """``meet_clocks`` for any number of complaints in one UPDATE; ``platform_due_at`` is left to the caller."""
    return Deadline.objects.filter(
        complaint_id__in=complaint_ids, kind__in=kinds, met_at__isnull=True, cancelled_at__isnull=True
    ).update(met_at=at, paused_at=None)


@dataclass(frozen=True)
class ClockChanges:
    """What a move does to a complaint's clocks: the kinds it meets, whether the paused ones count again, and the
    kinds it starts. One move, one description, whether it is made for one complaint or for a set."""

    meet: tuple[str, ...] = ()
    unpause: bool = False
    start: tuple[str, ...] = ()


def change_clocks(complaints: list[Complaint], changes: ClockChanges, at: datetime) -> None:
    """Make ``changes`` to the clocks of ``complaints``: a fixed number of queries whatever their number.

    ``platform_due_at`` is left to the caller, who may have more clock changes to fold into the same UPDATE.
    """
    ids = [complaint.pk for complaint in complaints]
    if changes.meet:
        meet_clocks_of(ids, changes.meet, at)
    if changes.unpause:
        Deadline.objects.filter(complaint_id__in=ids, paused_at__isnull=False).update(paused_at=None)
    if changes.start:
        start_clocks_of(complaints, changes.start, at)


def pause_clocks(complaint: Complaint, kinds, at: datetime) -> int:
    paused = (
        Deadline.objects.filter(complaint=complaint, kind__in=kinds, paused_at__isnull=True)
        .running()
        .update(paused_at=at)
    )
    if paused:
        _sync_if_platform_clocks(complaint, kinds)
    return paused


def resume_clocks(complaint: Complaint, kinds, at: datetime) -> list[Deadline]:
    """Push each paused clock's due time back by the time it was paused, and say so in its explanation."""
    resumed = []
    for clock in Deadline.objects.filter(complaint=complaint, kind__in=kinds, paused_at__isnull=False):
        pause = at - clock.paused_at
        clock.due_at += pause
        clock.paused_seconds += int(pause.total_seconds())
        clock.explanation = {
            **clock.explanation,
            "pauses": [
                *clock.explanation.get("pauses", []),
                {
                    "from": clock.paused_at.isoformat(),
                    "to": at.isoformat(),
                    "seconds": int(pause.total_seconds()),
                },
            ],
            "due": clock.due_at.isoformat(),
        }
        clock.paused_at = None
        clock.save(update_fields=["due_at", "paused_seconds", "explanation", "paused_at"])
        resumed.append(clock)
    if resumed:
        _sync_if_platform_clocks(complaint, kinds)
    return resumed


def sync_platform_due(complaint_ids: Iterable[int]) -> int:
    """Store on each complaint the due time of its earliest running, unpaused platform clock (NULL when none).

    One UPDATE for all the complaints, whatever their number. A paused clock is left out: its due time moves
    when it resumes, so it promises nothing yet.
    """
    earliest = (
        Deadline.objects.running()
        .filter(complaint=OuterRef("pk"), kind__in=PLATFORM_CLOCKS, paused_at__isnull=True)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return Complaint.objects.filter(pk__in=complaint_ids).update(platform_due_at=Subquery(earliest))


def sync_complaint_platform_due(complaint: Complaint) -> None:
    """``sync_platform_due`` for a complaint in hand, whose own copy of the value is then dropped."""
    sync_platform_due([complaint.pk])
    # A field missing from the instance is deferred: reading it loads the stored value, and save() without
    # update_fields leaves it out, so the stale copy can neither be shown nor written back.
    vars(complaint).pop("platform_due_at", None)


def _sync_if_platform_clocks(complaint: Complaint, kinds) -> None:
    # Only platform clocks decide platform_due_at: a change to another clock costs no UPDATE.
    if not set(kinds).isdisjoint(PLATFORM_CLOCKS):
        sync_complaint_platform_due(complaint)
