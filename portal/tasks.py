from celery import shared_task
from django.contrib.auth import get_user_model


@shared_task
def ping_db_task() -> int:
    """Count users: proves a worker reaches the same database as the web process (used by health checks
    and the broker test)."""
    return get_user_model().objects.count()
