"""E-mails and webhooks about complaints, written as outbox rows inside the caller's transaction and sent after
commit.

A row is the promise that a message will go out: if the broker is down at commit time the row waits, and
``flush_outbox_task`` (beat, every minute) sends it once the broker is back. The e-mail outbox itself is the
portal's (``portal.outbox``); this module addresses its e-mails about a complaint, and owns the webhooks.
"""

import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from platforms.models import WebhookEndpoint
from portal import outbox
from portal.celery import enqueue
from portal.models import Office, OutboxMessage
from portal.notifications import Accounts, deliver

from .calendar import SHANGHAI
from .models import REGULATOR_DUTY_CLOCKS, Complaint, Deadline, WebhookDelivery, WebhookEvent

logger = logging.getLogger(__name__)


def platform_recipients(platform_id: int | None) -> list[str]:
    if platform_id is None:
        return []
    return platform_recipients_by_platform({platform_id}).get(platform_id, [])


def platform_recipients_of(platform) -> list[str]:
    """``platform_recipients`` of a platform already loaded: its contact address is at hand, only staff are read."""
    emails = _staff_emails({platform.pk})[platform.pk]
    if platform.contact_email:
        emails.add(platform.contact_email)
    return sorted(emails)


def platform_recipients_by_platform(platform_ids: set[int]) -> dict[int, list[str]]:
    """Active staff e-mails plus the complaints contact address of each platform, in two queries for any number."""
    from platforms.models import Platform

    emails = _staff_emails(platform_ids)
    for platform_id, email in (
        Platform.objects.filter(pk__in=platform_ids).exclude(contact_email="").values_list("pk", "contact_email")
    ):
        emails[platform_id].add(email)
    return {platform_id: sorted(values) for platform_id, values in emails.items()}


def _staff_emails(platform_ids: set[int]) -> defaultdict[int, set[str]]:
    emails: defaultdict[int, set[str]] = defaultdict(set)
    for platform_id, email in (
        get_user_model()
        .objects.filter(platform_id__in=platform_ids, is_active=True)
        .exclude(email="")
        .values_list("platform_id", "email")
    ):
        emails[platform_id].add(email)
    return emails


def regulator_recipients(office_id: int | None) -> list[str]:
    """Who hears of a complaint that needs a regulator: see ``regulator_recipients_by_office``."""
    return regulator_recipients_by_office({office_id})[office_id]


def regulator_recipients_by_office(office_ids: set[int | None]) -> dict[int | None, list[str]]:
    """The addresses for complaints handled by each office, in two queries: the regulators of that office (it is
    theirs to handle, Order 121 Art. 13; a sibling office must not learn of it), or of the nearest office above
    it that has any, and the configured addresses. A complaint without an office (filed before offices existed)
    is the national office's."""
    offices = {office.pk: office for office in Office.objects.filter(pk__in=office_ids - {None})}
    # Each office's chain of division codes, nearest first; "" stands for the national office, whatever its code.
    chains = {pk: [office.division_code, *reversed(office.ancestor_codes())] for pk, office in offices.items()}
    codes = {code for chain in chains.values() for code in chain}
    emails: defaultdict[str, set[str]] = defaultdict(set)
    for code, parent_id, email in (
        get_user_model()
        .objects.filter(Q(office__division_code__in=codes) | Q(office__parent__isnull=True))
        .filter(role="regulator", is_active=True)
        .exclude(email="")
        .values_list("office__division_code", "office__parent_id", "email")
    ):
        emails[code].add(email)
        if parent_id is None:  # the filter holds only offices with a code, so this is the national office
            emails[""].add(email)
    configured = set(settings.REGULATOR_NOTIFICATION_EMAILS)
    recipients: dict[int | None, list[str]] = {}
    for office_id in office_ids:
        chain = chains.get(office_id, [""])
        nearest = next((emails[code] for code in chain if emails.get(code)), emails.get("", set()))
        recipients[office_id] = sorted(nearest | configured)
    return recipients


def complaint_context(complaint: Complaint) -> dict:
    return {
        "complaint_id": complaint.pk,
        "reference": complaint.reference,
        "platform": complaint.platform_display_name,
        "status": complaint.status,
        "url": f"{settings.SITE_URL}/complaints/{complaint.pk}/",
    }


def outbox_message(
    template: str,
    recipients: Iterable[str],
    complaint: Complaint | None = None,
    context: dict | None = None,
    language: str | None = None,
) -> OutboxMessage | None:
    """An unsaved outbox row (context: the complaint's, unless given), or None when there is nobody to tell."""
    if context is None:
        context = complaint_context(complaint) if complaint else {}
    return outbox.email_message(
        template, recipients, context, language=language, complaint_id=complaint.pk if complaint else None
    )


def queue_email(
    template: str,
    recipients: Iterable[str],
    complaint: Complaint | None = None,
    extra: dict | None = None,
    language: str | None = None,
) -> OutboxMessage | None:
    context = {**(complaint_context(complaint) if complaint else {}), **(extra or {})}
    return outbox.queue_email(
        template, recipients, context, language=language, complaint_id=complaint.pk if complaint else None
    )


def webhook_payload(complaint: Complaint) -> dict:
    """What every webhook tells about its complaint, whichever service or sweep sends it."""
    return {
        "complaint": {
            "id": complaint.pk,
            "reference": complaint.reference,
            "status": complaint.status,
            "order_number": complaint.order_number,
            "amount": str(complaint.amount),
            "problem": complaint.problem,
            "created_at": complaint.created_at.isoformat(),
        }
    }


