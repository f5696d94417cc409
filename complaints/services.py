"""Every action that changes a complaint. Each one locks the row, checks who acts and the current status,
changes it, appends one chained event and schedules notifications after commit.
"""

import hashlib
import json
import secrets
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from operator import attrgetter

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import (
    is_consumer,
    is_platform_staff,
    is_regulator,
    may_keep_internal_notes,
    owns_complaint,
    works_for_platform_of,
)
from portal.errors import Conflict, IllegalTransition
from portal.money import too_large_message
from portal.notifications import Accounts, accounts_by_address
from portal.offices import receiving_office_for
from portal.sequences import sequence_next

from . import notifications, transitions, unreachable
from .calendar import SHANGHAI
from .deadlines import (
    build_clock,
    change_clocks,
    meet_clocks,
    pause_clocks,
    resume_clocks,
    start_clocks,
    sync_complaint_platform_due,
)
from .events import CHAIN_HEAD_FIELDS, build_event, record_event
from .models import (
    FINAL_OUTCOMES,
    OPEN_STATUSES,
    PLATFORM_CLOCKS,
    ClockKind,
    Complaint,
    Deadline,
    Event,
    EventKind,
    Evidence,
    IdempotencyKey,
    InternalNote,
    Party,
    Problem,
    Response,
    ResponseOutcome,
    Status,
    WebhookDelivery,
    WebhookEvent,
)
from .selectors import complaints_visible_to
from .transitions import Trigger

UNDELIVERED_PROBLEMS = (
    Problem.CARD_KEY_MISSING,
    Problem.MEMBERSHIP_NOT_ACTIVATED,
    Problem.TOPUP_NOT_CREDITED,
)


# --- guards -------------------------------------------------------------------------------------------


def lock_complaint(by, complaint_id) -> Complaint:
    """The complaint, row-locked, if ``by`` may see it; otherwise exactly as missing as a wrong id."""
    try:
        return complaints_visible_to(by).select_for_update().get(pk=complaint_id)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such complaint.")) from None


def require_status(complaint: Complaint, allowed: Sequence[str], action: str) -> None:
    transitions.require(transitions.status_refusal(complaint, allowed, action))


def _require_consumer_owner(by, complaint: Complaint) -> None:
    if not owns_complaint(by, complaint):
        raise PermissionDenied(_("Only the consumer who filed this complaint can do that."))


def _require_platform_staff(by, complaint: Complaint) -> None:
    if not works_for_platform_of(by, complaint):
        raise PermissionDenied(_("Only staff of the platform concerned can do that."))


def save_complaint(complaint: Complaint, *fields: str) -> None:
    complaint.save(update_fields=[*fields, "updated_at"])


# --- filing --------------------------------------------------------------------------------------------


