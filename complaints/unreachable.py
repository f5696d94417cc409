"""A platform confirmed unreachable (跑路): what happens to each of its open complaints, and the consumer warning
(消费预警) shown wherever the platform is named.

The regulator's confirmation itself is ``regulation.vanishing.vanishing_alert_confirm``; it calls
``complaints_stop_for_unreachable_platform`` inside its transaction. The per-complaint move is described once
(``unreachable_move``: guard, fields, clock changes, event) and written in bulk, as the deadline sweep writes
its escalations, so a platform with thousands of open complaints costs a fixed number of queries.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from platforms.models import Platform

from . import notifications, transitions
from .deadlines import ClockChanges, change_clocks, sync_platform_due
from .events import CHAIN_HEAD_FIELDS, actor_label_for, build_event
from .models import (
    OPEN_STATUSES,
    PLATFORM_CLOCKS,
    ClockKind,
    Complaint,
    Deadline,
    Event,
    EventKind,
    PaymentChannel,
    Status,
)
from .selectors import unscoped_complaints_for_system

BATCH_SIZE = 5000

# ``Deadline.cancelled_reason`` of a platform clock stopped by the confirmation: neither met nor missed. A
# platform that cannot be reached any more is not in breach of a clock it can no longer answer; the statistics
# count these clocks on their own (regulation.statistics, "clocks stopped: platform unreachable").
PLATFORM_UNREACHABLE = "platform_unreachable"

# The complaints that wait on the platform go to the regulator's desk as escalated: the handling office then
# owes its acceptance decision within 7 working days (Order 121 Art. 15), and may accept and end mediation when
# the respondent is gone (Art. 23(1)(2), (7)) or refuse on an Art. 16 ground. Waiting on a platform nobody
# answers for would only run down the consumer's time. ``info_requested`` waits on a question the platform will
# never read. The others stay where they are: the desk has them already (escalated, accepted, mediation,
# testing), or it is the consumer's turn on an answer the platform gave (awaiting_consumer), or the regulator's
# triage (no platform yet).
MOVED_TO_DESK = (Status.AWAITING_PLATFORM, Status.DISPUTED, Status.INFO_REQUESTED)
DESK_CLOCKS = ClockChanges(unpause=True, start=(ClockKind.REGULATOR_ACCEPTANCE,))


def unreachable_refusal(complaint: Complaint) -> str | None:
    """Why ``complaint`` takes no part in a confirmation, or None: only open complaints do."""
    return transitions.status_refusal(complaint, OPEN_STATUSES, _("marked as against an unreachable platform"))


def unreachable_move(
    complaint: Complaint, *, now: datetime, confirmation: dict, stopped_clocks: list[str]
) -> transitions.Move:
    """Record on ``complaint`` (in memory) that its platform is unreachable; the caller checked
    ``unreachable_refusal`` and stopped the platform clocks named in ``stopped_clocks``."""
    previous = complaint.status
    fields: tuple[str, ...] = ()
    clocks = ClockChanges()
    if previous in MOVED_TO_DESK:
        complaint.status = Status.ESCALATED
        complaint.escalated_at = now
        fields = ("status", "escalated_at")
        clocks = DESK_CLOCKS
    return transitions.Move(
        fields=fields,
        clocks=clocks,
        event_kind=EventKind.PLATFORM_UNREACHABLE,
        event_data={
            **confirmation,
            "clocks_stopped": sorted(stopped_clocks),
            "status_from": previous,
            "status_to": complaint.status,
        },
    )


@dataclass
class UnreachableResult:
    complaints: int = 0
    moved_to_desk: int = 0
    clocks_stopped: int = 0
    notified: int = 0
    complaint_ids: list[int] = field(default_factory=list)


def complaints_stop_for_unreachable_platform(
    *, platform_id: int, confirmation: dict, by, at: datetime, complaint_ids: list[int] | None = None
) -> UnreachableResult:
    """For every open complaint against the platform: stop its running platform clocks (cancelled, reason
    ``platform_unreachable``), move it to the desk when it waited on the platform, append one chained
    ``platform_unreachable`` event and e-mail the consumer what to do next. Runs in the caller's transaction
    (which holds the platform row); a fixed number of queries whatever the number of complaints.

    ``confirmation`` is the event data the confirmation gives every complaint: reference, office, date.
    ``complaint_ids`` narrows it to those complaints (a filing against a platform confirmed earlier).
    """
    candidates = unscoped_complaints_for_system().filter(platform_id=platform_id, status__in=OPEN_STATUSES)
    if complaint_ids is not None:
        candidates = candidates.filter(pk__in=complaint_ids)
    complaints = list(candidates.select_for_update(of=("self",)).select_related("consumer", "platform").order_by("pk"))
    complaints = [c for c in complaints if unreachable_refusal(c) is None]
    result = UnreachableResult(complaints=len(complaints), complaint_ids=[c.pk for c in complaints])
    if not complaints:
        return result
    ids = result.complaint_ids
    running = Deadline.objects.running().filter(complaint_id__in=ids, kind__in=PLATFORM_CLOCKS)
    stopped: dict[int, list[str]] = defaultdict(list)
    for complaint_id, kind in running.values_list("complaint_id", "kind"):
        stopped[complaint_id].append(kind)
    result.clocks_stopped = running.update(cancelled_at=at, cancelled_reason=PLATFORM_UNREACHABLE, paused_at=None)

    label = actor_label_for(by)
    actor = by if getattr(by, "pk", None) else None
    events: list[Event] = []
    moved: dict[ClockChanges, list[Complaint]] = defaultdict(list)
    changed: set[str] = {"updated_at", *CHAIN_HEAD_FIELDS}
    notices = notifications.Notices()
    for complaint in complaints:
        move = unreachable_move(complaint, now=at, confirmation=confirmation, stopped_clocks=stopped[complaint.pk])
        events.append(
            build_event(complaint, kind=move.event_kind, actor=actor, actor_label=label, at=at, data=move.event_data)
        )
        changed.update(move.fields)
        if move.clocks != ClockChanges():
            moved[move.clocks].append(complaint)
            result.moved_to_desk += 1
        complaint.updated_at = at
        if complaint.consumer.email:
            notices.add_email(
                notifications.outbox_message(
                    "platform_unreachable",
                    [complaint.consumer.email],
                    complaint,
                    {
                        **notifications.complaint_context(complaint),
                        "reference_number": confirmation.get("reference", ""),
                        "office": confirmation.get("office_name", ""),
                        "payment_channel": complaint.payment_channel,
                        "payment_reference": complaint.payment_reference,
                        "amount": str(complaint.amount),
                        "moved_to_desk": move.event_data["status_to"] != move.event_data["status_from"],
                    },
                )
            )
    Event.objects.bulk_create(events, batch_size=BATCH_SIZE)
    for changes, group in moved.items():
        change_clocks(group, changes, at)
    sync_platform_due(ids)
    Complaint.objects.bulk_update(complaints, sorted(changed), batch_size=BATCH_SIZE)
    notifications.queue_notices(notices)
    result.notified = len(notices.emails)
    return result


def confirmation_of(platform) -> dict:
    """The event data of the regulator's confirmation, read back from the platform's fields."""
    office = platform.unreachable_office
    return {
        "reference": platform.unreachable_reference,
        "office": office.division_code if office else "",
        "office_name": office.name if office else "",
        "confirmed_at": platform.unreachable_confirmed_at,
    }


def complaint_filed_against_unreachable_platform(complaint: Complaint, *, at: datetime) -> None:
    """A complaint filed against a platform confirmed unreachable goes where the confirmation sent the others:
    its platform clocks stop as they start, it waits on the desk, and the consumer gets the payment-channel route.
    Runs in the filing's transaction, after the complaint has its reference."""
    complaints_stop_for_unreachable_platform(
        platform_id=complaint.platform_id,
        confirmation=confirmation_of(complaint.platform),
        by=None,
        at=at,
        complaint_ids=[complaint.pk],
    )


