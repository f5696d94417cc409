"""The moves a complaint makes on its own or at the consumer's word, each described once.

A move is made for one complaint by a service (``services.complaint_escalate``, ``complaint_accept``) and for a
set of them by the deadline sweep. Both ask the same guard whether the move is allowed, change the complaint in
memory with the same function and get back the same ``Move``: the fields to save, the clocks to change and the
event to append. Each caller then writes it its own way (one row under its lock, or every row in bulk), so an
automatic escalation ends exactly where a consumer's does.

Event data holds codes (a ``Trigger``, a ``ClockKind``), never sentences: pages, the dossier and e-mails turn them
into words in the reader's language.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils.translation import gettext as _

from portal.errors import IllegalTransition

from .deadlines import ClockChanges
from .models import ClockKind, Complaint, EventKind, Status


class Trigger(models.TextChoices):
    """Who or what made a move: recorded in its event as ``trigger``."""

    CONSUMER = "consumer"
    DEADLINE = "deadline"


# The ``reason`` of an escalation a missed deadline made (the consumer's own words are the reason otherwise): a
# code, which the event's ``clock`` explains.
DEADLINE_MISSED = "deadline_missed"

ESCALATABLE_BY_CONSUMER = (Status.DISPUTED, Status.AWAITING_PLATFORM, Status.INFO_REQUESTED)
# A missed clock of these kinds escalates a complaint that is in one of these statuses.
ESCALATING_CLOCKS = {
    ClockKind.RESOLUTION: (Status.AWAITING_PLATFORM,),
    ClockKind.HARD_LIMIT: (Status.AWAITING_PLATFORM, Status.DISPUTED),
}
ACCEPTABLE = (Status.AWAITING_CONSUMER,)
# The clock whose end accepts the platform's answer on the consumer's behalf.
ACCEPTING_CLOCK = ClockKind.CONSUMER_REPLY

ESCALATION_CLOCKS = ClockChanges(meet=(ClockKind.HARD_LIMIT,), unpause=True, start=(ClockKind.REGULATOR_ACCEPTANCE,))
ACCEPTANCE_CLOCKS = ClockChanges(meet=(ClockKind.CONSUMER_REPLY, ClockKind.HARD_LIMIT))


@dataclass(frozen=True)
class Move:
    """What a move changed in memory and what is still to be written: complaint fields, clocks, one event."""

    fields: tuple[str, ...]
    clocks: ClockChanges
    event_kind: str
    event_data: dict


# --- guards --------------------------------------------------------------------------------------------


def status_refusal(complaint: Complaint, allowed: Sequence[str], action: str) -> str | None:
    """Why ``complaint`` cannot be ``action`` (a past participle) from its status, or None when it can."""
    if complaint.status in allowed:
        return None
    return _("Complaint %(reference)s is “%(status)s”: it cannot be %(action)s now.") % {
        "reference": complaint.reference,
        "status": complaint.get_status_display(),
        "action": action,
    }


def require(refusal: str | None) -> None:
    if refusal is not None:
        raise IllegalTransition(refusal)


def escalation_refusal(complaint: Complaint, *, trigger: str, clock: str | None = None) -> str | None:
    """Why ``trigger`` (and, for a deadline, the missed ``clock``) may not escalate ``complaint`` now, or None."""
    if trigger == Trigger.DEADLINE:
        return status_refusal(complaint, ESCALATING_CLOCKS.get(clock, ()), _("escalated"))
    refusal = status_refusal(complaint, ESCALATABLE_BY_CONSUMER, _("escalated"))
    if refusal is None and complaint.status != Status.DISPUTED and not complaint.is_overdue:
        return _("The platform still has time to answer: you can escalate once it disputes or misses a deadline.")
    return refusal


def acceptance_refusal(complaint: Complaint, *, trigger: str, clock: str | None = None) -> str | None:
    """Why ``trigger`` (and, for a deadline, the ``clock`` that ran out) may not accept the platform's answer to
    ``complaint`` now, or None."""
    accepts = trigger == Trigger.CONSUMER or clock == ACCEPTING_CLOCK
    return status_refusal(complaint, ACCEPTABLE if accepts else (), _("accepted"))


# --- moves ---------------------------------------------------------------------------------------------


def escalate(complaint: Complaint, *, now: datetime, trigger: str, reason: str = "", clock: str | None = None) -> Move:
    """Escalate ``complaint`` to the regulator in memory. The caller has checked ``escalation_refusal``."""
    complaint.status = Status.ESCALATED
    complaint.escalated_at = now
    return Move(
        fields=("status", "escalated_at"),
        clocks=ESCALATION_CLOCKS,
        event_kind=EventKind.ESCALATED,
        event_data=escalation_data(trigger=trigger, reason=reason, clock=clock),
    )


def escalation_data(*, trigger: str, reason: str = "", clock: str | None = None) -> dict:
    if trigger == Trigger.DEADLINE:
        return {"trigger": Trigger.DEADLINE, "clock": clock, "automatic": True, "reason": DEADLINE_MISSED}
    return {"trigger": Trigger.CONSUMER, "automatic": False, "reason": reason}


def accept(
    complaint: Complaint,
    *,
    now: datetime,
    trigger: str,
    rating: int | None = None,
    comment: str = "",
    clock: str | None = None,
) -> Move:
    """Resolve ``complaint`` by accepting the platform's answer, in memory. The caller has checked
    ``acceptance_refusal``."""
    automatic = trigger == Trigger.DEADLINE
    complaint.status = Status.RESOLVED
    complaint.rating = rating
    complaint.accepted_automatically = automatic
    complaint.closed_at = now
    if automatic:
        data = {"trigger": Trigger.DEADLINE, "clock": clock, "automatic": True}
    else:
        data = {"trigger": Trigger.CONSUMER, "automatic": False, "rating": rating, "comment": comment}
    return Move(
        fields=("status", "rating", "accepted_automatically", "closed_at"),
        clocks=ACCEPTANCE_CLOCKS,
        event_kind=EventKind.ACCEPTED,
        event_data=data,
    )


# --- the sweep's own events ----------------------------------------------------------------------------


def deadline_event_data(clock) -> dict:
    """The data of a reminder or a breach of ``clock`` (a ``Deadline``)."""
    return {"clock": clock.kind, "due_at": clock.due_at}