def _validate_filing(data: dict, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    paid_at = data.get("paid_at")
    if paid_at and paid_at > now:
        errors.setdefault("paid_at", []).append(_("The time paid cannot be in the future."))
    amount = data.get("amount")
    if amount is not None:
        amount = Decimal(amount)
        if amount <= 0:
            errors.setdefault("amount", []).append(_("The amount must be more than 0 yuan."))
        elif amount > settings.PORTAL_AMOUNT_MAX:
            errors.setdefault("amount", []).append(too_large_message(settings.PORTAL_AMOUNT_MAX))
        elif amount.as_tuple().exponent < -2:
            errors.setdefault("amount", []).append(_("The amount has at most two decimals (fen)."))
    if not data.get("platform") and not data.get("unregistered_platform_name"):
        errors.setdefault("platform", []).append(
            _("Choose a registered platform, or give the name and website of an unregistered one.")
        )
    support_at = data.get("support_contacted_at")
    if support_at and support_at > now:
        errors.setdefault("support_contacted_at", []).append(_("The time of contact cannot be in the future."))
    if errors:
        raise ValidationError(errors)


def _breaches_compensation_standard(platform, paid_at: datetime, now: datetime, problem: str) -> bool:
    """True when the platform promised delivery (or automatic compensation) within N hours and N have passed."""
    if platform is None or not platform.compensation_hours or problem not in UNDELIVERED_PROBLEMS:
        return False
    return (now - paid_at).total_seconds() > platform.compensation_hours * 3600


def _filing_fingerprint(data: dict) -> str:
    canonical = json.dumps(
        {k: (v.pk if hasattr(v, "pk") else v) for k, v in sorted(data.items())}, cls=DjangoJSONEncoder
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


FILING_FIELDS = (
    "platform",
    "unregistered_platform_name",
    "unregistered_platform_url",
    "order_number",
    "paid_at",
    "amount",
    "payment_channel",
    "payment_reference",
    "product_name",
    "problem",
    "platform_order_status",
    "description",
    "desired_outcome",
    "support_agent_id",
    "support_contacted_at",
    "support_promise",
    "support_promised_by",
    "publish_consent",
)


def complaint_file(
    *,
    consumer,
    data: dict,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    with_related: bool = False,
) -> tuple[Complaint, bool]:
    """File a complaint; returns (complaint, created).

    A retry with the same ``idempotency_key`` returns the first complaint (created=False) instead of filing twice,
    even when both requests arrive at once: the key row is unique, so the second insert waits for the first.
    ``with_related`` is for a caller that renders the new complaint at once: it comes back with its clocks,
    answers and evidence cached as ``prefetch_related`` leaves them, so none is read back (and, as with any
    prefetch, a copy kept while the complaint changes would show stale rows).
    """
    if not is_consumer(consumer):
        raise PermissionDenied(_("Only consumers can file complaints."))
    now = now or timezone.now()
    data = {key: value for key, value in data.items() if key in FILING_FIELDS}
    _validate_filing(data, now)
    if idempotency_key:
        existing = _idempotent_replay(consumer, idempotency_key, data)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            filing = _insert_complaint(consumer, data, now)
            if idempotency_key:
                # A second request with this key waits here (or on the order's unique index) for the first
                # to commit, then fails and replays it below.
                IdempotencyKey.objects.create(
                    user=consumer,
                    key=idempotency_key,
                    request_fingerprint=_filing_fingerprint(data),
                    complaint=filing.complaint,
                )
            _number_and_announce(filing, now)
            if filing.complaint.platform is not None and filing.complaint.platform.is_unreachable:
                # Confirmed unreachable by a regulator: no clock runs against it (complaints/unreachable.py).
                unreachable.complaint_filed_against_unreachable_platform(filing.complaint, at=now)
                filing.clocks = list(filing.complaint.deadlines.all())
                filing.complaint.refresh_from_db()
        complaint = filing.complaint
        if with_related:
            # Every related row of the new complaint is in hand; Deadline's ordering is by due time.
            _as_prefetched(
                complaint, deadlines=sorted(filing.clocks, key=attrgetter("due_at")), responses=[], evidence=[]
            )
    except IntegrityError:
        if idempotency_key:
            existing = _idempotent_replay(consumer, idempotency_key, data)
            if existing is not None:
                return existing, False
        duplicate = (
            open_complaint_for_order(consumer.pk, data["platform"], data.get("order_number"))
            if data.get("platform")
            else None
        )
        if duplicate is not None:
            raise _duplicate_error(duplicate) from None
        raise
    return complaint, True


def _idempotent_replay(consumer, key: str, data: dict) -> Complaint | None:
    row = IdempotencyKey.objects.filter(user=consumer, key=key).select_related("complaint").first()
    if row is None:
        return None
    if row.request_fingerprint != _filing_fingerprint(data):
        raise Conflict(
            _("This Idempotency-Key was already used for a different complaint."), code="idempotency_mismatch"
        )
    return row.complaint


def open_complaint_for_order(consumer_id: int, platform, order_number: str) -> Complaint | None:
    """The consumer's open complaint about this order on this platform: there may be only one."""
    return Complaint.objects.filter(
        consumer_id=consumer_id, platform=platform, order_number=order_number, status__in=OPEN_STATUSES
    ).first()


def _duplicate_error(existing: Complaint) -> Conflict:
    return Conflict(
        _("You already have an open complaint %(reference)s for this order.") % {"reference": existing.reference},
        code="duplicate_open_complaint",
        link=f"/complaints/{existing.pk}/",
    )


@dataclass
class _Filing:
    """A complaint written without its reference yet, and what is to be written once it has one."""

    complaint: Complaint
    clocks: list[Deadline]
    emails: list[tuple[str, list[str]]]
    webhooks: list[WebhookDelivery]
    accounts: Accounts  # the accounts behind the e-mail addresses, looked up before the number is locked


# Unique, never a real reference (those start with the prefix), and seen by no other transaction: the row gets its
# number in the same transaction before anyone can read it.
def _unnumbered() -> str:
    return f"~{secrets.token_hex(9)}"


def _insert_complaint(consumer, data: dict, now: datetime) -> _Filing:
    """Write the complaint and its clocks before the gap-free number is taken.

    The counter row stays locked from the number until commit, so every filing of the year queues behind what
    is written after it: only the rows that carry the reference are (see ``_number_and_announce``). A second
    open complaint for the same order is not looked up first: the constraint complaint_one_open_per_order
    refuses the row, and ``complaint_file`` then names the open one.
    """
    platform = data.get("platform")
    clocks = [build_clock(None, kind, now) for kind in PLATFORM_CLOCKS] if platform else []
    # Order 121 Art. 13/41: the county office of the platform's domicile, else the receiving centre's triage.
    # The office that receives it first keeps it unless it is transferred (Art. 14).
    office = receiving_office_for(platform.domicile_code if platform else "")
    notify = (
        ("complaint_new_platform", notifications.platform_recipients_of(platform))
        if platform
        else ("complaint_triage", notifications.regulator_recipients(office.pk if office else None))
    )
    complaint = Complaint(
        reference=_unnumbered(),
        consumer=consumer,
        office=office,
        first_received_by=office,
        office_since=now,
        status=Status.AWAITING_PLATFORM if platform else Status.TRIAGE,
        created_at=now,
        forwarded_at=now if platform else None,
        compensation_breach=_breaches_compensation_standard(platform, data["paid_at"], now, data["problem"]),
        # The new clocks all run unpaused: the row is written with the earliest one instead of updated after.
        platform_due_at=min((clock.due_at for clock in clocks), default=None),
        **data,
    )
    complaint.save(force_insert=True)
    for clock in clocks:
        clock.complaint = complaint
    Deadline.objects.bulk_create(clocks)
    emails = [notify, ("complaint_filed_consumer", [consumer.email] if consumer.email else [])]
    return _Filing(
        complaint=complaint,
        clocks=clocks,
        emails=emails,
        webhooks=notifications.webhook_deliveries([(platform.pk, WebhookEvent.CREATED, {})]) if platform else [],
        accounts=accounts_by_address(address for _template, recipients in emails for address in recipients),
    )


def _number_and_announce(filing: _Filing, now: datetime) -> None:
    """Take the number, then write what carries it: the reference, the chained first events, e-mails, webhooks."""
    complaint = filing.complaint
    # The regulator's year, whatever zone the thread has active: 00:00:30 on 1 January is already next year.
    year = timezone.localtime(now, SHANGHAI).year
    complaint.reference = f"{settings.PORTAL_REFERENCE_PREFIX}-{year}-{sequence_next(scope='complaint', year=year):06d}"
    events = [
        build_event(complaint, kind=EventKind.FILED, actor=complaint.consumer, at=now, data=_filing_snapshot(complaint))
    ]
    if complaint.platform_id:
        events.append(build_event(complaint, kind=EventKind.FORWARDED, at=now, data=forwarding_data(complaint)))
    save_complaint(complaint, "reference", *CHAIN_HEAD_FIELDS)
    Event.objects.bulk_create(events)
    for delivery in filing.webhooks:
        delivery.payload.update(notifications.webhook_payload(complaint))
    messages = [notifications.outbox_message(template, recipients, complaint) for template, recipients in filing.emails]
    notifications.queue_many(
        [message for message in messages if message is not None], filing.webhooks, accounts=filing.accounts
    )


def _as_prefetched(complaint: Complaint, **related: list) -> None:
    """Cache ``complaint``'s related rows as ``prefetch_related`` would: ``complaint.deadlines.all()`` then answers
    from memory. Give the rows in the related model's ordering."""
    cache = {}
    for name, rows in related.items():
        queryset = getattr(complaint, name).all()
        queryset._result_cache = rows
        queryset._prefetch_done = True
        cache[name] = queryset
    complaint._prefetched_objects_cache = cache


def _filing_snapshot(complaint: Complaint) -> dict:
    return {
        "platform": complaint.platform.slug if complaint.platform_id else None,
        "unregistered_platform": complaint.unregistered_platform_name or None,
        "order_number": complaint.order_number,
        "paid_at": complaint.paid_at,
        "amount": str(complaint.amount),
        "payment_channel": complaint.payment_channel,
        "payment_reference": complaint.payment_reference,
        "product_name": complaint.product_name,
        "problem": complaint.problem,
        "platform_order_status": complaint.platform_order_status,
        "description_sha256": hashlib.sha256(complaint.description.encode()).hexdigest(),
        "desired_outcome": complaint.desired_outcome,
        "support_agent_id": complaint.support_agent_id or None,
        "support_promise": complaint.support_promise or None,
        "compensation_breach": complaint.compensation_breach,
    }


def forwarding_data(complaint: Complaint) -> dict:
    return {"platform": complaint.platform.slug, "clocks": list(PLATFORM_CLOCKS)}


def complaint_file_with_evidence(*, consumer, data: dict, files: Sequence[tuple[UploadedFile, str]]) -> Complaint:
    """File a complaint together with the evidence files chosen on the same form: all or nothing.

    A refused file leaves nothing filed (no complaint, no reference number used, no e-mail), so the consumer
    corrects the file and sends the form again. File errors come back under ``evidence_files``.
    """
    with transaction.atomic():
        complaint, _created = complaint_file(consumer=consumer, data=data)
        if files:
            try:
                complaint_add_evidence(complaint_id=complaint.pk, by=consumer, files=files)
            except ValidationError as error:
                raise ValidationError({"evidence_files": error.messages}) from error
    return complaint


# --- evidence ------------------------------------------------------------------------------------------


def complaint_add_evidence(*, complaint_id: int, by, files: Sequence[tuple[UploadedFile, str]]) -> list[Evidence]:
    """Store evidence files; all of them or none. Bytes are kept exactly; their SHA-256 goes into the chain."""
    if not files:
        raise ValidationError({"file": [_("Choose at least one file.")]})
    inspected = evidence_inspect(files)
    stored: list[Evidence] = []
    with evidence_files_removed_on_failure(stored), transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        party = _evidence_party(by, complaint)
        if not complaint.is_open:
            raise IllegalTransition(_("Evidence cannot be added to a finished complaint."))
        stored += evidence_store(complaint, by=by, party=party, inspected=inspected, now=timezone.now())
    return stored


def evidence_inspect(files: Sequence[tuple[UploadedFile, str]]) -> list[tuple[UploadedFile, str, object]]:
    """Check each upload by its content (``uploads.inspect_upload``) before any row is locked: (upload, kind,
    what it is). A refused file raises ``UploadRejected`` naming it."""
    from .uploads import inspect_upload

    return [(upload, kind, _inspect_naming_the_file(inspect_upload, upload)) for upload, kind in files]


@contextmanager
def evidence_files_removed_on_failure(stored: list[Evidence]):
    """Delete the stored bytes (and thumbnails) of ``stored`` if the block fails: its rows roll back with it."""
    try:
        yield
    except BaseException:
        for evidence in stored:
            evidence.file.delete(save=False)
            if evidence.thumbnail:
                evidence.thumbnail.delete(save=False)
        raise


def evidence_store(complaint: Complaint, *, by, party: str, inspected: list, now: datetime) -> list[Evidence]:
    """Save inspected files as evidence of a locked complaint, each with its chained ``evidence_added`` event.

    A failure here removes the files it wrote; once it has returned, the caller's
    ``evidence_files_removed_on_failure`` covers the rest of the transaction.
    """
    from .uploads import make_thumbnail, validate_evidence_count

    validate_evidence_count(complaint.evidence.count(), len(inspected))
    stored: list[Evidence] = []
    try:
        for upload, kind, info in inspected:
            evidence = Evidence(
                complaint=complaint,
                party=party,
                uploaded_by=by if getattr(by, "pk", None) else None,
                kind=kind,
                original_name=info.safe_name,
                size=info.size,
                sha256=info.sha256,
                content_type=info.content_type,
                received_at=now,
            )
            upload.seek(0)
            evidence.file.save(info.safe_name, upload, save=False)
            stored.append(evidence)
            thumbnail = make_thumbnail(upload) if info.is_image else None
            if thumbnail is not None:
                evidence.thumbnail.save("thumb.png", thumbnail, save=False)
            evidence.save()
            record_event(
                complaint,
                kind=EventKind.EVIDENCE_ADDED,
                actor=by,
                at=now,
                data={
                    "evidence_id": evidence.pk,
                    "kind": kind,
                    "file_name": info.safe_name,
                    "size": info.size,
                    "sha256": info.sha256,
                    "content_type": info.content_type,
                    "party": party,
                },
            )
    except BaseException:
        for evidence in stored:
            evidence.file.delete(save=False)
            if evidence.thumbnail:
                evidence.thumbnail.delete(save=False)
        raise
    return stored


def _inspect_naming_the_file(inspect_upload, upload: UploadedFile):
    """``inspect_upload``, whose refusal names the file: among several chosen at once, the uploader must know
    which one to leave out."""
    from .uploads import UploadRejected

    try:
        return inspect_upload(upload)
    except UploadRejected as error:
        name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1][:100]
        raise UploadRejected(
            _("%(name)s: %(reason)s") % {"name": name, "reason": " ".join(error.messages)}, error.code
        ) from error


def _evidence_party(by, complaint: Complaint) -> str:
    if owns_complaint(by, complaint):
        return Party.CONSUMER
    if works_for_platform_of(by, complaint):
        return Party.PLATFORM
    if is_regulator(by):
        return Party.REGULATOR
    raise PermissionDenied(_("You cannot add evidence to this complaint."))


# --- the platform's side -------------------------------------------------------------------------------

RESPONSE_REQUIRED_FIELDS = {
    ResponseOutcome.DELIVERED: ("delivered_at", "delivery_method", "delivery_record"),
    ResponseOutcome.REFUNDED: ("refund_amount", "refund_reference"),
    ResponseOutcome.COMPENSATED: ("compensation",),
    ResponseOutcome.REJECTED: ("rejection_reason",),
    ResponseOutcome.IN_PROGRESS: ("promised_by",),
}
RESPONSE_FIELDS = (
    "delivered_at",
    "delivery_method",
    "delivery_record",
    "refund_amount",
    "refund_reference",
    "compensation",
    "rejection_reason",
    "promised_by",
)


def _validate_response(complaint: Complaint, outcome: str, message: str, fields: dict, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if outcome not in ResponseOutcome.values:
        errors["outcome"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(ResponseOutcome.values)}]
        raise ValidationError(errors)
    if not (message or "").strip():
        errors["message"] = [_("Explain the answer to the consumer.")]
    for name in RESPONSE_REQUIRED_FIELDS[outcome]:
        if fields.get(name) in (None, ""):
            errors.setdefault(name, []).append(_("This field is required for this outcome."))
    if outcome == ResponseOutcome.REJECTED and fields.get("rejection_reason") == "other" and len(message or "") < 20:
        errors.setdefault("message", []).append(_("Explain the rejection in at least 20 characters."))
    delivered_at = fields.get("delivered_at")
    if delivered_at and delivered_at > now:
        errors.setdefault("delivered_at", []).append(_("The delivery time cannot be in the future."))
    refund = fields.get("refund_amount")
    if refund is not None and refund != "" and not (0 < Decimal(refund) <= complaint.amount):
        errors.setdefault("refund_amount", []).append(
            _("The refund must be more than 0 and at most the amount paid (%(amount)s).") % {"amount": complaint.amount}
        )
    record = fields.get("delivery_record") or ""
    if outcome == ResponseOutcome.DELIVERED and record and not any(ch in record for ch in "*＊•"):
        errors.setdefault("delivery_record", []).append(
            _("Mask the card key or activation record (e.g. ABCD-****-****-1234): never send it in full here.")
        )
    if outcome == ResponseOutcome.IN_PROGRESS:
        promised_by = fields.get("promised_by")
        if complaint.responses.filter(outcome=ResponseOutcome.IN_PROGRESS).exists():
            errors.setdefault("outcome", []).append(_("“In progress” can be answered only once."))
        resolution = complaint.deadlines.filter(kind=ClockKind.RESOLUTION).first()
        if promised_by and promised_by <= now:
            errors.setdefault("promised_by", []).append(_("The promised date must be in the future."))
        elif promised_by and resolution and promised_by > resolution.due_at:
            errors.setdefault("promised_by", []).append(
                _("The promised date must fall inside the resolution window (before %(due)s).")
                % {"due": timezone.localtime(resolution.due_at).strftime("%Y-%m-%d %H:%M")}
            )
    if errors:
        raise ValidationError(errors)


def complaint_respond(*, complaint_id: int, by, outcome: str, message: str, **fields) -> Response:
    """The platform answers. A final outcome hands the complaint to the consumer to accept or dispute."""
    now = timezone.now()
    unknown = set(fields) - set(RESPONSE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    with transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        return answer_locked_complaint(complaint, by=by, outcome=outcome, message=message, fields=fields, now=now)


def answer_locked_complaint(complaint: Complaint, *, by, outcome: str, message: str, fields: dict, now) -> Response:
    """Record one answer on a complaint the caller has locked: the guards, the answer, its clocks, its chained
    event and the consumer's e-mail. ``complaint_respond`` and the answer to a joint complaint (one per member,
    complaints/joint.py) both go through here."""
    _require_platform_staff(by, complaint)
    require_status(complaint, [Status.AWAITING_PLATFORM, Status.DISPUTED], _("answered"))
    _validate_response(complaint, outcome, message, fields, now)
    relevant = {name: fields.get(name) for name in RESPONSE_REQUIRED_FIELDS[outcome]}
    if outcome == ResponseOutcome.REJECTED:
        relevant["rejection_reason"] = fields["rejection_reason"]
    response = Response.objects.create(
        complaint=complaint,
        outcome=outcome,
        message=message,
        responder=by if getattr(by, "pk", None) else None,
        api_key=getattr(by, "api_key", None),
        **{name: value for name, value in relevant.items() if value not in (None, "")},
    )
    meet_clocks(complaint, [ClockKind.FIRST_RESPONSE], now)
    fields_changed = []
    if complaint.first_answered_at is None:
        complaint.first_answered_at = now
        fields_changed.append("first_answered_at")
    if outcome in FINAL_OUTCOMES:
        meet_clocks(complaint, [ClockKind.RESOLUTION], now)
        start_clocks(complaint, [ClockKind.CONSUMER_REPLY], now)
        complaint.status = Status.AWAITING_CONSUMER
        complaint.final_answered_at = now
        fields_changed += ["status", "final_answered_at"]
    if fields_changed:
        save_complaint(complaint, *fields_changed)
    record_event(
        complaint,
        kind=EventKind.ANSWERED,
        actor=by,
        at=now,
        data={"response_id": response.pk, "outcome": outcome, "message": message, **relevant},
    )
    notifications.queue_email(
        "complaint_answered",
        [complaint.consumer.email] if complaint.consumer.email else [],
        complaint,
        extra={"outcome": outcome, "message": message},
    )
    return response


def complaint_request_info(*, complaint_id: int, by, message: str) -> Complaint:
    """The platform asks the consumer for information; its resolution clocks pause meanwhile."""
    if not (message or "").strip():
        raise ValidationError({"message": [_("Say what information you need.")]})
    now = timezone.now()
    with transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        _require_platform_staff(by, complaint)
        require_status(complaint, [Status.AWAITING_PLATFORM], _("put on hold for information"))
        meet_clocks(complaint, [ClockKind.FIRST_RESPONSE], now)
        pause_clocks(complaint, [ClockKind.RESOLUTION, ClockKind.HARD_LIMIT], now)
        complaint.status = Status.INFO_REQUESTED
        fields = ["status"]
        if complaint.first_answered_at is None:
            complaint.first_answered_at = now
            fields.append("first_answered_at")
        save_complaint(complaint, *fields)
        record_event(
            complaint,
            kind=EventKind.INFO_REQUESTED,
            actor=by,
            at=now,
            data={"message": message, "clocks_paused": [ClockKind.RESOLUTION, ClockKind.HARD_LIMIT]},
        )
        notifications.queue_email(
            "complaint_info_requested",
            [complaint.consumer.email] if complaint.consumer.email else [],
            complaint,
            extra={"message": message},
        )
    return complaint


def complaint_supply_info(*, complaint_id: int, by, message: str) -> Complaint:
    """The consumer answers the platform's question; the paused clocks resume, pushed back by the pause."""
    if not (message or "").strip():
        raise ValidationError({"message": [_("Write your answer to the platform.")]})
    now = timezone.now()
    with transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        _require_consumer_owner(by, complaint)
        require_status(complaint, [Status.INFO_REQUESTED], _("answered by the consumer"))
        resumed = resume_clocks(complaint, [ClockKind.RESOLUTION, ClockKind.HARD_LIMIT], now)
        complaint.status = Status.AWAITING_PLATFORM
        save_complaint(complaint, "status")
        record_event(
            complaint,
            kind=EventKind.INFO_SUPPLIED,
            actor=by,
            at=now,
            data={"message": message, "clocks_resumed": {c.kind: c.due_at.isoformat() for c in resumed}},
        )
        if unreachable.complaint_back_to_unreachable_platform(complaint, at=now):
            return complaint
        notifications.queue_email(
            "complaint_info_supplied", notifications.platform_recipients(complaint.platform_id), complaint
        )
    return complaint


def complaint_assign(*, complaint_ids: Sequence[int], by, assignee) -> int:
    """Assign complaints of the staff member's own platform to one of its agents (or unassign with None)."""
    if not is_platform_staff(by):
        raise PermissionDenied(_("Only platform staff can assign complaints."))
    if assignee is not None and (assignee.platform_id != by.platform_id or not assignee.is_active):
        raise ValidationError({"assignee": [_("Choose an active member of your platform's staff.")]})
    with transaction.atomic():
        return (
            complaints_visible_to(by)
            .filter(pk__in=complaint_ids)
            .update(assigned_to=assignee, updated_at=timezone.now())
        )


def complaint_add_note(*, complaint_id: int, by, text: str) -> InternalNote:
    if not (text or "").strip():
        raise ValidationError({"text": [_("The note is empty.")]})
    if not may_keep_internal_notes(by):
        raise PermissionDenied(_("Only platform staff and regulators keep internal notes."))
    with transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        return InternalNote.objects.create(
            complaint=complaint, author=by if getattr(by, "pk", None) else None, text=text
        )


# --- the consumer's side -------------------------------------------------------------------------------


def complaint_accept(*, complaint_id: int, by, rating: int, comment: str = "") -> Complaint:
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("Give a rating from 1 to 5.")]})
    now = timezone.now()
    with transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        _require_consumer_owner(by, complaint)
        transitions.require(transitions.acceptance_refusal(complaint, trigger=Trigger.CONSUMER))
        move = transitions.accept(complaint, now=now, trigger=Trigger.CONSUMER, rating=rating, comment=comment)
        _make(complaint, move, now=now, actor=by)
    return complaint


