"""E-mails and webhooks, written as outbox rows inside the caller's transaction and sent after commit.

A row is the promise that a message will go out: if the broker is down at commit time the row waits, and
``flush_outbox_task`` (beat, every minute) sends it once the broker is back.
"""

import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from portal.celery import enqueue

from .models import Complaint, OutboxMessage, WebhookDelivery, WebhookEndpoint

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


def regulator_recipients() -> list[str]:
    User = get_user_model()
    emails = set(settings.REGULATOR_NOTIFICATION_EMAILS)
    emails.update(
        User.objects.filter(role="regulator", is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted(emails)


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
    recipients = sorted(set(recipients))
    if not recipients:
        return None
    if context is None:
        context = complaint_context(complaint) if complaint else {}
    return OutboxMessage(
        template=template,
        recipients=recipients,
        context=context,
        complaint=complaint,
        language=language or settings.LANGUAGE_CODE,
    )


def queue_email(
    template: str,
    recipients: Iterable[str],
    complaint: Complaint | None = None,
    extra: dict | None = None,
    language: str | None = None,
) -> OutboxMessage | None:
    context = {**(complaint_context(complaint) if complaint else {}), **(extra or {})}
    message = outbox_message(template, recipients, complaint, context, language)
    if message is None:
        return None
    message.save()
    _send_after_commit([message.pk], [])
    return message


def queue_emails(complaint: Complaint, messages: list[tuple[str, list[str]]]) -> list[OutboxMessage]:
    """Several e-mails about one complaint in one INSERT: (template, recipients) pairs; empty lists are skipped."""
    rows = [outbox_message(template, recipients, complaint) for template, recipients in messages]
    rows = OutboxMessage.objects.bulk_create([row for row in rows if row is not None])
    _send_after_commit([row.pk for row in rows], [])
    return rows


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
        WebhookDelivery(
            endpoint=endpoint, event=event, payload={"event": event, "id": secrets.token_hex(8), **payload}
        )
        for platform_id, event, payload in targets
        for endpoint in endpoints[platform_id]
        if event in endpoint.events
    ]


def queue_webhooks(platform_id: int | None, event: str, payload: dict) -> list[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.bulk_create(webhook_deliveries([(platform_id, event, payload)]))
    _send_after_commit([], [d.pk for d in deliveries])
    return deliveries


def queue_many(messages: list[OutboxMessage], deliveries: list[WebhookDelivery]) -> None:
    """Write e-mails and webhook deliveries built unsaved: one INSERT per table, whatever their number."""
    OutboxMessage.objects.bulk_create(messages)
    WebhookDelivery.objects.bulk_create(deliveries)
    _send_after_commit([m.pk for m in messages], [d.pk for d in deliveries])


def _send_after_commit(outbox_ids: list[int], delivery_ids: list[int]) -> None:
    def send():
        from .tasks import deliver_outbox_task, deliver_webhook_task

        # The rows are committed: a broker outage leaves them to flush_outbox_task. One failed publish is
        # enough to know the broker is down, so the rest are not tried (each try costs up to a connect timeout).
        queued = all(enqueue(deliver_outbox_task, pk) for pk in outbox_ids) and all(
            enqueue(deliver_webhook_task, pk) for pk in delivery_ids
        )
        if not queued:
            logger.warning("%s e-mails and %s webhooks wait for the outbox flush", len(outbox_ids), len(delivery_ids))

    if outbox_ids or delivery_ids:
        transaction.on_commit(send)
