"""The clocks of a complaint: start, meet, pause and resume. The sweep that breaches them is in sweep.py."""

from datetime import datetime

from django.conf import settings

from .calendar import add_calendar_days, add_working_days
from .models import Complaint, Deadline


def compute_due(kind: str, start: datetime) -> tuple[datetime, dict]:
    length, unit = settings.PORTAL_DEADLINES[kind]
    if unit == "working":
        computed = add_working_days(start, length)
        return computed.due, computed.explanation()
    return add_calendar_days(start, length)


def build_clock(complaint: Complaint, kind: str, start: datetime) -> Deadline:
    due_at, explanation = compute_due(kind, start)
    return Deadline(complaint=complaint, kind=kind, started_at=start, due_at=due_at, explanation=explanation)


def start_clocks(complaint: Complaint, kinds, start: datetime) -> list[Deadline]:
    """Start (or restart) clocks; a restarted clock forgets its earlier run."""
    clocks = []
    for kind in kinds:
        clock = build_clock(complaint, kind, start)
        Deadline.objects.update_or_create(
            complaint=complaint,
            kind=kind,
            defaults={
                "started_at": clock.started_at,
                "due_at": clock.due_at,
                "explanation": clock.explanation,
                "met_at": None,
                "breached_at": None,
                "reminded_at": None,
                "paused_at": None,
                "paused_seconds": 0,
                "cancelled_at": None,
            },
        )
        clocks.append(clock)
    return clocks


def meet_clocks(complaint: Complaint, kinds, at: datetime) -> int:
    """Stop the running clocks of these kinds. A clock already missed is still met (late), for statistics."""
    return Deadline.objects.filter(
        complaint=complaint, kind__in=kinds, met_at__isnull=True, cancelled_at__isnull=True
    ).update(met_at=at, paused_at=None)


def pause_clocks(complaint: Complaint, kinds, at: datetime) -> int:
    return (
        Deadline.objects.filter(complaint=complaint, kind__in=kinds, paused_at__isnull=True)
        .running()
        .update(paused_at=at)
    )


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
    return resumed
