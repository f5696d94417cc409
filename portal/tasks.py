import logging
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model

from .anchoring import anchor_pending_heads
from .celery import time_limits
from .outbox import send_outbox_message
from .timestamping import TimestampError

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


# A run anchors trees of PORTAL_ANCHOR_MAX_LEAVES heads (10 000: ~5-10 s each, docs/operations.md) until the backlog
# is empty, but starts no new one after ANCHOR_RUN_SECONDS: well inside its soft time limit of 60 s, so a large
# backlog drains over a few runs and no tree is cut off half written.
ANCHOR_RUN_SECONDS = 30


@shared_task(**time_limits("anchor_chain_heads"))
def anchor_chain_heads_task() -> dict:
    """Anchor the chain heads changed since the last anchor (Celery beat, every ANCHOR_INTERVAL_MINUTES).

    Idempotent: a head anchored twice is simply proven twice. When the TSA is down or its reply does not verify,
    nothing is written and the heads wait for the next run (the backlog is on /metrics); filing never waits on it.
    """
    anchors = heads = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < ANCHOR_RUN_SECONDS:
            anchor = anchor_pending_heads()
            if anchor is None:
                break
            anchors += 1
            heads += anchor.tree_size
    except TimestampError as error:
        logger.warning("anchoring postponed to the next run: %s", error)
        return {"anchors": anchors, "heads": heads, "postponed": str(error)}
    except SoftTimeLimitExceeded:
        logger.warning("anchoring stopped at its time limit after %s anchors", anchors)
    return {"anchors": anchors, "heads": heads}