def webhook_deliveries(targets: Iterable[tuple[int | None, str, dict]]) -> list[WebhookDelivery]:
    """Unsaved deliveries of (platform id, event, payload) to each platform's active endpoints subscribed to the
    event, in one query whatever the number of platforms."""
    targets = [target for target in targets if target[0] is not None]
    if not targets:
        return []
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in WebhookEndpoint.objects.filter(platform_id__in={t[0] for t in targets}, is_active=True):
        endpoints[endpoint.platform_id].append(endpoint)
    return [
        WebhookDelivery(endpoint=endpoint, event=event, payload={"event": event, "id": secrets.token_hex(8), **payload})
        for platform_id, event, payload in targets
        for endpoint in endpoints[platform_id]
        if event in endpoint.events
    ]


def queue_webhooks(platform_id: int | None, event: str, payload: dict) -> list[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.bulk_create(webhook_deliveries([(platform_id, event, payload)]))
    _send_after_commit([], [d.pk for d in deliveries])
    return deliveries


def queue_many(
    messages: list[OutboxMessage], deliveries: list[WebhookDelivery], *, accounts: Accounts | None = None
) -> None:
    """Write e-mails (with their in-app notifications, by each recipient's preference: ``portal.notifications``)
    and webhook deliveries built unsaved: one INSERT per table, whatever their number. ``accounts``: the
    recipients' accounts when the caller looked them up already (``portal.notifications.accounts_by_address``)."""
    messages = deliver(messages, accounts=accounts)
    WebhookDelivery.objects.bulk_create(deliveries)
    _send_after_commit([m.pk for m in messages], [d.pk for d in deliveries])


# --- what each move tells whom ----------------------------------------------------------------------------
# Built unsaved from the move's event data, so a service telling of one complaint and the sweep telling of many
# send the same messages; the recipients are looked up by the caller (the sweep, once for all its complaints).


@dataclass
class Notices:
    """E-mails and webhooks (as ``webhook_deliveries`` targets) built unsaved, written by ``queue_notices``."""

    emails: list[OutboxMessage] = field(default_factory=list)
    webhooks: list[tuple[int | None, str, dict]] = field(default_factory=list)

    def add_email(self, message: OutboxMessage | None) -> None:
        if message is not None:
            self.emails.append(message)

    def extend(self, other: "Notices") -> None:
        self.emails += other.emails
        self.webhooks += other.webhooks


def queue_notices(notices: Notices) -> None:
    """Write ``notices``: one INSERT per table and one endpoint query, whatever their number."""
    queue_many(notices.emails, webhook_deliveries(notices.webhooks))


# What an escalation's e-mail and webhook repeat of its event: codes, put into words by the e-mail template.
ESCALATION_FACTS = ("trigger", "clock", "reason")


def escalation_notices(complaint: Complaint, event_data: dict, *, regulators: list[str]) -> Notices:
    """The regulators' e-mail and the platform's ``complaint.escalated`` webhook of an escalation."""
    facts = {key: event_data[key] for key in ESCALATION_FACTS if event_data.get(key) is not None}
    notices = Notices(
        webhooks=[(complaint.platform_id, WebhookEvent.ESCALATED, {**webhook_payload(complaint), **facts})]
    )
    notices.add_email(
        outbox_message("complaint_escalated", regulators, complaint, {**complaint_context(complaint), **facts})
    )
    return notices


def deadline_context(complaint: Complaint, clock: Deadline) -> dict:
    return {**complaint_context(complaint), "clock": clock.kind, "due_at": clock.due_at.isoformat()}


def clock_context(clock: Deadline) -> dict:
    """The day a clock ends (Beijing time) and the article its length comes from, for an e-mail that names them."""
    return {
        "due_date": clock.due_at.astimezone(SHANGHAI).date().isoformat(),
        "citation": clock.explanation.get("citation", ""),
        "citation_en": clock.explanation.get("citation_en", ""),
    }


def reminder_message(
    complaint: Complaint, clock: Deadline, *, regulators: list[str], platform_staff: list[str]
) -> OutboxMessage | None:
    """The reminder before ``clock`` falls due, to whoever owes the next step: the regulators or the platform."""
    recipients = regulators if clock.kind in REGULATOR_DUTY_CLOCKS else platform_staff
    return outbox_message("deadline_reminder", recipients, complaint, deadline_context(complaint, clock))


def overdue_notices(
    complaint: Complaint, clock: Deadline, *, regulators: list[str], platform_staff: list[str], first: bool
) -> Notices:
    """The e-mail of a missed platform clock, and the ``complaint.overdue`` webhook when it is the ``first``."""
    notices = Notices()
    if first:
        payload = {**webhook_payload(complaint), "clock": clock.kind, "due_at": clock.due_at.isoformat()}
        notices.webhooks.append((complaint.platform_id, WebhookEvent.OVERDUE, payload))
    notices.add_email(
        outbox_message("deadline_overdue", regulators + platform_staff, complaint, deadline_context(complaint, clock))
    )
    return notices


def _send_after_commit(outbox_ids: list[int], delivery_ids: list[int]) -> None:
    def send():
        from .tasks import deliver_webhook_task

        # The rows are committed: a broker outage leaves them to flush_outbox_task. One failed publish is
        # enough to know the broker is down, so the rest are not tried (each try costs up to a connect timeout).
        queued = outbox.enqueue_emails(outbox_ids) and all(
            enqueue(deliver_webhook_task, pk) for pk in delivery_ids
        )
        if not queued:
            logger.warning("%s e-mails and %s webhooks wait for the outbox flush", len(outbox_ids), len(delivery_ids))

    if outbox_ids or delivery_ids:
        transaction.on_commit(send)
