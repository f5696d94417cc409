"""The per-channel chargeback manifest: every affected order of one platform paid through one payment channel,
as one CSV a regulator sends to that channel (Alipay, WeChat Pay, the card schemes' acquirers) in bulk.

Usually asked for a platform confirmed unreachable (``Platform.is_unreachable``), when the channels are the
consumers' best route to a refund. The rows are the complaints the regulator's office scope holds
(``complaints_visible_to``), never more; the export leaves personal and transaction data with the channel, so
each one writes an audit entry (``portal.audit.record_act``) naming the platform, the channel and the count.
"""

from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.calendar import SHANGHAI
from complaints.models import Complaint, PaymentChannel, Status
from complaints.selectors import complaints_visible_to
from platforms.models import Platform
from portal.audit import record_act
from portal.models import AuditAction

# Orders the consumer still wants their money for: not settled to their satisfaction, not withdrawn.
SETTLED_STATUSES = (Status.RESOLVED, Status.WITHDRAWN)

MANIFEST_HEADER = (
    _("complaint reference"),
    _("order number"),
    _("amount (CNY)"),
    _("payment transaction number"),
    _("time paid (Asia/Shanghai)"),
    _("payment channel"),
    _("platform"),
)


def affected_orders(user, platform: Platform) -> QuerySet[Complaint]:
    """The unsettled complaints against ``platform`` in ``user``'s scope, oldest payment first."""
    return (
        complaints_visible_to(user)
        .filter(platform=platform)
        .exclude(status__in=SETTLED_STATUSES)
        .order_by("paid_at", "pk")
    )


def affected_orders_by_channel(user, platform: Platform) -> list[dict]:
    """Per payment channel: the number of affected orders and their total, in one query."""
    totals = affected_orders(user, platform).aggregate(
        **{f"{channel}_count": Count("pk", filter=Q(payment_channel=channel)) for channel in PaymentChannel.values},
    )
    return [
        {"channel": channel, "label": label, "orders": totals[f"{channel}_count"]}
        for channel, label in PaymentChannel.choices
    ]


def chargeback_manifest_export(*, platform: Platform, channel: str, by) -> QuerySet[Complaint]:
    """Record the export of ``platform``'s ``channel`` manifest by ``by`` and return its rows (unevaluated).

    ``channel`` must be a ``PaymentChannel`` value (the URL only routes those).
    """
    if channel not in PaymentChannel.values:
        raise ValueError(f"unknown payment channel {channel!r}")
    rows = affected_orders(by, platform).filter(payment_channel=channel)
    with transaction.atomic():
        count = rows.count()
        record_act(
            by=by,
            action=AuditAction.CHARGEBACK_MANIFEST_EXPORTED,
            obj=platform,
            data={"payment_channel": channel, "orders": count},
        )
    return rows


def manifest_rows(rows: QuerySet[Complaint]) -> Iterator[tuple]:
    """The CSV rows, read in chunks so a platform with 100 000 orders never sits in memory."""
    values = rows.values_list(
        "reference", "order_number", "amount", "payment_reference", "paid_at", "payment_channel", "platform__name"
    )
    for reference, order_number, amount, payment_reference, paid_at, channel, platform_name in values.iterator(
        chunk_size=settings.PORTAL_OPEN_DATA_CHUNK_SIZE
    ):
        paid = timezone.localtime(paid_at, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        yield reference, order_number, amount, payment_reference, paid, channel, platform_name


def manifest_filename(platform: Platform, channel: str) -> str:
    return f"{platform.slug}-{channel}-chargeback-manifest-{timezone.localdate():%Y%m%d}.csv"
