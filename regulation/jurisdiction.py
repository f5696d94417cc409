"""Which office handles a complaint, and how that changes: transfer, take-over, dispute and designation.

Filing puts a complaint with the county office of the platform's domicile, or the receiving centre's triage
(Order 121 Art. 13, 41; ``complaints.services.complaint_file``). From there:

- a receiving centre dispatches it down to an office below it (Art. 41), and an office that finds it has no
  jurisdiction returns it to the receiving centre above it, never sideways to another office (Art. 41);
- an office above the handling office may take it over (Art. 13);
- two offices that disagree have seven working days to settle it, and their common superior designates the
  handling office (Art. 33).

Each is one service: row lock through the caller's scope (404 outside it), a guard, one chained event.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.calendar import add_working_days
from complaints.events import record_event
from complaints.models import OPEN_STATUSES, Complaint, EventKind
from complaints.selectors import complaints_visible_to
from portal.access import acts_as_regulator, is_superuser, office_scope
from portal.audit import record_act
from portal.errors import Conflict, IllegalTransition
from portal.models import AuditAction, Office
from portal.offices import national_office

from .models import JurisdictionDispute

# Order 121 Art. 33: offices in dispute settle it within seven working days of its arising.
DISPUTE_SETTLEMENT_WORKING_DAYS = 7


@dataclass(frozen=True)
class _Acting:
    """A regulator acting for an office, and the complaint they locked."""

    office: Office
    complaint: Complaint


def _acting_office(by) -> Office:
    """The office ``by`` acts for. Jurisdiction is an office's act: a regulator without one cannot make it."""
    if not acts_as_regulator(by):
        raise PermissionDenied(_("Only regulators can do that."))
    office = getattr(by, "office", None)
    if office is None and is_superuser(by):
        # Whoever runs the site acts for the national office unless given one.
        office = national_office()
    if office is None:
        raise PermissionDenied(_("Your account belongs to no office; ask an administrator to assign one."))
    return office


def _lock(by, complaint_id) -> _Acting:
    office = _acting_office(by)
    try:
        complaint = complaints_visible_to(by).select_for_update().get(pk=complaint_id)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such complaint.")) from None
    if complaint.status not in OPEN_STATUSES:
        raise IllegalTransition(_("The complaint is no longer open; its handling office stays as it is."))
    return _Acting(office=office, complaint=complaint)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    return reason


def _office_data(prefix: str, office: Office | None) -> dict:
    if office is None:
        return {f"{prefix}office": None, f"{prefix}office_name": None}
    return {f"{prefix}office": office.division_code, f"{prefix}office_name": office.name}


def _move(complaint: Complaint, to_office: Office, *, by, kind: str, now, data: dict) -> None:
    previous = complaint.office
    complaint.office = to_office
    complaint.office_since = now
    complaint.save(update_fields=["office", "office_since", "updated_at"])
    moved = {**_office_data("from_", previous), **_office_data("to_", to_office), **data}
    record_event(complaint, kind=kind, actor=by, at=now, data=moved)
    # Which office holds a case decides who may read it: the move is in the audit trail too, beside the
    # complaint's own timeline.
    record_act(by=by, action=AuditAction.COMPLAINT_OFFICE_CHANGED, obj=complaint, data={"kind": kind, **moved})


def complaint_transfer(*, complaint_id: int, by, to_office: Office, reason: str) -> Complaint:
    """Send a complaint to another office (Order 121 Art. 41).

    A receiving centre dispatches down to any office below it. The handling office, if it has no jurisdiction,
    returns the complaint to a receiving centre above it; it never passes it on to a sibling or anyone else.
    """
    reason = _require_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        acting = _lock(by, complaint_id)
        complaint, office = acting.complaint, acting.office
        current = complaint.office
        if current is not None and current.pk == to_office.pk:
            raise ValidationError({"office": [_("The complaint is already with that office.")]})
        dispatch_down = office.is_receiving_centre and office.is_above(to_office)
        handing_back = (
            current is not None
            and current.pk == office.pk
            and to_office.is_receiving_centre
            and to_office.is_above(current)
        )
        if not (dispatch_down or handing_back):
            if current is not None and current.pk == office.pk:
                raise ValidationError(
                    {
                        "office": [
                            _(
                                "An office without jurisdiction returns the complaint to the receiving centre "
                                "above it; it may not pass it on to another office (Order 121 Art. 41)."
                            )
                        ]
                    }
                )
            if office.is_receiving_centre:
                raise ValidationError({"office": [_("A receiving centre dispatches only to offices below it.")]})
            raise PermissionDenied(
                _("Only the receiving centre dispatches complaints; a higher office may take this one over.")
            )
        _move(complaint, to_office, by=by, kind=EventKind.TRANSFERRED, now=now, data={"reason": reason})
    return complaint


