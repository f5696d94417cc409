"""The regulator's worklist: what needs a regulator's attention today, section by section.

Every complaint section is a filter over ``complaints_visible_to`` (so the office scope applies and fails closed:
a regulator without an office sees nothing, the national supervisor everything). The complaint admin offers the
same filters (``?worklist=<key>``, ``regulation/admin_worklist.py``), so a section's count and the admin list it
links to are computed by one function. The jurisdiction disputes come from ``disputes_visible_to``, the dispute
admin's own reader.

A page costs at most two queries per section, whatever the number of complaints: the first rows, and a count
only when the rows fill the section.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import DateTimeField, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import REGULATOR_DUTY_CLOCKS, ClockKind, Complaint, Deadline, Event, EventKind, Status
from complaints.selectors import complaints_visible_to
from portal.access import acts_as_regulator

from .desk import AWAITING_DECISION
from .jurisdiction import disputes_visible_to
from .models import JurisdictionDispute, MaterialRequest
from .queue import with_desk_due

# The platform owes an answer in these statuses; a missed platform clock there is the regulator's business
# (Order 121 Art. 17 factors, the scorecard, penalties).
PLATFORM_OWES = (Status.AWAITING_PLATFORM, Status.INFO_REQUESTED, Status.DISPUTED)


def horizon() -> timedelta:
    """How far ahead "this week" looks (``PORTAL_WORKLIST_HORIZON_DAYS``)."""
    return timedelta(days=settings.PORTAL_WORKLIST_HORIZON_DAYS)


def _clock_due(kinds, *clocks: Q) -> Subquery:
    """The earliest due time among a complaint's clocks of ``kinds`` matching ``clocks``."""
    return Subquery(
        Deadline.objects.filter(*clocks, complaint=OuterRef("pk"), kind__in=kinds)
        .order_by("due_at")
        .values("due_at")[:1],
        output_field=DateTimeField(),
    )


def _with_clocks(complaints: QuerySet[Complaint], kinds, *clocks: Q) -> QuerySet[Complaint]:
    """The complaints having a clock of ``kinds`` matching ``clocks``, with its due time as ``worklist_due_at``.

    ``pk IN (clocks)`` rather than EXISTS per complaint: the planner may start from the few clocks concerned
    (the partial index of running clocks) instead of the jurisdiction's every complaint.
    """
    matching = Deadline.objects.filter(*clocks, kind__in=kinds).values("complaint_id")
    return complaints.filter(pk__in=matching).annotate(worklist_due_at=_clock_due(kinds, *clocks))


RUNNING = Q(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True)


def platform_overdue(complaints: QuerySet[Complaint], now: datetime) -> QuerySet[Complaint]:
    """Complaints still waiting on the platform that missed one of its clocks (or passed its due time)."""
    return complaints.filter(Q(is_overdue=True) | Q(platform_due_at__lte=now), status__in=PLATFORM_OWES).annotate(
        worklist_due_at=F("platform_due_at")
    )


def regulator_overdue(complaints: QuerySet[Complaint], now: datetime) -> QuerySet[Complaint]:
    """Complaints where a regulator's own duty clock (acceptance decision Art. 15, termination notice Art. 23,
    clue check Art. 27) is past due and the duty still not done."""
    missed = Q(met_at__isnull=True, cancelled_at__isnull=True) & (Q(breached_at__isnull=False) | Q(due_at__lte=now))
    return _with_clocks(complaints, REGULATOR_DUTY_CLOCKS, missed)


def escalated(complaints: QuerySet[Complaint], now: datetime) -> QuerySet[Complaint]:
    """Complaints escalated to the regulator within the horizon and still waiting for the acceptance decision."""
    return complaints.filter(status=Status.ESCALATED, escalated_at__gte=now - horizon()).annotate(
        worklist_due_at=F("escalated_at")
    )


def awaiting_acceptance(complaints: QuerySet[Complaint], now: datetime) -> QuerySet[Complaint]:
    """Complaints whose acceptance decision (受理 or 不予受理, 7 working days, Order 121 Art. 15) is still running."""
    return _with_clocks(complaints, [ClockKind.REGULATOR_ACCEPTANCE], RUNNING, Q(due_at__gt=now))


def mediation_ending(complaints: QuerySet[Complaint], now: datetime) -> QuerySet[Complaint]:
    """Mediations whose 60-day period (Order 121 Art. 23(1)(5), counted per Art. 45) ends within the horizon."""
    return _with_clocks(
        complaints, [ClockKind.MEDIATION], RUNNING, Q(paused_at__isnull=True, due_at__lte=now + horizon())
    )


def material_lapsing(complaints: QuerySet[Complaint], now: datetime) -> QuerySet[Complaint]:
    """Complaints awaiting the decision whose request for identity proof or material (Art. 10, 11) lapses within
    the horizon; a lapsed one becomes a refusal proposal (Art. 16(5), (6))."""
    lapsing = MaterialRequest.objects.filter(proposed_at__isnull=True, due_at__lte=now + horizon())
    return complaints.filter(status__in=AWAITING_DECISION, pk__in=lapsing.values("complaint_id")).annotate(
        worklist_due_at=Subquery(
            lapsing.filter(complaint=OuterRef("pk")).order_by("due_at").values("due_at")[:1],
            output_field=DateTimeField(),
        )
    )