def complaint_back_to_unreachable_platform(complaint: Complaint, *, at: datetime) -> bool:
    """A move that hands ``complaint`` back to its platform (the consumer's dispute, a forwarding, the answer to
    the platform's question) when that platform is confirmed unreachable sends it to the desk instead, as the
    confirmation did with the complaints in the platform's turn: the platform clocks stop (``platform_unreachable``),
    the complaint is escalated and the consumer gets the payment-channel route. Runs in the caller's transaction,
    after the caller's own event, on the complaint it locked; reloads ``complaint``. True when it moved it."""
    if complaint.platform_id is None:
        return False
    platform = (
        Platform.objects.filter(pk=complaint.platform_id, unreachable_confirmed_at__isnull=False)
        .select_related("unreachable_office")
        .first()
    )
    if platform is None:
        return False
    result = complaints_stop_for_unreachable_platform(
        platform_id=platform.pk, confirmation=confirmation_of(platform), by=None, at=at, complaint_ids=[complaint.pk]
    )
    complaint.refresh_from_db()
    return result.moved_to_desk > 0


# --- the consumer warning (消费预警) ----------------------------------------------------------------------

# 消费者权益保护法实施条例 Art. 27 (warnings and risk notices), Art. 29 (publishing complaint information),
# Art. 21 and 22 (a closure is announced 30 days ahead; prepayments stop under major business risk and unspent
# prepaid balances are returned), Order 121 Art. 38.
WARNING_LAW = gettext_lazy(
    "消费者权益保护法实施条例 Art. 21, 22, 27 and 29; SAMR Order 121 (市场监督管理投诉举报处理办法) Art. 38"
)