def _make(complaint: Complaint, move: transitions.Move, *, now: datetime, actor) -> None:
    """Write a move made in memory on one locked complaint: what the sweep writes in bulk for many."""
    save_complaint(complaint, *move.fields)
    change_clocks([complaint], move.clocks, now)
    sync_complaint_platform_due(complaint)
    record_event(complaint, kind=move.event_kind, actor=actor, at=now, data=move.event_data)


def complaint_dispute(*, complaint_id: int, by, reason: str) -> Complaint:
    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": [_("Say why you dispute the answer.")]})
    now = timezone.now()
    with transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        _require_consumer_owner(by, complaint)
        require_status(complaint, [Status.AWAITING_CONSUMER], _("disputed"))
        meet_clocks(complaint, [ClockKind.CONSUMER_REPLY], now)
        complaint.status = Status.DISPUTED
        complaint.dispute_reason = reason
        save_complaint(complaint, "status", "dispute_reason")
        record_event(complaint, kind=EventKind.DISPUTED, actor=by, at=now, data={"reason": reason})
        if unreachable.complaint_back_to_unreachable_platform(complaint, at=now):
            # Confirmed unreachable: the dispute goes to the desk, not to a platform nobody answers for.
            return complaint
        notifications.queue_email(
            "complaint_disputed",
            notifications.platform_recipients(complaint.platform_id),
            complaint,
            extra={"reason": reason},
        )
        notifications.queue_webhooks(
            complaint.platform_id, WebhookEvent.DISPUTED, {**notifications.webhook_payload(complaint), "reason": reason}
        )
    return complaint