def refusals_proposed(complaints: QuerySet[Complaint], now: datetime) -> QuerySet[Complaint]:
    """Complaints with a refusal proposed (requested material not supplied, Art. 16(5), (6)) not yet decided."""
    proposals = Event.objects.filter(kind=EventKind.REFUSAL_PROPOSED)
    return complaints.filter(status__in=AWAITING_DECISION, pk__in=proposals.values("complaint_id")).annotate(
        worklist_due_at=Subquery(
            proposals.filter(complaint=OuterRef("pk")).order_by("-created_at").values("created_at")[:1],
            output_field=DateTimeField(),
        )
    )


def due_this_week(complaints: QuerySet[Complaint], now: datetime) -> QuerySet[Complaint]:
    """Complaints whose earliest running regulator clock (the desk's order, ``regulation.queue``) falls due within
    the horizon."""
    return (
        with_desk_due(complaints)
        .filter(desk_due_at__gt=now, desk_due_at__lte=now + horizon())
        .annotate(worklist_due_at=F("desk_due_at"))
    )


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    description: str
    # What the date column of the section means.
    date_label: str
    select: Callable[[QuerySet[Complaint], datetime], QuerySet[Complaint]]
    # Most urgent first: by the section's date, ascending unless it is a past moment to read newest first.
    newest_first: bool = False


SECTIONS = (
    Section(
        "overdue_platform",
        _("Overdue: platforms' deadlines missed"),
        _("Complaints still waiting on the platform after it missed a deadline."),
        _("Platform deadline"),
        platform_overdue,
    ),
    Section(
        "overdue_regulator",
        _("Overdue: our own deadlines missed"),
        _(
            "The acceptance decision (Order 121 Art. 15), a termination notice (Art. 23) or a clue check (Art. 27) "
            "is past due."
        ),
        _("Was due"),
        regulator_overdue,
    ),
    Section(
        "escalated",
        _("Escalated recently"),
        _("Escalated to the regulator in the last days and waiting for the acceptance decision."),
        _("Escalated at"),
        escalated,
        newest_first=True,
    ),
    Section(
        "awaiting_acceptance",
        _("Awaiting the acceptance decision"),
        _("Accept (受理) or refuse within 7 working days of receipt (Order 121 Art. 15)."),
        _("Decide by"),
        awaiting_acceptance,
    ),
    Section(
        "mediation_ending",
        _("Mediation period ending"),
        _("The 60-day mediation period (Order 121 Art. 23(1)(5), counted per Art. 45) ends within the horizon."),
        _("Mediation ends"),
        mediation_ending,
    ),
    Section(
        "material_lapsing",
        _("Requested material lapsing"),
        _("Identity proof or material asked for (Art. 10, Art. 11) is due within the horizon."),
        _("Answer by"),
        material_lapsing,
    ),
    Section(
        "refusals_proposed",
        _("Refusals proposed"),
        _("Requested material was not supplied in time: decide on the proposed refusal (Art. 16(5), (6))."),
        _("Proposed at"),
        refusals_proposed,
        newest_first=True,
    ),
    Section(
        "due_this_week",
        _("Due this week"),
        _("The desk's earliest running clock of the complaint falls due within the horizon."),
        _("Due"),
        due_this_week,
    ),
)
SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}


def section_complaints(key: str, complaints: QuerySet[Complaint], now: datetime) -> QuerySet[Complaint]:
    """``complaints`` narrowed to the section ``key`` (an unknown key: none), each with ``worklist_due_at``."""
    section = SECTIONS_BY_KEY.get(key)
    return section.select(complaints, now) if section else complaints.none()


@dataclass
class Block:
    """One section of the page: its first rows and the number of rows in all."""

    key: str
    title: str
    description: str
    date_label: str
    rows: list = field(default_factory=list)
    count: int = 0


def _first_rows(queryset: QuerySet, limit: int) -> tuple[list, int]:
    """The first ``limit`` rows and the total; the count query only when the rows fill the section."""
    rows = list(queryset[:limit])
    return rows, (len(rows) if len(rows) < limit else queryset.order_by().count())


def worklist_for(user, *, now: datetime | None = None, limit: int | None = None) -> list[Block]:
    """Every section of ``user``'s worklist. Anyone who does not act as a regulator gets empty sections."""
    now = now or timezone.now()
    limit = limit or settings.PORTAL_WORKLIST_ROWS
    complaints = complaints_visible_to(user)
    if not acts_as_regulator(user):
        complaints = complaints.none()
    complaints = complaints.select_related("platform", "office")
    blocks = []
    for section in SECTIONS:
        date_order = (
            F("worklist_due_at").desc(nulls_last=True)
            if section.newest_first
            else F("worklist_due_at").asc(nulls_last=True)
        )
        rows, count = _first_rows(section.select(complaints, now).order_by(date_order, "-pk"), limit)
        blocks.append(Block(section.key, section.title, section.description, section.date_label, rows, count))
    disputes = open_disputes(user)
    rows, count = _first_rows(disputes, limit)
    blocks.insert(
        # After the acceptance decisions: a dispute over who handles a complaint holds its decision up.
        [block.key for block in blocks].index("awaiting_acceptance") + 1,
        Block(
            "jurisdiction_disputes",
            str(_("Jurisdiction disputes")),
            str(
                _(
                    "Two offices disagree over who handles the complaint: settle within 7 working days or the "
                    "common superior office designates one (Order 121 Art. 33)."
                )
            ),
            str(_("Settle by")),
            rows,
            count,
        ),
    )
    return blocks


def open_disputes(user) -> QuerySet[JurisdictionDispute]:
    """The open jurisdiction disputes an office in ``user``'s scope is party to, the soonest to settle first."""
    return (
        disputes_visible_to(user)
        .filter(designated_at__isnull=True)
        .select_related("complaint__platform")
        .order_by("settle_by", "pk")
    )
