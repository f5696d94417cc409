"""Administrative penalty decisions: who sees them, issuing one, moving it through appeal and enforcement.

A decision is issued by an office, under its own name and in its own number series: each bureau that finds a
violation while handling complaints decides on it itself (Order 121 Art. 27, by the 市场监督管理行政处罚程序规定),
and numbers it with its prefix, e.g. 沪浦市监处罚〔2026〕12号. Issuing
locks the cited complaints, takes the next number of the office and year from the gap-free counter and records a
``penalty_linked`` event on every cited complaint, all in one transaction: a failure anywhere gives the number
back. Regulators read the decisions of their office and of the offices below it (``portal.access.office_scope``).
"""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import notifications
from complaints.calendar import SHANGHAI
from complaints.models import Complaint
from complaints.selectors import MissingUserContext, complaints_visible_to
from complaints.services import link_penalty
from platforms.models import Platform
from portal.access import acts_as_regulator, may_see_penalties, office_scope
from portal.audit import record_act
from portal.errors import IllegalTransition
from portal.models import AuditAction, IssuedDocumentKind, Office
from portal.money import too_large_message
from portal.pdf import record_issued_document, render_pdf, sign_pdf
from portal.sequences import sequence_next

from .models import Penalty, PenaltyKind, PenaltyStatus

# 《中华人民共和国行政复议法》(2023 revision) Art. 20: a party may apply for administrative
# reconsideration within 60 days of learning of the decision. The notice is served on the day it is
# decided, so the period runs from ``decided_on``. A lawsuit (《行政诉讼法》Art. 46) may be filed
# within six months; the notice states both.
APPEAL_PERIOD = timedelta(days=60)

# Which status may follow which: an appeal ends upheld or overturned; an upheld decision is then enforced.
PENALTY_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PenaltyStatus.ISSUED: (PenaltyStatus.APPEALED, PenaltyStatus.PAID, PenaltyStatus.RECTIFIED),
    PenaltyStatus.APPEALED: (PenaltyStatus.UPHELD, PenaltyStatus.OVERTURNED),
    PenaltyStatus.UPHELD: (PenaltyStatus.PAID, PenaltyStatus.RECTIFIED),
}


# --- reads -----------------------------------------------------------------------------------------------


def penalties_visible_to(user) -> QuerySet[Penalty]:
    """The penalties ``user`` may see; fails closed like ``complaints_visible_to``."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise MissingUserContext("penalties_visible_to needs an authenticated user")
    if not may_see_penalties(user):
        return Penalty.objects.none()
    if acts_as_regulator(user):
        # The decisions of the regulator's office and of every office below it; a regulator without an office
        # reads none (the scope is empty, never "everything").
        return Penalty.objects.filter(office_scope(user).filter("office"))
    return Penalty.objects.filter(platform_id=user.platform_id)


def penalties_for_display(queryset: QuerySet[Penalty]) -> QuerySet[Penalty]:
    """What a list or a notice shows: the platform, the issuing office and the cited complaints' references, in
    two queries."""
    return queryset.select_related("platform", "office").prefetch_related(
        Prefetch("complaints", queryset=Complaint.objects.only("id", "reference").order_by("reference"))
    )


def shanghai_today() -> date:
    """The regulator's date, whatever zone the thread has active: decisions are dated and numbered by it."""
    return timezone.localdate(timezone=SHANGHAI)


def penalty_number(prefix: str, year: int, sequence: int) -> str:
    """The decision's official number: the office's prefix, the year, the number (沪浦市监处罚〔2026〕12号).

    An office without a prefix numbers as the portal did before offices existed (〔2026〕第0012号), so the
    decisions of the default office continue their series in the same form.
    """
    if prefix:
        return f"{prefix}〔{year}〕{sequence}号"
    return f"〔{year}〕第{sequence:04d}号"


def penalty_sequence_scope(office_id: int) -> str:
    """The ``NumberSequence`` scope of an office's decisions: one gap-free series per office and year."""
    return f"penalty:{office_id}"


# --- issuing ---------------------------------------------------------------------------------------------


def _require_regulator(by) -> None:
    if not acts_as_regulator(by):
        raise PermissionDenied(_("Only regulators can issue or change penalties."))


def issuing_office(by) -> Office:
    """The office a decision of ``by`` is issued by: their own. Someone who runs the site without belonging to
    an office (a superuser) issues in the name of the national office, the portal's default authority."""
    office = getattr(by, "office", None)
    if office is not None:
        return office
    if office_scope(by).everything:
        national = Office.objects.filter(parent__isnull=True).first()
        if national is not None:
            return national
    raise PermissionDenied(_("Your account belongs to no office: an administrator must assign it to one first."))