@dataclass(frozen=True)
class ChannelRoute:
    """What to ask a payment channel for, and which evidence to attach (the seed's 向支付平台申请交易仲裁)."""

    channel: str
    label: str
    ask: str
    evidence: str


def payment_channel_routes() -> list[ChannelRoute]:
    """The payment-channel route per channel, first thing a consumer of an unreachable platform should try."""
    evidence = _(
        "the payment voucher showing the transaction number, the order page, your messages to the platform's "
        "support that went unanswered, and the regulator's warning reference"
    )
    return [
        ChannelRoute(
            PaymentChannel.ALIPAY,
            str(PaymentChannel.ALIPAY.label),
            _(
                "In Alipay open the bill of this payment and choose to complain about the transaction (交易投诉); "
                "ask for the full amount back: the goods were never delivered and the seller cannot be reached."
            ),
            evidence,
        ),
        ChannelRoute(
            PaymentChannel.WECHAT,
            str(PaymentChannel.WECHAT.label),
            _(
                "In WeChat open the payment record (支付凭证) and complain about the merchant (投诉商家); ask for a "
                "refund of the full amount: the goods were never delivered and the seller cannot be reached."
            ),
            evidence,
        ),
        ChannelRoute(
            PaymentChannel.BANK_CARD,
            str(PaymentChannel.BANK_CARD.label),
            _(
                "Call the bank that issued your card and ask for a chargeback (拒付) of the transaction for goods "
                "not received; banks set a time limit, so do it now."
            ),
            evidence,
        ),
    ]


@dataclass(frozen=True)
class UnreachableWarning:
    """The warning shown for a platform a regulator confirmed unreachable."""

    platform_name: str
    confirmed_at: datetime
    reference: str
    office_name: str
    complaints: int
    law: str
    routes: list[ChannelRoute]
    platform_id: int | None = None

    @property
    def advice(self) -> str:
        return _(
            "Do not pay this platform or top up a balance with it. If you paid and received nothing, ask your "
            "payment channel for your money back first, then file a complaint here with the same evidence."
        )

    def as_dict(self) -> dict:
        return {
            "confirmed_at": self.confirmed_at,
            "reference": self.reference,
            "office": self.office_name,
            "complaints": self.complaints,
            "advice": self.advice,
            "law": self.law,
            "payment_channel_routes": [
                {"channel": r.channel, "label": r.label, "ask": r.ask, "evidence": r.evidence} for r in self.routes
            ],
        }


def unreachable_warning(platform) -> UnreachableWarning | None:
    """The warning for ``platform``, or None while it is reachable (or for no platform). One query when
    unreachable (the count of complaints against it), none otherwise."""
    if platform is None or not platform.is_unreachable:
        return None
    office = platform.unreachable_office
    return UnreachableWarning(
        platform_name=platform.name,
        confirmed_at=platform.unreachable_confirmed_at,
        reference=platform.unreachable_reference,
        office_name=office.name if office else "",
        complaints=unscoped_complaints_for_system().filter(platform_id=platform.pk).count(),
        law=str(WARNING_LAW),
        routes=payment_channel_routes(),
        platform_id=platform.pk,
    )


def unreachable_warnings() -> list[UnreachableWarning]:
    """The warnings of every platform confirmed unreachable, newest first, in two queries (the platforms with
    their offices, then their complaint counts grouped)."""
    platforms = list(
        Platform.objects.filter(unreachable_confirmed_at__isnull=False)
        .select_related("unreachable_office")
        .order_by("-unreachable_confirmed_at", "pk")
    )
    if not platforms:
        return []
    counts = dict(
        unscoped_complaints_for_system()
        .filter(platform_id__in=[p.pk for p in platforms])
        .values("platform_id")
        .annotate(n=Count("pk"))
        .values_list("platform_id", "n")
        .order_by()
    )
    routes = payment_channel_routes()
    return [
        UnreachableWarning(
            platform_name=platform.name,
            confirmed_at=platform.unreachable_confirmed_at,
            reference=platform.unreachable_reference,
            office_name=platform.unreachable_office.name if platform.unreachable_office else "",
            complaints=counts.get(platform.pk, 0),
            law=str(WARNING_LAW),
            routes=routes,
            platform_id=platform.pk,
        )
        for platform in platforms
    ]
