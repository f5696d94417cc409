"""The public complaint database: one record per published complaint, with nothing that points to a person.

The law asks the market regulator to publish complaint information and warn consumers (SAMR Order 121 Art. 38:
公布投诉举报统计分析报告，依法公示消费投诉信息; 消费者权益保护法实施条例 Art. 27: 开展消费预警和风险提示, and
Art. 29: 依法公示……消费投诉等信息), while keeping personal data private (Order 121 Art. 39). The fields follow the
CFPB's consumer complaint database; docs/open-data.md is the data dictionary, and ``FIELDS`` below is its order.

- **Who is published**: complaints against a registered platform, once the platform has answered or
  ``PORTAL_OPEN_DATA_PUBLISH_AFTER_DAYS`` (15) days after filing, whichever comes first.
- **What never is**: the consumer, the order and payment numbers, the exact amount (a band instead), the support
  agent, the description. A narrative appears only with the consumer's consent, in its redacted form
  (``complaints.redaction``), with the complaint's own order number, payment transaction number and support
  agent ID masked as well.
- **The id** is an HMAC of the internal id under ``PORTAL_OPEN_DATA_ID_KEY``: stable from one export to the
  next, and neither the internal id nor the reference.

Two readers: the API (``regulation/api/open_data.py``, cursor pages) and the daily export (``open_data_export``,
run by beat), gzipped CSV and JSON Lines in the default storage. The export streams: rows come from the database
in chunks (``QuerySet.iterator(chunk_size=…)``) and go straight through gzip into temporary files, so memory does
not grow with the number of complaints.
"""

import base64
import gzip
import hashlib
import hmac
import json
import logging
import tempfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Replace
from django.utils import timezone

from complaints.calendar import SHANGHAI
from complaints.models import (
    OPEN_STATUSES,
    ClockKind,
    Complaint,
    Deadline,
    Event,
    EventKind,
    Problem,
    Response,
)
from complaints.selectors import unscoped_complaints_for_system
from platforms.models import Platform
from portal.csv_export import csv_lines

from .models import OpenDataRelease
from .statistics import MASK_ORDER_NUMBER, MASK_PAYMENT_REFERENCE

logger = logging.getLogger(__name__)

#: Every field of a record, in the order of the CSV columns; docs/open-data.md describes each one.
FIELDS = (
    "complaint_id",
    "date_received",
    "platform",
    "platform_slug",
    "operator",
    "product_category",
    "problem",
    "payment_channel",
    "amount_band",
    "platform_response",
    "timely",
    "consumer_disputed",
    "outcome",
    "narrative",
)

MASK_SUPPORT_AGENT = "[客服工号已隐藏]"
NO_RESPONSE = "no_response"
IN_PROGRESS = "in_progress"

# The product category is derived from the problem: the product's own name is free text and is not published.
PRODUCT_CATEGORIES = {
    Problem.CARD_KEY_MISSING: "card_key",
    Problem.MEMBERSHIP_NOT_ACTIVATED: "membership",
    Problem.TOPUP_NOT_CREDITED: "top_up",
    Problem.WRONG_ITEM: "unspecified",
    Problem.OTHER: "unspecified",
}
#: The values ``outcome`` takes: a regulator's finding when there is one, else where the complaint stands.
OUTCOMES = (
    "upheld",
    "not_upheld",
    "withdrawn",
    "referred",
    "refused",
    "agreement",
    "terminated",
    "referred_police",
    "resolved",
    "closed",
    IN_PROGRESS,
)


def public_id(complaint_pk: int) -> str:
    """The complaint's id in the open data: stable, and neither its internal id nor its reference."""
    key = settings.PORTAL_OPEN_DATA_ID_KEY.encode("utf-8")
    return hmac.new(key, f"complaint:{complaint_pk}".encode("ascii"), hashlib.sha256).hexdigest()[:20]


def cursor_key() -> bytes:
    """The Fernet key of the API's cursors (they hold an internal id, so the public never reads them)."""
    digest = hashlib.sha256(b"open-data-cursor:" + settings.PORTAL_OPEN_DATA_ID_KEY.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest)