def complaint_escalate(*, complaint_id: int, by, reason: str) -> Complaint:
    """The consumer takes a disputed or overdue complaint to the regulator."""
    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": [_("Say why the regulator should step in.")]})
    now = timezone.now()
    with transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        _require_consumer_owner(by, complaint)
        transitions.require(transitions.escalation_refusal(complaint, trigger=Trigger.CONSUMER))
        move = transitions.escalate(complaint, now=now, trigger=Trigger.CONSUMER, reason=reason)
        _make(complaint, move, now=now, actor=by)
        notifications.queue_notices(
            notifications.escalation_notices(
                complaint, move.event_data, regulators=notifications.regulator_recipients(complaint.office_id)
            )
        )
    return complaint


def complaint_withdraw(*, complaint_id: int, by, reason: str = "") -> Complaint:
    now = timezone.now()
    with transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        _require_consumer_owner(by, complaint)
        require_status(complaint, OPEN_STATUSES, _("withdrawn"))
        Deadline.objects.filter(complaint=complaint).running().update(cancelled_at=now, paused_at=None)
        sync_complaint_platform_due(complaint)
        complaint.status = Status.WITHDRAWN
        complaint.closed_at = now
        save_complaint(complaint, "status", "closed_at")
        record_event(complaint, kind=EventKind.WITHDRAWN, actor=by, at=now, data={"reason": reason})
        notifications.queue_email(
            "complaint_withdrawn", notifications.platform_recipients(complaint.platform_id), complaint
        )
    return complaint


def complaint_set_publication(*, complaint_id: int, by, consent: bool) -> Complaint:
    """Publish (redacted) or unpublish the consumer's narrative on the platform's public page."""
    from complaints.redaction import redact_personal_data

    now = timezone.now()
    with transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        _require_consumer_owner(by, complaint)
        complaint.publish_consent = bool(consent)
        complaint.public_narrative = redact_personal_data(complaint.description) if consent else ""
        save_complaint(complaint, "publish_consent", "public_narrative")
        record_event(complaint, kind=EventKind.PUBLICATION_CHANGED, actor=by, at=now, data={"consent": bool(consent)})
    return complaint


# --- the regulator's side ------------------------------------------------------------------------------
# The desk's moves (forward, accept, refuse, mediation, close) are in regulation/desk.py.


def link_penalty(complaint: Complaint, *, penalty, by) -> Event:
    """Called by the penalty service for each complaint the decision cites. The complaint must be locked."""
    return record_event(
        complaint,
        kind=EventKind.PENALTY_LINKED,
        actor=by,
        data={"penalty": penalty.number, "kind": penalty.kind},
    )
