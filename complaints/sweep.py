"""The deadline sweep: reminders, breaches, overdue marking, automatic escalation and acceptance.

One pass is a fixed number of set-based queries, whatever the number of open complaints: the candidates come
from the partial index on open clocks, the affected complaints are locked with SKIP LOCKED (two sweeps at once
split the work instead of doing it twice), and events, clocks, complaints and notifications are written in bulk.

Escalation and acceptance are the services' own moves (``transitions.py``: same guard, same event data, same
clock changes) and tell whom the services tell (``notifications.escalation_notices``); only the writing differs.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import notifications, transitions
from .deadlines import ClockChanges, change_clocks, sync_platform_due
from .events import SYSTEM_ACTOR, build_event
from .models import PLATFORM_CLOCKS, ClockKind, Complaint, Deadline, Event, EventKind
from .transitions import Trigger

BATCH_SIZE = 5000


@dataclass
class SweepResult:
    reminded: int = 0
    breached: int = 0
    escalated: int = 0
    auto_accepted: int = 0
    complaints: set = field(default_factory=set)

    def as_dict(self) -> dict:
        return {
            "reminded": self.reminded,
            "breached": self.breached,
            "escalated": self.escalated,
            "auto_accepted": self.auto_accepted,
        }


def _open_clocks():
    return Deadline.objects.running().filter(paused_at__isnull=True)


def deadlines_sweep(*, now: datetime | None = None) -> SweepResult:
    """Run one pass at ``now`` (injectable for tests and ``manage.py sweep_deadlines --now``). Idempotent."""
    now = now or timezone.now()
    due = _open_clocks().filter(due_at__lte=now)
    reminder = _open_clocks().filter(
        reminded_at__isnull=True,
        due_at__gt=now,
        due_at__lte=now + settings.PORTAL_REMINDER_LEAD,
        kind__in=[*PLATFORM_CLOCKS, ClockKind.REGULATOR_ACCEPTANCE],
    )
    result = SweepResult()
    with transaction.atomic():
        # The ids first, from the small index of running clocks: "id IN (…) OR id IN (…)" inside the locking
        # query made PostgreSQL filter every complaint ever filed instead.
        candidate_ids = list(
            due.order_by()
            .values_list("complaint_id", flat=True)
            .union(reminder.order_by().values_list("complaint_id", flat=True))
        )
        if not candidate_ids:
            return result
        candidates = Complaint.objects.filter(pk__in=candidate_ids)
        complaints = {
            c.pk: c
            for c in candidates.select_for_update(skip_locked=True, of=("self",)).select_related(
                "platform", "consumer"
            )[:BATCH_SIZE]
        }
        if not complaints:
            return result
        # Re-read the clocks after locking: a sweep that finished meanwhile has already handled them.
        clocks = list((due | reminder).filter(complaint_id__in=complaints.keys()).order_by("complaint_id", "due_at"))
        _apply(now, complaints, clocks, result)
    return result


@dataclass
class _Pass:
    """What one pass is to write, gathered complaint by complaint, then written in bulk by ``_write``."""

    now: datetime
    result: SweepResult
    # The regulators' addresses by handling office: an office hears only of its own complaints.
    regulators: dict[int | None, list[str]]
    platform_staff: dict[int, list[str]]
    events: list[Event] = field(default_factory=list)
    notices: notifications.Notices = field(default_factory=notifications.Notices)
    reminded: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)
    breached_complaints: set[int] = field(default_factory=set)
    # Complaints that made a move, by the clock changes it makes (one set of queries per kind of move).
    moved: dict[ClockChanges, list[Complaint]] = field(default_factory=lambda: defaultdict(list))
    # The complaint fields each complaint changed; every complaint touched changes its chain head.
    changed: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))

    def record(self, complaint: Complaint, kind: str, data: dict) -> None:
        self.events.append(build_event(complaint, kind=kind, actor_label=SYSTEM_ACTOR, at=self.now, data=data))
        self.changed[complaint.pk].update({"event_count", "last_event_hash"})

    def regulators_of(self, complaint: Complaint) -> list[str]:
        return self.regulators.get(complaint.office_id, [])

    def staff_of(self, complaint: Complaint) -> list[str]:
        return self.platform_staff.get(complaint.platform_id, [])


def _apply(now: datetime, complaints: dict[int, Complaint], clocks: list[Deadline], result: SweepResult) -> None:
    sweep = _Pass(
        now=now,
        result=result,
        regulators=notifications.regulator_recipients_by_office({c.office_id for c in complaints.values()}),
        platform_staff=notifications.platform_recipients_by_platform(
            {c.platform_id for c in complaints.values() if c.platform_id}
        ),
    )
    # The clocks come ordered by complaint, then due time: the first missed clock that escalates a complaint
    # is the one its escalation names.
    for clock in clocks:
        complaint = complaints[clock.complaint_id]
        if clock.due_at > now:
            _remind(sweep, complaint, clock)
        else:
            _breach(sweep, complaint, clock)
    _write(sweep, complaints)


def _remind(sweep: _Pass, complaint: Complaint, clock: Deadline) -> None:
    sweep.reminded.append(clock.pk)
    sweep.result.reminded += 1
    sweep.record(complaint, EventKind.DEADLINE_REMINDED, transitions.deadline_event_data(clock))
    sweep.notices.add_email(
        notifications.reminder_message(
            complaint,
            clock,
            regulators=sweep.regulators_of(complaint),
            platform_staff=sweep.staff_of(complaint),
        )
    )


def _breach(sweep: _Pass, complaint: Complaint, clock: Deadline) -> None:
    sweep.breached.append(clock.pk)
    sweep.breached_complaints.add(complaint.pk)
    sweep.result.breached += 1
    sweep.record(complaint, EventKind.DEADLINE_BREACHED, transitions.deadline_event_data(clock))
    if clock.kind in PLATFORM_CLOCKS:
        first = not complaint.is_overdue
        if first:
            complaint.is_overdue = True
            sweep.changed[complaint.pk].add("is_overdue")
        sweep.notices.extend(
            notifications.overdue_notices(
                complaint,
                clock,
                regulators=sweep.regulators_of(complaint),
                platform_staff=sweep.staff_of(complaint),
                first=first,
            )
        )
    _move_on(sweep, complaint, clock)


def _move_on(sweep: _Pass, complaint: Complaint, clock: Deadline) -> None:
    """Escalate or accept when the missed ``clock`` makes the complaint move: with the guards, moves and
    notifications of ``services.complaint_escalate`` and ``complaint_accept``, written later in bulk."""
    if transitions.escalation_refusal(complaint, trigger=Trigger.DEADLINE, clock=clock.kind) is None:
        move = transitions.escalate(complaint, now=sweep.now, trigger=Trigger.DEADLINE, clock=clock.kind)
        sweep.notices.extend(
            notifications.escalation_notices(complaint, move.event_data, regulators=sweep.regulators_of(complaint))
        )
        sweep.result.escalated += 1
    elif transitions.acceptance_refusal(complaint, trigger=Trigger.DEADLINE, clock=clock.kind) is None:
        move = transitions.accept(complaint, now=sweep.now, trigger=Trigger.DEADLINE, clock=clock.kind)
        sweep.result.auto_accepted += 1
    else:
        return
    sweep.changed[complaint.pk].update(move.fields)
    sweep.moved[move.clocks].append(complaint)
    sweep.record(complaint, move.event_kind, move.event_data)


def _write(sweep: _Pass, complaints: dict[int, Complaint]) -> None:
    """Write what the pass gathered: a fixed number of queries, whatever the number of complaints."""
    now = sweep.now
    Event.objects.bulk_create(sweep.events, batch_size=BATCH_SIZE)
    Deadline.objects.filter(pk__in=sweep.breached).update(breached_at=now)
    Deadline.objects.filter(pk__in=sweep.reminded).update(reminded_at=now)
    for changes, moved in sweep.moved.items():
        change_clocks(moved, changes, now)
    # A breach stops a clock, and so may the move it leads to: platform_due_at again, in one UPDATE.
    if sweep.breached_complaints:
        sync_platform_due(sweep.breached_complaints)
    for complaint in complaints.values():
        complaint.updated_at = now
    fields = sorted(set().union(*sweep.changed.values()) | {"updated_at"})
    Complaint.objects.bulk_update([complaints[pk] for pk in sweep.changed], fields, batch_size=BATCH_SIZE)
    notifications.queue_notices(sweep.notices)
    sweep.result.complaints = set(sweep.changed)