def amount_band(amount: Decimal) -> str:
    """``50-100`` for 88.50 with the default bands; ``5000+`` above the last bound."""
    lower = 0
    for upper in settings.PORTAL_OPEN_DATA_AMOUNT_BANDS:
        if amount < upper:
            return f"{lower}-{upper}"
        lower = upper
    return f"{lower}+"


def _narrative():
    """The consented, redacted narrative with the complaint's own numbers masked too; empty without consent."""
    masked = Replace(
        Replace(
            Replace(F("public_narrative"), F("order_number"), Value(MASK_ORDER_NUMBER), output_field=TextField()),
            F("payment_reference"),
            Value(MASK_PAYMENT_REFERENCE),
            output_field=TextField(),
        ),
        F("support_agent_id"),
        Value(MASK_SUPPORT_AGENT),
        output_field=TextField(),
    )
    return Case(
        When(Q(publish_consent=True) & ~Q(public_narrative=""), then=masked),
        default=Value(""),
        output_field=TextField(),
    )


def _disputed(*, whole_table: bool):
    """Whether the consumer disputed the platform's answer.

    For a page (``whole_table`` false) a scalar subquery, looked up per record through the event's complaint
    index: PostgreSQL may run an EXISTS once over the whole event table (a hashed subplan) before the first row,
    which a page of 20 records pays in full (330 ms at 1 M complaints). For the export of every record that one
    pass is what is wanted, and 1 M lookups would cost more than it.
    """
    disputes = Event.objects.filter(complaint=OuterRef("pk"), kind=EventKind.DISPUTED)
    if whole_table:
        return Exists(disputes)
    return Coalesce(
        Subquery(disputes.annotate(disputed=Value(True, output_field=BooleanField())).values("disputed")[:1]),
        Value(False),
        output_field=BooleanField(),
    )


def published_complaints(*, now: datetime | None = None, whole_table: bool = False) -> QuerySet[Complaint]:
    """The complaints the open data publishes at ``now``, annotated with the derived fields, newest first.

    A public, unscoped read: it selects only the fields a record is made of. ``whole_table`` when every record is
    read (the export), not a page.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PORTAL_OPEN_DATA_PUBLISH_AFTER_DAYS)
    latest_response = Response.objects.filter(complaint=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        unscoped_complaints_for_system()
        .filter(platform__isnull=False, created_at__lte=now)
        .filter(Q(first_answered_at__isnull=False) | Q(created_at__lte=cutoff))
        .select_related("platform__operator")
        .only(
            "pk",
            "created_at",
            "problem",
            "payment_channel",
            "amount",
            "platform__name",
            "platform__slug",
            "platform__operator__name",
        )
        .annotate(
            open_outcome=Case(
                When(~Q(finding=""), then=F("finding")),
                When(status__in=OPEN_STATUSES, then=Value(IN_PROGRESS)),
                default=F("status"),
            ),
            open_response=Coalesce(Subquery(latest_response.values("outcome")[:1]), Value(NO_RESPONSE)),
            open_timely=Exists(
                Deadline.objects.filter(
                    complaint=OuterRef("pk"),
                    kind=ClockKind.FIRST_RESPONSE,
                    met_at__isnull=False,
                    met_at__lte=F("due_at"),
                )
            ),
            open_disputed=_disputed(whole_table=whole_table),
            open_narrative=_narrative(),
        )
        .order_by("-created_at", "-pk")
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def filter_published(
    complaints: QuerySet[Complaint],
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    platform: str = "",
    problem: str = "",
    payment_channel: str = "",
    outcome: str = "",
) -> QuerySet[Complaint]:
    """The API's filters; dates are the day received in Asia/Shanghai, both ends included."""
    if date_from:
        complaints = complaints.filter(created_at__gte=_day_start(date_from))
    if date_to:
        complaints = complaints.filter(created_at__lt=_day_start(date_to + timedelta(days=1)))
    if platform:
        # By id, looked up first: filtered through the join on the slug, PostgreSQL plans for an average
        # platform and sorts all of a busy one's complaints for every page instead of reading them newest first.
        platform_id = Platform.objects.filter(slug=platform).values_list("pk", flat=True).first()
        complaints = complaints.none() if platform_id is None else complaints.filter(platform_id=platform_id)
    if problem:
        complaints = complaints.filter(problem=problem)
    if payment_channel:
        complaints = complaints.filter(payment_channel=payment_channel)
    if outcome:
        complaints = complaints.filter(open_outcome=outcome)
    return complaints


