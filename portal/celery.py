import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def time_limits(name: str) -> dict[str, int]:
    """``shared_task`` keywords for a task with limits of its own (settings.PORTAL_TASK_TIME_LIMITS)."""
    from django.conf import settings

    soft, hard = settings.PORTAL_TASK_TIME_LIMITS[name]
    return {"soft_time_limit": soft, "time_limit": hard}


def enqueue(task, *args) -> bool:
    """Publish ``task(*args)`` once, without retrying; a broker error is logged and gives False.

    For work that is already recorded in the database and sent again by something else (the outbox flush, a
    person's "try again"): a broker outage must not hold up, or fail, the request that queued it.
    """
    try:
        task.apply_async(args, retry=False)
    except Exception as error:  # kombu, redis-py and socket errors alike: the broker is out of reach
        logger.warning("could not queue %s%r, the broker is unavailable: %s", task.name, args, error)
        return False
    return True
