"""A real Celery worker (Redis broker, separate process) runs tasks against the test database."""

import pytest

from portal.tasks import ping_db_task


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_worker_process_reads_the_same_database_as_the_tests(real_broker, django_user_model):
    django_user_model.objects.create_user(username="worker-sees-me", password="x" * 12)
    django_user_model.objects.create_user(username="worker-sees-me-too", password="x" * 12)

    result = ping_db_task.delay()

    assert result.get(timeout=30) == 2


@pytest.mark.django_db
def test_tasks_run_inline_when_no_real_broker_is_requested(django_user_model):
    django_user_model.objects.create_user(username="inline", password="x" * 12)

    result = ping_db_task.delay()

    assert result.successful()
    assert result.get(timeout=5) == 1