def open_record(complaint: Complaint) -> dict[str, str]:
    """One published complaint as its record: exactly ``FIELDS``, every value a string."""
    platform = complaint.platform
    return {
        "complaint_id": public_id(complaint.pk),
        "date_received": timezone.localtime(complaint.created_at, SHANGHAI).date().isoformat(),
        "platform": platform.name,
        "platform_slug": platform.slug,
        "operator": platform.operator.name if platform.operator_id else "",
        "product_category": PRODUCT_CATEGORIES.get(complaint.problem, "unspecified"),
        "problem": complaint.problem,
        "payment_channel": complaint.payment_channel,
        "amount_band": amount_band(complaint.amount),
        "platform_response": complaint.open_response,
        "timely": "Y" if complaint.open_timely else "N",
        "consumer_disputed": "Y" if complaint.open_disputed else "N",
        "outcome": complaint.open_outcome,
        "narrative": complaint.open_narrative or "",
    }


# --- the daily export --------------------------------------------------------------------------------------


def export_name(day: date | str, fmt: str) -> str:
    label = day if isinstance(day, str) else day.isoformat()
    return f"open-data/complaints-{label}.{fmt}.gz"


def _records(complaints: QuerySet[Complaint]):
    for complaint in complaints.iterator(chunk_size=settings.PORTAL_OPEN_DATA_CHUNK_SIZE):
        yield open_record(complaint)


def write_export(complaints: QuerySet[Complaint], csv_target, jsonl_target) -> int:
    """Write every record of ``complaints`` gzipped into both binary files, in one pass; returns the count.

    The gzip members carry no file name or time, so the same records give the same bytes.
    """
    count = 0
    with (
        gzip.GzipFile(fileobj=csv_target, mode="wb", mtime=0, filename="") as csv_gz,
        gzip.GzipFile(fileobj=jsonl_target, mode="wb", mtime=0, filename="") as jsonl_gz,
    ):

        def rows():
            nonlocal count
            for record in _records(complaints):
                jsonl_gz.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
                count += 1
                yield [record[field] for field in FIELDS]

        for line in csv_lines(FIELDS, rows()):
            csv_gz.write(line.encode("utf-8"))
    return count


def _digest(target) -> tuple[str, int]:
    target.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := target.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    target.seek(0)
    return digest.hexdigest(), size


def _store(name: str, target) -> str:
    # A run stopped after storing the file but before recording the release left it behind: replace it, so the
    # stable name is kept rather than suffixed.
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, File(target))


def open_data_export(*, day: date | None = None, now: datetime | None = None) -> OpenDataRelease:
    """Write the day's export (records published at ``now``) unless it exists; running it again is harmless."""
    now = now or timezone.now()
    day = day or timezone.localtime(now, SHANGHAI).date()
    existing = OpenDataRelease.objects.filter(day=day).first()
    if existing is not None:
        return existing
    complaints = published_complaints(now=now, whole_table=True).order_by("created_at", "pk")
    with tempfile.TemporaryFile() as csv_file, tempfile.TemporaryFile() as jsonl_file:
        records = write_export(complaints, csv_file, jsonl_file)
        csv_sha256, csv_size = _digest(csv_file)
        jsonl_sha256, jsonl_size = _digest(jsonl_file)
        csv_name = _store(export_name(day, "csv"), csv_file)
        jsonl_name = _store(export_name(day, "jsonl"), jsonl_file)
    with transaction.atomic():
        release, _created = OpenDataRelease.objects.get_or_create(
            day=day,
            defaults={
                "csv_name": csv_name,
                "jsonl_name": jsonl_name,
                "records": records,
                "csv_sha256": csv_sha256,
                "jsonl_sha256": jsonl_sha256,
                "csv_size": csv_size,
                "jsonl_size": jsonl_size,
            },
        )
    logger.info("open data %s: %s records", day, records)
    return release


def release_for(label: str) -> OpenDataRelease | None:
    """The release named in a download URL: a day (``2026-12-03``) or ``latest``."""
    if label == "latest":
        return OpenDataRelease.objects.order_by("-day").first()
    try:
        day = date.fromisoformat(label)
    except ValueError:
        return None
    return OpenDataRelease.objects.filter(day=day).first()
