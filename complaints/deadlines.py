"""The clocks of a complaint: start, meet, pause and resume, and the complaint's stored next platform deadline
(``Complaint.platform_due_at``) kept in step with them. The sweep that breaches them is in sweep.py.

A clock's length comes from one of two places. The platform-side clocks (first answer, resolution, the
negotiation window, the consumer's reply) are the portal's own service levels, in ``settings.PORTAL_DEADLINES``.
The regulator's clocks are the law's: the rulebook edition in force when the clock starts gives their length,
unit, counting and article, and the clock keeps that edition for life (``Deadline.edition``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from portal.errors import IllegalTransition

from . import rulebook
from .calendar import (
    SHANGHAI,
    add_calendar_days,
    add_calendar_days_whole,
    add_working_days,
    add_working_days_whole,
)
from .models import PLATFORM_CLOCKS, ClockCounting, ClockKind, ClockRule, ClockUnit, Complaint, Deadline


def compute_due(kind: str, start: datetime) -> tuple[datetime, dict]:
    """When a clock of ``kind`` started at ``start`` falls due, and how that was computed."""
    due_at, explanation, _rule = _compute(kind, start)
    return due_at, explanation


def _compute(kind: str, start: datetime) -> tuple[datetime, dict, ClockRule | None]:
    if kind in settings.PORTAL_DEADLINES:
        length, unit = settings.PORTAL_DEADLINES[kind]
        if unit == "working":
            computed = add_working_days(start, length)
            return computed.due, computed.explanation(), None
        return *add_calendar_days(start, length), None
    rule = rulebook.clock_rule(kind, start)
    due_at, explanation = _count(rule, start)
    return due_at, {**explanation, **rule_explanation(rule)}, rule


def _count(rule: ClockRule, start: datetime) -> tuple[datetime, dict]:
    whole_days = rule.counting == ClockCounting.ARTICLE_45
    if rule.unit == ClockUnit.WORKING_DAYS:
        computed = (add_working_days_whole if whole_days else add_working_days)(start, rule.length)
        return computed.due, computed.explanation()
    return (add_calendar_days_whole if whole_days else add_calendar_days)(start, rule.length)


def rule_explanation(rule: ClockRule) -> dict:
    """What a clock's explanation says of the rule it follows: the edition and the article, in both languages."""
    explanation = {
        "edition": rule.edition.code,
        "edition_title": rule.edition.title,
        "edition_title_en": rule.edition.title_en,
        "citation": rule.citation,
        "citation_en": rule.citation_en,
        "counting": rule.counting,
    }
    if rule.paused_by:
        explanation["paused_by"] = rule.paused_by
    return explanation


def build_clock(complaint: Complaint, kind: str, start: datetime) -> Deadline:
    due_at, explanation, rule = _compute(kind, start)
    return Deadline(
        complaint=complaint,
        kind=kind,
        started_at=start,
        due_at=due_at,
        explanation=explanation,
        edition_id=rule.edition.code if rule else None,
        article=rule.citation if rule else "",
    )


# What a restart resets: a restarted clock forgets its earlier run.
_RESTART_FIELDS = [
    "started_at",
    "due_at",
    "explanation",
    "edition",
    "article",
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


def extend_clue_check(complaint: Complaint, *, approved_by: str, approval: str, at: datetime) -> Deadline:
    """Extend the running violation-clue check of ``complaint`` once, by its rule's extension, recording who
    approved it and how in the clock's explanation (Order 121 Art. 27: 15 more working days with the approval of
    the authority's head). The extra days count from the day after the current last day.

    Raises ``ValidationError`` on the ``approved_by`` / ``approval`` fields when either is blank, and
    ``IllegalTransition`` when there is no running check, its edition allows no extension, or it was extended
    already. Runs in the caller's transaction (the service that records the approval's event).
    """
    missing = {}
    if not approved_by.strip():
        missing["approved_by"] = [_("Name the head of the authority who approved the extension.")]
    if not approval.strip():
        missing["approval"] = [_("Give the reference of the approval.")]
    if missing:
        raise ValidationError(missing)
    with transaction.atomic():
        clock = (
            Deadline.objects.select_for_update()
            .running()
            .filter(complaint=complaint, kind=ClockKind.CLUE_CHECK)
            .first()
        )
        if clock is None:
            raise IllegalTransition(_("There is no running violation-clue check to extend."))
        # The rule of the edition the check started under, not of the one in force today.
        rule = rulebook.clock_rule(clock.kind, clock.started_at)
        if not rule.extension_length:
            raise IllegalTransition(_("The rules this check follows allow no extension."))
        if "extension" in clock.explanation:
            raise IllegalTransition(
                _("This check was extended already: %(article)s allows one extension.") % {"article": rule.citation}
            )
        extended = add_working_days_whole(clock.due_at, rule.extension_length)
        clock.explanation = {
            **clock.explanation,
            "extension": {
                "working_days": rule.extension_length,
                "approved_by": approved_by.strip(),
                "approval": approval.strip(),
                "at": at.astimezone(SHANGHAI).isoformat(),
                "previous_due": clock.due_at.astimezone(SHANGHAI).isoformat(),
                "skipped": extended.explanation()["skipped"],
                "citation": rule.citation,
                "citation_en": rule.citation_en,
            },
            "due": extended.due.isoformat(),
        }
        clock.due_at = extended.due
        clock.reminded_at = None
        clock.save(update_fields=["due_at", "explanation", "reminded_at"])
    return clock
