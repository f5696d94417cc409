"""Celery tasks: thin, idempotent wrappers that load ids and call the code that does the work.

Every task has a soft and a hard time limit (settings: CELERY_TASK_SOFT_TIME_LIMIT / CELERY_TASK_TIME_LIMIT, or
its own from PORTAL_TASK_TIME_LIMITS). Whatever a limit stops stays retryable: an e-mail or webhook stays
unsent for the next flush, an export is marked failed and its requester can ask again.
"""

import logging
from datetime import timedelta

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from portal import outbox
from portal.celery import time_limits

from .delivery import send_webhook
from .models import DeliveryStatus, DossierExport, WebhookDelivery
from .sweep import deadlines_sweep

logger = logging.getLogger(__name__)


@shared_task
def deliver_webhook_task(delivery_id: int) -> str:
    """First attempt only: retries are due at ``next_attempt_at`` and sent by ``flush_outbox_task``.

    (Re-queueing with a countdown here ran every retry at once when tasks are eager, and raced the flush.)
    """
    return send_webhook(delivery_id)


@shared_task(**time_limits("sweep_deadlines"))
def sweep_deadlines_task() -> dict:
    """One sweep; it is a single transaction, so one stopped by its time limit changes nothing and the next
    sweep (Celery beat, every 2 minutes) does the work."""
    result = deadlines_sweep()
    logger.info("deadline sweep: %s", result.as_dict())
    return result.as_dict()


@shared_task(**time_limits("flush_outbox"))
def flush_outbox_task() -> dict:
    """Send what was left behind: e-mails whose task never ran (broker down) and webhooks due for a retry.

    At its soft time limit it stops where it is: what it did not reach waits for the next flush.
    """
    sent = webhooks = 0
    try:
        cutoff = timezone.now() - timedelta(seconds=settings.PORTAL_OUTBOX_FLUSH_GRACE)
        for outbox_id in outbox.unsent_email_ids(created_before=cutoff):
            sent += outbox.send_quietly(outbox_id)
        delivery_ids = list(
            WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
            .filter(created_at__lte=cutoff)
            .exclude(next_attempt_at__gt=timezone.now())
            .values_list("pk", flat=True)[:500]
        )
        for delivery_id in delivery_ids:
            send_webhook(delivery_id)
            webhooks += 1
    except SoftTimeLimitExceeded:
        logger.warning("outbox flush stopped at its time limit after %s e-mails, %s webhooks", sent, webhooks)
    return {"emails": sent, "webhooks": webhooks}


class RenderDossierTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # The hard time limit kills the worker process mid-render, so nothing in it marks the export: without
        # this it would stay "running" for good and every new request would wait on it. (Celery calls this in
        # the worker's main process for a hard time limit too.) The soft one, if it strikes outside the render
        # that dossier_export_run guards, lands here as well.
        if isinstance(exc, (TimeLimitExceeded, SoftTimeLimitExceeded)) and args:
            from .dossier import dossier_export_failed

            dossier_export_failed(args[0], reason=DossierExport.TIMED_OUT)


@shared_task(base=RenderDossierTask, autoretry_for=(OSError,), retry_backoff=True, max_retries=3,
             **time_limits("render_dossier"))  # fmt: skip
def render_dossier_task(export_id: int) -> str | None:
    """Render a queued dossier export; storage errors are retried, a finished export is not rendered again.

    One stopped by its soft time limit is marked failed (``DossierExport.TIMED_OUT``): its requester is told and
    asks again, which queues a new export.
    """
    from .dossier import dossier_export_run  # loads WeasyPrint: only workers that render need it

    export = dossier_export_run(export_id)
    return export.status if export is not None else None


class BuildChargebackPackTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # As for the dossier: the hard time limit kills the process mid-build, so mark the pack here.
        if isinstance(exc, (TimeLimitExceeded, SoftTimeLimitExceeded)) and args:
            from .chargeback import chargeback_pack_failed

            chargeback_pack_failed(args[0], reason=DossierExport.TIMED_OUT)


@shared_task(base=BuildChargebackPackTask, autoretry_for=(OSError,), retry_backoff=True, max_retries=3,
             **time_limits("build_chargeback_pack"))  # fmt: skip
def build_chargeback_pack_task(pack_id: int) -> str | None:
    """Build a queued chargeback pack; a finished pack is not built again, storage errors are retried."""
    from .chargeback import chargeback_pack_run  # loads WeasyPrint: only workers that render need it

    pack = chargeback_pack_run(pack_id)
    return pack.status if pack is not None else None
