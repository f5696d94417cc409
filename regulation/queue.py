"""The case desk's queue: the complaints waiting on a regulator, most urgent first. Read through
``complaints_visible_to``, so whatever scope regulators get (offices, jurisdiction) applies here unchanged."""

from django.db.models import F, OuterRef, QuerySet, Subquery

from complaints.models import ClockKind, Complaint, Deadline, Status
from complaints.selectors import complaints_visible_to
from portal.access import acts_as_regulator

# Statuses in which the next move is the regulator's.
DESK_STATUSES = (Status.TRIAGE, Status.ESCALATED, Status.ACCEPTED, Status.MEDIATION, Status.TESTING)
# The clocks the regulator must meet (Order 121 Art. 15, Art. 23): their earliest due time orders the queue.
DESK_CLOCKS = (ClockKind.REGULATOR_ACCEPTANCE, ClockKind.MEDIATION, ClockKind.TERMINATION_NOTICE)


def with_desk_due(complaints: QuerySet[Complaint]) -> QuerySet[Complaint]:
    earliest = (
        Deadline.objects.running()
        .filter(complaint=OuterRef("pk"), kind__in=DESK_CLOCKS, paused_at__isnull=True)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return complaints.annotate(desk_due_at=Subquery(earliest))


def desk_queue(user) -> QuerySet[Complaint]:
    """The complaints a regulator sees, with ``desk_due_at`` (the earliest running, unpaused regulator clock;
    NULL when none), ordered by it (none last), then newest first. The queue view narrows it by default to
    ``DESK_STATUSES`` and complaints with a regulator clock still running (a termination notice due).

    Anyone who does not act as a regulator gets nothing.
    """
    complaints = complaints_visible_to(user)
    if not acts_as_regulator(user):
        return complaints.none()
    return (
        with_desk_due(complaints)
        .select_related("platform")
        .order_by(F("desk_due_at").asc(nulls_last=True), "-created_at", "-pk")
    )


def desk_complaint(user, complaint_id: int) -> Complaint:
    """One complaint as the desk shows it (with ``desk_due_at``, its clocks and notices), whatever its status."""
    return (
        with_desk_due(complaints_visible_to(user))
        .select_related("platform")
        .prefetch_related("deadlines", "notices")
        .get(pk=complaint_id)
    )