def _validate_decision(*, kind: str, legal_basis: str, facts: str, decision: str, fine_amount,
                       rectification_deadline: date | None, decided_on: date) -> Decimal | None:
    """Field errors for the decision as a whole; returns the fine as a Decimal (None when not a fine)."""
    errors: dict[str, list[str]] = {}
    today = shanghai_today()
    if kind not in PenaltyKind.values:
        errors["kind"] = [_("Choose a kind of penalty.")]
    for name, value in (("legal_basis", legal_basis), ("facts", facts), ("decision", decision)):
        if not (value or "").strip():
            errors[name] = [_("This part of the decision cannot be empty.")]
    if decided_on > today:
        errors["decided_on"] = [_("A decision cannot be dated in the future.")]
    amount = None
    if fine_amount not in (None, ""):
        try:
            amount = Decimal(str(fine_amount))
        except InvalidOperation:
            errors["fine_amount"] = [_("Give the fine as a number of yuan.")]
    if kind == PenaltyKind.FINE:
        if "fine_amount" not in errors and (amount is None or amount <= 0):
            errors["fine_amount"] = [_("A fine needs an amount of more than 0 yuan.")]
        elif amount is not None and amount.as_tuple().exponent < -2:
            errors["fine_amount"] = [_("The amount has at most two decimals (fen).")]
        elif amount is not None and amount > settings.PORTAL_FINE_MAX:
            errors["fine_amount"] = [too_large_message(settings.PORTAL_FINE_MAX)]
    elif amount is not None:
        errors["fine_amount"] = [_("Only a fine has an amount.")]
    if kind == PenaltyKind.RECTIFICATION:
        if rectification_deadline is None:
            errors["rectification_deadline"] = [_("A rectification order needs a date to rectify by.")]
        elif rectification_deadline <= today:
            errors["rectification_deadline"] = [_("The date to rectify by must be in the future.")]
    elif rectification_deadline is not None:
        errors["rectification_deadline"] = [_("Only a rectification order has a date to rectify by.")]
    if errors:
        raise ValidationError(errors)
    return amount if kind == PenaltyKind.FINE else None


def _lock_cited_complaints(by, platform: Platform, complaint_ids: Iterable) -> list[Complaint]:
    try:
        wanted = sorted({int(pk) for pk in complaint_ids})
    except (TypeError, ValueError):
        raise ValidationError({"complaints": [_("Complaints are given by their numeric ids.")]}) from None
    # Locked in id order, the same order every issuer uses, so two issuers citing overlapping sets cannot
    # deadlock; the lock keeps each complaint's event chain linear.
    complaints = list(complaints_visible_to(by).select_for_update().filter(pk__in=wanted).order_by("pk"))
    missing = sorted(set(wanted) - {complaint.pk for complaint in complaints})
    if missing:
        raise ValidationError(
            {"complaints": [_("No such complaint: %(ids)s.") % {"ids": ", ".join(map(str, missing))}]}
        )
    foreign = [complaint.reference for complaint in complaints if complaint.platform_id != platform.pk]
    if foreign:
        raise ValidationError({"complaints": [
            _("These complaints are not about %(platform)s: %(references)s.")
            % {"platform": platform.name, "references": ", ".join(foreign)}
        ]})
    return complaints


def penalty_issue(*, by, platform: Platform, kind: str, legal_basis: str, facts: str, decision: str,
                  complaint_ids: Iterable = (), fine_amount=None, rectification_deadline: date | None = None,
                  decided_on: date | None = None) -> Penalty:
    """Issue a penalty decision of ``by``'s office against ``platform``, citing complaints about it. Regulators
    only.

    The number (prefix〔YYYY〕N号) comes from the counter of the office and the decision's year, inside this
    transaction.
    """
    _require_regulator(by)
    office = issuing_office(by)
    if platform is None:
        raise ValidationError({"platform": [_("Choose the platform the decision is against.")]})
    decided_on = decided_on or shanghai_today()
    fine = _validate_decision(kind=kind, legal_basis=legal_basis, facts=facts, decision=decision,
                              fine_amount=fine_amount, rectification_deadline=rectification_deadline,
                              decided_on=decided_on)
    with transaction.atomic():
        complaints = _lock_cited_complaints(by, platform, complaint_ids)
        sequence = sequence_next(scope=penalty_sequence_scope(office.pk), year=decided_on.year)
        penalty = Penalty.objects.create(
            platform=platform, office=office, year=decided_on.year, sequence=sequence,
            number=penalty_number(office.penalty_number_prefix, decided_on.year, sequence), kind=kind,
            fine_amount=fine,
            rectification_deadline=rectification_deadline, legal_basis=legal_basis.strip(),
            facts=facts.strip(), decision=decision.strip(), decided_on=decided_on,
            appeal_deadline=decided_on + APPEAL_PERIOD, issued_by=by,
        )
        penalty.complaints.set(complaints)
        for complaint in complaints:
            link_penalty(complaint, penalty=penalty, by=by)
        _notify_platform(penalty)
        record_act(by=by, action=AuditAction.PENALTY_ISSUED, obj=penalty, object_repr=penalty.number, data={
            "number": penalty.number, "platform": platform.pk, "kind": kind, "fine_amount": fine,
            "rectification_deadline": rectification_deadline, "decided_on": decided_on,
            "complaints": [complaint.reference for complaint in complaints], "status": penalty.status,
        })
    return penalty


