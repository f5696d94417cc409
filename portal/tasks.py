import logging

from celery import shared_task
from django.contrib.auth import get_user_model

from .outbox import send_outbox_message

logger = logging.getLogger(__name__)


@shared_task
def ping_db_task() -> int:
    """Count users: proves a worker reaches the same database as the web process (used by health checks
    and the broker test)."""
    return get_user_model().objects.count()


@shared_task(bind=True, max_retries=8)
def deliver_outbox_task(self, outbox_id: int) -> bool:
    """Send one queued e-mail; on failure retry with backoff on a worker, or leave it to the flush.

    Inline (eager) tasks must not retry: that would repeat the failing send inside the user's request. A send
    stopped by the soft time limit counts as a failed attempt like any other.
    """
    try:
        return send_outbox_message(outbox_id)
    except Exception as error:
        if self.request.is_eager:
            logger.warning("e-mail %s failed; the outbox flush will retry it", outbox_id, exc_info=True)
            return False
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 600)) from error
