"""A real Celery worker (Redis broker, separate process) runs tasks against the test database."""

import time

import pytest
from celery.result import EagerResult

from portal.tasks import ping_db_task


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_worker_process_reads_the_same_database_as_the_tests(real_broker, django_user_model):
    django_user_model.objects.create_user(username="worker-sees-me", password="x" * 12)
    django_user_model.objects.create_user(username="worker-sees-me-too", password="x" * 12)

    result = ping_db_task.delay()

    assert not isinstance(result, EagerResult)
    assert result.get(timeout=30, disable_sync_subtasks=False) == 2
    # The worker's own log proves it ran there, not inline in this process.
    deadline = time.monotonic() + 5
    while f"[{result.id}] succeeded" not in real_broker.log_tail(200) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"[{result.id}] succeeded" in real_broker.log_tail(200)


@pytest.mark.django_db
def test_tasks_run_inline_when_no_real_broker_is_requested(django_user_model):
    django_user_model.objects.create_user(username="inline", password="x" * 12)

    result = ping_db_task.delay()

    assert isinstance(result, EagerResult)
    assert result.get(timeout=5, disable_sync_subtasks=False) == 1