def _notify_platform(penalty: Penalty) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        kind_label = str(penalty.get_kind_display())
    notifications.queue_email(
        "penalty_issued",
        notifications.platform_recipients(penalty.platform_id),
        extra={
            "number": penalty.number,
            "office": penalty_authority(penalty),
            "platform": penalty.platform.name,
            "kind": kind_label,
            "decided_on": penalty.decided_on.isoformat(),
            "appeal_deadline": penalty.appeal_deadline.isoformat(),
            "url": f"{settings.SITE_URL}/penalties/{penalty.pk}/",
        },
    )


# --- after issuing ---------------------------------------------------------------------------------------


def penalty_set_status(*, by, penalty_id: int, status: str, note: str = "") -> Penalty:
    """Record an appeal, its outcome, or enforcement (paid, rectified). Illegal moves: IllegalTransition."""
    _require_regulator(by)
    with transaction.atomic():
        try:
            penalty = penalties_visible_to(by).select_for_update().get(pk=penalty_id)
        except (Penalty.DoesNotExist, ValueError, TypeError):
            raise Http404("No such penalty.") from None
        if status not in PENALTY_TRANSITIONS.get(penalty.status, ()):
            raise IllegalTransition(
                _("Penalty %(number)s is “%(current)s”: it cannot become “%(wanted)s”.")
                % {"number": penalty.number, "current": penalty.get_status_display(),
                   "wanted": PenaltyStatus(status).label if status in PenaltyStatus.values else status}
            )
        before = {"status": penalty.status, "note": penalty.status_note}
        penalty.status = status
        penalty.status_note = note
        penalty.status_changed_at = timezone.now()
        penalty.save(update_fields=["status", "status_note", "status_changed_at"])
        # The penalty keeps only its latest note; every status change and its note stay in the audit trail.
        record_act(by=by, action=AuditAction.PENALTY_STATUS_CHANGED, obj=penalty, object_repr=penalty.number, data={
            "before": before, "after": {"status": status, "note": note}, "changed_at": penalty.status_changed_at,
        })
    return penalty


# --- the decision notice ---------------------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_GROUP_UNITS = ("", "万", "亿")


def _capital_group(group: int) -> str:
    """0 < group < 10000 in capital numerals, with 零 where an inner place is empty."""
    text, pending_zero = "", False
    for place in range(3, -1, -1):
        digit = group // 10**place % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += "零"
            pending_zero = False
        text += _DIGITS[digit] + _SMALL_UNITS[place]
    return text


def rmb_in_capitals(amount: Decimal) -> str:
    """An amount of yuan as written on official documents: Decimal("5000") → 人民币伍仟元整."""
    fen_total = int((amount * 100).quantize(Decimal(1)))
    yuan, fen = divmod(fen_total, 100)
    if yuan >= 10**12:
        raise ValueError("amount too large for capital numerals")
    groups = [yuan // 10**(4 * i) % 10**4 for i in range(3)]
    text, need_zero = "", False
    for index in range(2, -1, -1):
        group = groups[index]
        if group == 0:
            need_zero = bool(text)
            continue
        if text and (need_zero or group < 1000):
            text += "零"
        text += _capital_group(group) + _GROUP_UNITS[index]
        need_zero = False
    text = (text or "零") + "元"
    jiao, fen = divmod(fen, 10)
    if not jiao and not fen:
        return f"人民币{text}整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return f"人民币{text}"


def penalty_authority(penalty: Penalty) -> str:
    """The authority a decision is issued in the name of: its office's full name (PORTAL_AUTHORITY_NAME when
    the office has none, as the default office may not)."""
    return (penalty.office.name if penalty.office_id else "") or settings.PORTAL_AUTHORITY_NAME


def penalty_notice_pdf(penalty: Penalty) -> bytes:
    """The 行政处罚决定书 of ``penalty`` (fetched through ``penalties_visible_to`` by the caller), in the name and
    under the seal of the office that issued it, signed by the portal when it has a certificate; its SHA-256 is
    kept, so /verify/ recognises the notice later."""
    pdf = render_pdf("pdf/penalty_notice.html", {
        "penalty": penalty,
        "complaints": list(penalty.complaints.order_by("reference").values_list("reference", flat=True)),
        "fine_in_capitals": rmb_in_capitals(penalty.fine_amount) if penalty.fine_amount else "",
        "authority": penalty_authority(penalty),
        "office": penalty.office,
    })
    pdf = sign_pdf(pdf, reason=f"行政处罚决定书 {penalty.number}")
    record_issued_document(kind=IssuedDocumentKind.PENALTY_NOTICE, data=pdf, reference=penalty.number, obj=penalty)
    return pdf


def penalty_notice_filename(penalty: Penalty) -> str:
    return f"penalty-{penalty.office.division_code}-{penalty.year}-{penalty.sequence:04d}.pdf"
