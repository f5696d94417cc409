"""The deadline sweep: reminders, breaches, overdue marking, automatic escalation and acceptance.

One pass is a fixed number of set-based queries, whatever the number of open complaints: the candidates come
from the partial index on open clocks, the affected complaints are locked with SKIP LOCKED (two sweeps at once
split the work instead of doing it twice), and events, clocks, complaints and notifications are written in bulk.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.models import OutboxMessage

from . import notifications
from .deadlines import build_clock, sync_platform_due
from .events import SYSTEM_ACTOR, build_event
from .models import (
    PLATFORM_CLOCKS,
    ClockKind,
    Complaint,
    Deadline,
    Event,
    EventKind,
    Status,
    WebhookEvent,
)

BATCH_SIZE = 5000
AUTO_ESCALATING = {
    ClockKind.RESOLUTION: (Status.AWAITING_PLATFORM,),
    ClockKind.HARD_LIMIT: (Status.AWAITING_PLATFORM, Status.DISPUTED),
}


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
            due.order_by().values_list("complaint_id", flat=True).union(
                reminder.order_by().values_list("complaint_id", flat=True)
            )
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
        clocks = list(
            (due | reminder).filter(complaint_id__in=complaints.keys()).order_by("complaint_id", "due_at")
        )
        _apply(now, complaints, clocks, result)
    return result


def _apply(
    now: datetime, complaints: dict[int, Complaint], clocks: list[Deadline], result: SweepResult
) -> None:
    events: list[Event] = []
    outbox: list[OutboxMessage] = []
    webhook_targets: list[tuple[int | None, str, dict]] = []
    breached_ids, reminded_ids, met_hard_limits, new_clocks = [], [], [], []
    # Complaints whose running clocks change (a breach, and the clocks met after it): their platform_due_at too.
    breached_complaints: set[int] = set()
    changed: dict[int, set[str]] = defaultdict(set)
    regulators = notifications.regulator_recipients()
    by_complaint: dict[int, list[Deadline]] = defaultdict(list)
    for clock in clocks:
        by_complaint[clock.complaint_id].append(clock)
    platform_emails = notifications.platform_recipients_by_platform(
        {c.platform_id for c in complaints.values() if c.platform_id}
    )

    for complaint_id, complaint_clocks in by_complaint.items():
        complaint = complaints[complaint_id]
        for clock in complaint_clocks:
            context = {
                **notifications.complaint_context(complaint),
                "clock": clock.kind,
                "due_at": clock.due_at.isoformat(),
            }
            if clock.due_at > now:
                reminded_ids.append(clock.pk)
                result.reminded += 1
                events.append(
                    build_event(
                        complaint,
                        kind=EventKind.DEADLINE_REMINDED,
                        actor_label=SYSTEM_ACTOR,
                        at=now,
                        data={"clock": clock.kind, "due_at": clock.due_at},
                    )
                )
                recipients = (
                    regulators
                    if clock.kind == ClockKind.REGULATOR_ACCEPTANCE
                    else platform_emails.get(complaint.platform_id, [])
                )
                outbox.append(notifications.outbox_message("deadline_reminder", recipients, complaint, context))
                continue
            breached_ids.append(clock.pk)
            breached_complaints.add(complaint_id)
            result.breached += 1
            events.append(
                build_event(
                    complaint,
                    kind=EventKind.DEADLINE_BREACHED,
                    actor_label=SYSTEM_ACTOR,
                    at=now,
                    data={"clock": clock.kind, "due_at": clock.due_at},
                )
            )
            if clock.kind in PLATFORM_CLOCKS:
                if not complaint.is_overdue:
                    complaint.is_overdue = True
                    changed[complaint.pk].add("is_overdue")
                    webhook_targets.append((
                        complaint.platform_id,
                        WebhookEvent.OVERDUE,
                        {**notifications.webhook_payload(complaint), "clock": clock.kind, "due_at": context["due_at"]},
                    ))
                outbox.append(
                    notifications.outbox_message(
                        "deadline_overdue",
                        regulators + platform_emails.get(complaint.platform_id, []),
                        complaint,
                        context,
                    )
                )
            if complaint.status in AUTO_ESCALATING.get(clock.kind, ()):
                complaint.status = Status.ESCALATED
                complaint.escalated_at = now
                changed[complaint.pk].update({"status", "escalated_at"})
                met_hard_limits.append(complaint.pk)
                new_clocks.append(build_clock(complaint, ClockKind.REGULATOR_ACCEPTANCE, now))
                result.escalated += 1
                reason = f"{clock.kind} deadline missed"
                events.append(
                    build_event(
                        complaint,
                        kind=EventKind.ESCALATED,
                        actor_label=SYSTEM_ACTOR,
                        at=now,
                        data={"reason": reason, "automatic": True},
                    )
                )
                outbox.append(
                    notifications.outbox_message(
                        "complaint_escalated", regulators, complaint, {**context, "reason": reason}
                    )
                )
                webhook_targets.append((
                    complaint.platform_id,
                    WebhookEvent.ESCALATED,
                    {**notifications.webhook_payload(complaint), "reason": reason},
                ))
            elif clock.kind == ClockKind.CONSUMER_REPLY and complaint.status == Status.AWAITING_CONSUMER:
                complaint.status = Status.RESOLVED
                complaint.accepted_automatically = True
                complaint.closed_at = now
                changed[complaint.pk].update({"status", "accepted_automatically", "closed_at"})
                met_hard_limits.append(complaint.pk)
                result.auto_accepted += 1
                events.append(
                    build_event(
                        complaint,
                        kind=EventKind.ACCEPTED,
                        actor_label=SYSTEM_ACTOR,
                        at=now,
                        data={"automatic": True, "reason": "7 days without a reply"},
                    )
                )
        changed[complaint.pk].update({"event_count", "last_event_hash"})

    Event.objects.bulk_create(events, batch_size=BATCH_SIZE)
    Deadline.objects.filter(pk__in=breached_ids).update(breached_at=now)
    Deadline.objects.filter(pk__in=reminded_ids).update(reminded_at=now)
    Deadline.objects.filter(
        complaint_id__in=met_hard_limits, kind=ClockKind.HARD_LIMIT, met_at__isnull=True
    ).update(met_at=now)
    Deadline.objects.filter(
        complaint_id__in=met_hard_limits, kind=ClockKind.CONSUMER_REPLY, met_at__isnull=True
    ).update(met_at=now)
    Deadline.objects.bulk_create(new_clocks, batch_size=BATCH_SIZE)
    if breached_complaints:
        sync_platform_due(breached_complaints)
    fields = sorted(set().union(*changed.values()) | {"updated_at"})
    for complaint in complaints.values():
        complaint.updated_at = now
    Complaint.objects.bulk_update([complaints[pk] for pk in changed], fields, batch_size=BATCH_SIZE)
    notifications.queue_many(
        [message for message in outbox if message is not None], notifications.webhook_deliveries(webhook_targets)
    )
    result.complaints = set(changed)
