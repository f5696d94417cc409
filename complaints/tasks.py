"""Celery tasks: thin, idempotent wrappers that load ids and call the code that does the work."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from portal.outbox import flush_emails

from .delivery import send_webhook
from .models import DeliveryStatus, WebhookDelivery
from .sweep import deadlines_sweep

logger = logging.getLogger(__name__)
FLUSH_GRACE = timedelta(seconds=30)


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
    sent = flush_emails(created_before=cutoff)
    delivery_ids = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(created_at__lte=cutoff)
        .exclude(next_attempt_at__gt=timezone.now())
        .values_list("pk", flat=True)[:500]
    )
    for delivery_id in delivery_ids:
        send_webhook(delivery_id)
    return {"emails": sent, "webhooks": len(delivery_ids)}


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_dossier_task(export_id: int) -> str | None:
    """Render a queued dossier export; storage errors are retried, a finished export is not rendered again."""
    from .dossier import dossier_export_run  # loads WeasyPrint: only workers that render need it

    export = dossier_export_run(export_id)
    return export.status if export is not None else None
