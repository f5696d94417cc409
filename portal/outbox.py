"""The e-mail outbox: e-mails written as rows inside the caller's transaction and sent after commit.

A row is the promise that a message will go out: if the broker is down at commit time the row waits, and the
periodic flush (``complaints.tasks.flush_outbox_task``, beat, every minute) sends it once the broker is back.
Sending is idempotent (row lock + ``sent_at``), so a task that runs twice sends once. A worker killed after the
SMTP server took a message but before ``sent_at`` committed leaves the row unsent, and the flush sends it again:
delivery is at least once, and every copy carries the same ``Message-ID`` (``outbox_message_id``), which mail
systems use to drop the duplicate (docs/operations.md, "Killed workers"). The complaints app builds its e-mails
about a complaint on top of this (``complaints.notifications``).
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .celery import enqueue
from .models import OutboxMessage
from .notifications import deliver

logger = logging.getLogger(__name__)

# A message that failed this often is left for a person to look at (admin), not retried by every flush.
FLUSH_MAX_ATTEMPTS = 10
FLUSH_BATCH = 500


def email_message(
    template: str,
    recipients: Iterable[str],
    context: dict | None = None,
    *,
    language: str | None = None,
    complaint_id: int | None = None,
) -> OutboxMessage | None:
    """An unsaved outbox row of ``emails/<template>``, or None when there is nobody to tell."""
    recipients = sorted(set(recipients))
    if not recipients:
        return None
    return OutboxMessage(
        template=template,
        recipients=recipients,
        context=context or {},
        complaint_id=complaint_id,
        language=language or settings.LANGUAGE_CODE,
    )


def queue_email(
    template: str,
    recipients: Iterable[str],
    context: dict | None = None,
    *,
    language: str | None = None,
    complaint_id: int | None = None,
) -> OutboxMessage | None:
    """Write one e-mail to the outbox, to be sent after commit, and its in-app notifications: each recipient
    with an account is told through the channels they chose (``portal.notifications.deliver``). None when nobody
    is left to e-mail."""
    written = deliver([email_message(template, recipients, context, language=language, complaint_id=complaint_id)])
    send_after_commit([message.pk for message in written])
    return written[0] if written else None


def enqueue_emails(outbox_ids: list[int]) -> bool:
    """Publish a delivery task per committed e-mail; False at the first failed publish (the broker is down, and
    each further try would cost a connect timeout): the rows wait for the flush."""
    from .tasks import deliver_outbox_task

    return all(enqueue(deliver_outbox_task, pk) for pk in outbox_ids)


def send_after_commit(outbox_ids: list[int]) -> None:
    """Enqueue a delivery task per e-mail once the transaction commits; a broker outage leaves them to the flush."""
    if not outbox_ids:
        return

    def send():
        if not enqueue_emails(outbox_ids):
            logger.warning("%s e-mails wait for the outbox flush", len(outbox_ids))

    transaction.on_commit(send)


def outbox_message_id(message: OutboxMessage) -> str:
    """The ``Message-ID`` of an outbox row: the same for every attempt to send it, different for every row."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<outbox-{message.pk}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"


def send_outbox_message(outbox_id: int) -> bool:
    """Send one e-mail once. Returns False when it was already sent (or is being sent by another worker)."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=outbox_id, sent_at__isnull=True).first()
        )
        if message is None:
            return False
        message.attempts += 1
        with translation.override(message.language):
            context = {**message.context, "site_url": settings.SITE_URL}
            subject = render_to_string(f"emails/{message.template}.subject.txt", context).strip()
            body = render_to_string(f"emails/{message.template}.txt", context)
        failure = None
        try:
            EmailMultiAlternatives(
                subject=subject, body=body, to=message.recipients, headers={"Message-ID": outbox_message_id(message)}
            ).send()
        except Exception as error:
            failure = error
            message.last_error = str(error)[:1000]
        else:
            message.sent_at = timezone.now()
            message.last_error = ""
        message.save(update_fields=["sent_at", "attempts", "last_error"])
    # Raised only after the commit, so the failed attempt and its error stay recorded for the flush.
    if failure is not None:
        raise failure
    return True


def unsent_email_ids(*, created_before: datetime) -> list[int]:
    """The e-mails left behind (their task never ran, or failed) written before ``created_before``, for the flush."""
    return list(
        OutboxMessage.objects.filter(
            sent_at__isnull=True, created_at__lte=created_before, attempts__lt=FLUSH_MAX_ATTEMPTS
        ).values_list("pk", flat=True)[:FLUSH_BATCH]
    )


def send_quietly(outbox_id: int) -> bool:
    """``send_outbox_message`` for the flush: a failure is logged and the e-mail stays queued."""
    try:
        return send_outbox_message(outbox_id)
    except SoftTimeLimitExceeded:
        raise  # the flush's own time is up: stop, do not go on to the next e-mail
    except Exception:
        logger.warning("outbox message %s failed; it stays queued", outbox_id, exc_info=True)
        return False
