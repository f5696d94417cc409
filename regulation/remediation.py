"""Remediation: refunds a regulator confirms per consumer (e.g. paid out by a vanished platform's administrator),
and what a joint complaint has got back and still misses.

A refund is a chained ``refund_recorded`` event on the member's complaint; the amounts follow portal/money.py
(fen precision, more than 0) and all of a complaint's refunds together never exceed the amount it claims.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.calendar import SHANGHAI
from complaints.events import record_event
from complaints.joint import JointTotals, active_members, joint_complaints_visible_to, joint_with_counts
from complaints.models import EventKind, JointComplaint, JointMembership
from complaints.services import lock_complaint
from portal.access import acts_as_regulator

from .models import Refund

ZERO = Decimal("0.00")


def _amount(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


def refund_record(
    *,
    by,
    complaint_id: int,
    amount,
    refunded_on: date,
    channel_reference: str,
    joint_id: int | None = None,
) -> Refund:
    """Record one refund to the consumer of ``complaint_id``; capped by what the complaint claims."""
    if not acts_as_regulator(by):
        raise PermissionDenied(_("Only regulators record refunds."))
    errors: dict[str, list[str]] = {}
    value = _amount(amount)
    if value is None or not value.is_finite():
        errors["amount"] = [_("Enter an amount in yuan.")]
    elif value <= 0:
        errors["amount"] = [_("The amount must be more than 0 yuan.")]
    elif value.as_tuple().exponent < -2:
        errors["amount"] = [_("The amount has at most two decimals (fen).")]
    today = timezone.localtime(timezone.now(), SHANGHAI).date()
    if not isinstance(refunded_on, date):
        errors["refunded_on"] = [_("Enter the date of the refund.")]
    elif refunded_on > today:
        errors["refunded_on"] = [_("The date of the refund cannot be in the future.")]
    reference = (channel_reference or "").strip()
    if not reference:
        errors["channel_reference"] = [_("Give the payment channel's reference of the refund.")]
    elif len(reference) > 64:
        errors["channel_reference"] = [_("Use at most %(max)d characters.") % {"max": 64}]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        joint = None
        if joint_id is not None:
            joint = joint_complaints_visible_to(by).filter(pk=joint_id).first()
            if joint is None or not active_members(joint).filter(complaint=complaint).exists():
                raise ValidationError({"complaint": [_("This complaint is not a member of the joint complaint.")]})
        refunded = complaint.refunds.aggregate(total=Sum("amount"))["total"] or ZERO
        if refunded + value > complaint.amount:
            raise ValidationError(
                {
                    "amount": [
                        _("Refunds cannot exceed the amount claimed (%(amount)s yuan); %(left)s yuan are outstanding.")
                        % {"amount": complaint.amount, "left": complaint.amount - refunded}
                    ]
                }
            )
        if complaint.refunds.filter(channel_reference=reference).exists():
            raise ValidationError({"channel_reference": [_("A refund with this reference is recorded already.")]})
        refund = Refund.objects.create(
            complaint=complaint,
            joint=joint,
            amount=value,
            refunded_on=refunded_on,
            channel_reference=reference,
            recorded_by=by,
            recorded_at=now,
        )
        record_event(
            complaint,
            kind=EventKind.REFUND_RECORDED,
            actor=by,
            at=now,
            data={
                "refund": refund.pk,
                "amount": str(value),
                "refunded_on": refunded_on.isoformat(),
                "channel_reference": reference,
                "joint_complaint": joint.pk if joint else None,
            },
        )
    return refund


# --- reads ---------------------------------------------------------------------------------------------


def refunded_for_complaint(complaint_ref: str) -> Coalesce:
    total = (
        Refund.objects.filter(complaint_id=OuterRef(complaint_ref))
        .values("complaint_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(total, output_field=money), Value(ZERO), output_field=money)


def _money_field() -> DecimalField:
    return DecimalField(max_digits=14, decimal_places=2)


def joint_cases_for(user) -> QuerySet[JointComplaint]:
    """The joint complaints in ``user``'s office scope, with member counts, total claimed and refunded."""
    amount = (
        JointMembership.objects.filter(joint=OuterRef("pk"), left_at__isnull=True)
        .values("joint")
        .annotate(total=Sum("complaint__amount"))
        .values("total")
    )
    refunded = (
        Refund.objects.filter(
            complaint__joint_memberships__joint=OuterRef("pk"), complaint__joint_memberships__left_at__isnull=True
        )
        .values("complaint__joint_memberships__joint")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    zero = Value(ZERO)
    return joint_with_counts(joint_complaints_visible_to(user).select_related("platform", "office")).annotate(
        total_amount=Coalesce(Subquery(amount, output_field=_money_field()), zero, output_field=_money_field()),
        refunded=Coalesce(Subquery(refunded, output_field=_money_field()), zero, output_field=_money_field()),
    )


def members_with_refunds(joint: JointComplaint) -> QuerySet[JointMembership]:
    """The active members with their complaint and consumer, and ``refunded`` (the sum of their refunds)."""
    return (
        active_members(joint)
        .select_related("complaint", "complaint__consumer")
        .annotate(refunded=refunded_for_complaint("complaint_id"))
        .order_by("pk")
    )


@dataclass
class MemberLine:
    membership: JointMembership
    refunded: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.membership.complaint.amount - self.refunded


def joint_case(joint: JointComplaint) -> tuple[list[MemberLine], JointTotals]:
    """The joint complaint as one case: each member's amount and refunds, and the totals."""
    lines = [MemberLine(m, m.refunded) for m in members_with_refunds(joint)]
    totals = JointTotals(
        members=len(lines),
        amount=sum((line.membership.complaint.amount for line in lines), ZERO),
        refunded=sum((line.refunded for line in lines), ZERO),
    )
    return lines, totals