def complaint_take_over(*, complaint_id: int, by, reason: str) -> Complaint:
    """An office above the handling office handles the complaint itself (Order 121 Art. 13)."""
    reason = _require_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        acting = _lock(by, complaint_id)
        complaint, office = acting.complaint, acting.office
        current = complaint.office
        if current is not None and not office.is_above(current):
            raise PermissionDenied(_("Only an office above the handling office can take the complaint over."))
        _move(complaint, office, by=by, kind=EventKind.TAKEN_OVER, now=now, data={"reason": reason})
        _close_open_dispute(complaint, office=office, by=by, now=now)
    return complaint


def jurisdiction_dispute_open(*, complaint_id: int, by, other_office: Office, reason: str) -> JurisdictionDispute:
    """The handling office records that it and ``other_office`` disagree over jurisdiction (Order 121 Art. 33).

    The seven working days to settle it start now; the common superior of the two may designate at any time.
    Between an office and one above it there is nothing to dispute: the higher one takes over or dispatches.
    """
    reason = _require_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        acting = _lock(by, complaint_id)
        complaint, office = acting.complaint, acting.office
        if complaint.office_id != office.pk:
            raise PermissionDenied(_("Only the handling office can raise a dispute over its jurisdiction."))
        if other_office.pk == office.pk or office.is_above(other_office) or other_office.is_above(office):
            raise ValidationError(
                {"office": [_("A dispute is between two offices of which neither is above the other.")]}
            )
        if JurisdictionDispute.objects.filter(complaint=complaint, designated_at__isnull=True).exists():
            raise Conflict(_("A dispute over this complaint's jurisdiction is already open."), code="dispute_open")
        settle_by = add_working_days(now, DISPUTE_SETTLEMENT_WORKING_DAYS).due
        dispute = JurisdictionDispute.objects.create(
            complaint=complaint,
            raised_by_office=office,
            other_office=other_office,
            reason=reason,
            opened_by=by,
            opened_at=now,
            settle_by=settle_by,
        )
        record_event(
            complaint,
            kind=EventKind.JURISDICTION_DISPUTED,
            actor=by,
            at=now,
            data={
                **_office_data("", office),
                **_office_data("other_", other_office),
                "settle_by": settle_by,
                "working_days": DISPUTE_SETTLEMENT_WORKING_DAYS,
                "reason": reason,
            },
        )
    return dispute


def complaint_designate(*, complaint_id: int, by, office: Office, reason: str) -> Complaint:
    """The common superior of two disputing offices designates the handling office (Order 121 Art. 33).

    Only an office above both may; it may designate either of them or another office below it. The dispute ends.
    """
    reason = _require_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        acting = _lock(by, complaint_id)
        complaint, acting_office = acting.complaint, acting.office
        dispute = (
            JurisdictionDispute.objects.select_for_update()
            .select_related("raised_by_office", "other_office")
            .filter(complaint=complaint, designated_at__isnull=True)
            .first()
        )
        if dispute is None:
            raise IllegalTransition(
                _("No dispute over this complaint is open; an office above the handling office may take it over."),
                code="no_dispute",
            )
        if not (acting_office.is_above(dispute.raised_by_office) and acting_office.is_above(dispute.other_office)):
            raise PermissionDenied(_("Only the common superior of the offices in dispute can designate."))
        if not acting_office.covers(office):
            raise ValidationError({"office": [_("Designate your own office or an office below it.")]})
        dispute.designated_office = office
        dispute.designated_by = by
        dispute.designated_at = now
        dispute.save(update_fields=["designated_office", "designated_by", "designated_at"])
        _move(
            complaint,
            office,
            by=by,
            kind=EventKind.DESIGNATED,
            now=now,
            data={"reason": reason, "within_settlement_period": now <= dispute.settle_by},
        )
    return complaint


def _close_open_dispute(complaint: Complaint, *, office: Office, by, now) -> None:
    """A take-over by a higher office settles any dispute below it."""
    JurisdictionDispute.objects.filter(complaint=complaint, designated_at__isnull=True).update(
        designated_office=office, designated_by=by, designated_at=now
    )


def disputes_visible_to(user):
    """Disputes a regulator may read: those where an office in their scope is one of the parties."""
    scope = office_scope(user)
    return JurisdictionDispute.objects.filter(
        scope.filter("raised_by_office") | scope.filter("other_office")
    ).select_related("complaint", "raised_by_office", "other_office", "designated_office")
