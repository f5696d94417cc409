"""The rulebook: the edition of the rules in force at an instant, and its clocks, grounds and notice templates.

The rules are data (``RuleEdition`` and its ``ClockRule``, ``Ground`` and ``NoticeTemplate`` rows, created by
migrations): a new edition is a new row, and every caller keeps asking the same questions. An edition is in force
on the Asia/Shanghai date of the instant asked about, from ``effective_from`` to ``effective_until`` inclusive.

The whole rulebook is a few dozen rows: it is read once per process and kept for ``CACHE_SECONDS`` (an edit in
the admin clears this process's copy at once), so starting clocks for thousands of complaints costs no query.
"""

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .calendar import SHANGHAI
from .models import ClockKind, ClockRule, Ground, GroundKind, NoticeKind, NoticeTemplate, RuleEdition

__all__ = [
    "ClockKind",
    "ClockRule",
    "EditionContents",
    "Ground",
    "GroundKind",
    "NoticeKind",
    "NoticeTemplate",
    "RuleEdition",
    "clear_cache",
    "clock_rule",
    "contents",
    "edition_in_force",
    "editions",
    "ground",
    "grounds",
    "notice_template",
]

# How long a process trusts its copy of the rules before reading them again (edits are rare: a new edition
# comes with a deployment, and the admin clears the copy of the process that saved).
CACHE_SECONDS = 300


@dataclass(frozen=True)
class _Rules:
    editions: tuple[RuleEdition, ...]
    clocks: dict[tuple[str, str], ClockRule]
    grounds: dict[tuple[str, str], tuple[Ground, ...]]
    notices: dict[tuple[str, str], NoticeTemplate]
    loaded_at: float


_lock = threading.Lock()
_cached: _Rules | None = None


def _load() -> _Rules:
    editions = tuple(RuleEdition.objects.order_by("effective_from"))
    by_id = {edition.pk: edition for edition in editions}

    def attached(rows):
        # Every row shares its edition's one instance: ``rule.edition`` and ``rule.citation`` cost no query.
        for row in rows:
            row.edition = by_id[row.edition_id]
            yield row

    grounds: dict[tuple[str, str], list[Ground]] = {}
    for row in attached(Ground.objects.order_by("kind", "code")):
        grounds.setdefault((row.edition.code, row.kind), []).append(row)
    return _Rules(
        editions=editions,
        clocks={(rule.edition.code, rule.kind): rule for rule in attached(ClockRule.objects.all())},
        grounds={key: tuple(rows) for key, rows in grounds.items()},
        notices={(row.edition.code, row.kind): row for row in attached(NoticeTemplate.objects.all())},
        loaded_at=time.monotonic(),
    )


def _rules() -> _Rules:
    global _cached
    rules = _cached
    if rules is None or time.monotonic() - rules.loaded_at > CACHE_SECONDS:
        with _lock:
            rules = _cached = _load()
    return rules


def clear_cache() -> None:
    """Forget this process's copy of the rules (after a rulebook row is saved or deleted: ``receivers``)."""
    global _cached
    _cached = None


def _day(at: datetime | date) -> date:
    if isinstance(at, datetime):
        return at.astimezone(SHANGHAI).date()
    return at


def editions() -> tuple[RuleEdition, ...]:
    """Every edition, oldest first."""
    return _rules().editions


def edition_in_force(at: datetime | date) -> RuleEdition:
    """The edition in force on the Asia/Shanghai date of ``at``; ``RuleEdition.DoesNotExist`` before the first."""
    day = _day(at)
    for edition in reversed(_rules().editions):
        if edition.is_in_force_on(day):
            return edition
    raise RuleEdition.DoesNotExist(f"No edition of the rulebook is in force on {day.isoformat()}.")


def clock_rule(kind: str, at: datetime | date) -> ClockRule:
    """The rule for the clock ``kind`` (a ``ClockKind``) started at ``at``; ``ClockRule.DoesNotExist`` when the
    edition in force has none (the platform-side clocks are the portal's settings, not the law's)."""
    edition = edition_in_force(at)
    try:
        return _rules().clocks[(edition.code, kind)]
    except KeyError:
        raise ClockRule.DoesNotExist(f"{edition.abbreviation_en} has no rule for the clock “{kind}”.") from None


def grounds(kind: str, at: datetime | date) -> list[Ground]:
    """The grounds of ``kind`` (a ``GroundKind``) in force at ``at``, by code; empty under an edition whose
    decisions were free text (Order 20)."""
    return list(_rules().grounds.get((edition_in_force(at).code, kind), ()))


def ground(code: str, *, kind: str, at: datetime | date) -> Ground:
    """The ground ``code`` of ``kind`` in force at ``at``.

    Raises ``ValidationError({"ground": [message]})`` for a code that is unknown, of another kind, or not in
    force at ``at``: the message names the codes that are.
    """
    in_force = grounds(kind, at)
    for candidate in in_force:
        if candidate.code == code:
            return candidate
    edition = edition_in_force(at)
    if in_force:
        message = _("“%(code)s” is not a ground of %(edition)s for this decision. Choose one of: %(codes)s.") % {
            "code": code,
            "edition": edition.abbreviation,
            "codes": ", ".join(candidate.code for candidate in in_force),
        }
    else:
        message = _("%(edition)s names no grounds for this decision.") % {"edition": edition.abbreviation}
    raise ValidationError({"ground": [message]})


def notice_template(kind: str, at: datetime | date) -> NoticeTemplate:
    """The template of the notice ``kind`` (a ``NoticeKind``) in force at ``at``; ``NoticeTemplate.DoesNotExist``
    when the edition in force has none."""
    edition = edition_in_force(at)
    try:
        return _rules().notices[(edition.code, kind)]
    except KeyError:
        raise NoticeTemplate.DoesNotExist(f"{edition.abbreviation_en} has no “{kind}” notice.") from None


@dataclass(frozen=True)
class EditionContents:
    """One edition with all its rules, for the rulebook's page and API."""

    edition: RuleEdition
    in_force: bool
    clocks: tuple[ClockRule, ...]
    grounds: tuple[Ground, ...]
    notice_templates: tuple[NoticeTemplate, ...]


def contents(at: datetime | date) -> list[EditionContents]:
    """Every edition with its clocks, grounds and notice templates, oldest first; ``in_force`` as of ``at``."""
    rules = _rules()
    day = _day(at)
    return [
        EditionContents(
            edition=edition,
            in_force=edition.is_in_force_on(day),
            clocks=tuple(rule for (code, _kind), rule in rules.clocks.items() if code == edition.code),
            grounds=tuple(row for (code, _kind), rows in rules.grounds.items() if code == edition.code for row in rows),
            notice_templates=tuple(row for (code, _kind), row in rules.notices.items() if code == edition.code),
        )
        for edition in rules.editions
    ]
