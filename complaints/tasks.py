"""Celery tasks: thin, idempotent wrappers that load ids and call the code that does the work."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .delivery import send_outbox_message, send_webhook
from .models import DeliveryStatus, OutboxMessage, WebhookDelivery
from .sweep import deadlines_sweep

logger = logging.getLogger(__name__)
FLUSH_GRACE = timedelta(seconds=30)


@shared_task(bind=True, max_retries=8)
def deliver_outbox_task(self, outbox_id: int) -> bool:
    """Send one queued e-mail; on failure retry with backoff on a worker, or leave it to the flush.

    Inline (eager) tasks must not retry: that would repeat the failing send inside the user's request.
    """
    try:
        return send_outbox_message(outbox_id)
    except Exception as error:
        if self.request.is_eager:
            logger.warning("e-mail %s failed; the outbox flush will retry it", outbox_id, exc_info=True)
            return False
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 600)) from error


@shared_task
def deliver_webhook_task(delivery_id: int) -> str:
    """First attempt only: retries are due at ``next_attempt_at`` and sent by ``flush_outbox_task``.

    (Re-queueing with a countdown here ran every retry at once when tasks are eager, and raced the flush.)
    """
    return send_webhook(delivery_id)


@shared_task
def sweep_deadlines_task() -> dict:
    result = deadlines_sweep()
    logger.info("deadline sweep: %s", result.as_dict())
    return result.as_dict()


@shared_task
def flush_outbox_task() -> dict:
    """Send what was left behind: e-mails whose task never ran (broker down) and webhooks due for a retry."""
    cutoff = timezone.now() - FLUSH_GRACE
    outbox_ids = list(
        OutboxMessage.objects.filter(
            sent_at__isnull=True, created_at__lte=cutoff, attempts__lt=10
        ).values_list("pk", flat=True)[:500]
    )
    sent = sum(1 for outbox_id in outbox_ids if _send_quietly(outbox_id))
    delivery_ids = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(created_at__lte=cutoff)
        .exclude(next_attempt_at__gt=timezone.now())
        .values_list("pk", flat=True)[:500]
    )
    for delivery_id in delivery_ids:
        send_webhook(delivery_id)
    return {"emails": sent, "webhooks": len(delivery_ids)}


def _send_quietly(outbox_id: int) -> bool:
    try:
        return send_outbox_message(outbox_id)
    except Exception:
        logger.warning("outbox message %s failed; it stays queued", outbox_id, exc_info=True)
        return False


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_dossier_task(export_id: int) -> str | None:
    """Render a queued dossier export; storage errors are retried, a finished export is not rendered again."""
    from .dossier import dossier_export_run  # loads WeasyPrint: only workers that render need it

    export = dossier_export_run(export_id)
    return export.status if export is not None else None
