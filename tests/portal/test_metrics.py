"""/metrics: who may read it, what it serves, and the gauges and task counters behind it."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from complaints.metrics import BacklogCollector
from complaints.models import DeliveryStatus, WebhookDelivery
from complaints.sweep import deadlines_sweep
from complaints.tasks import sweep_deadlines_task
from portal import metrics
from portal.celery import app
from portal.models import OutboxMessage
from tests import conftest as infra
from tests.factories import WebhookEndpointFactory, file_complaint

CUSTOM_METRICS = [
    "portal_backlog_up",
    "portal_outbox_unsent_messages",
    "portal_outbox_oldest_unsent_age_seconds",
    "portal_webhook_pending_deliveries",
    "portal_deadlines_overdue_unswept",
    "portal_sweep_lag_seconds",
    "portal_celery_tasks_total",
    "portal_celery_task_duration_seconds",
    "portal_celery_task_last_success_timestamp_seconds",
]


@app.task(name="tests.portal.failing_task")
def failing_task() -> None:
    raise ValueError("fails on purpose")


def backlog() -> dict[str, float]:
    return {family.name: family.samples[0].value for family in BacklogCollector().collect()}


def scrape(client, **extra) -> dict[str, list]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    return {family.name: family.samples for family in text_string_to_metric_families(response.content.decode())}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the backlog gauges ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_backlog_counts_unsent_e_mails_and_the_age_of_the_oldest():
    now = timezone.now()
    for minutes_ago, sent in ((30, False), (5, False), (60, True)):
        message = OutboxMessage.objects.create(template="complaint_answered", recipients=["c@example.cn"])
        OutboxMessage.objects.filter(pk=message.pk).update(
            created_at=now - timedelta(minutes=minutes_ago), sent_at=now if sent else None
        )

    values = backlog()

    assert values["portal_outbox_unsent_messages"] == 2
    assert values["portal_outbox_oldest_unsent_age_seconds"] == pytest.approx(30 * 60, abs=30)


@pytest.mark.django_db
def test_backlog_counts_pending_webhook_deliveries_only():
    endpoint = WebhookEndpointFactory()
    for status in (DeliveryStatus.PENDING, DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        WebhookDelivery.objects.create(endpoint=endpoint, event="complaint.created", payload={}, status=status)

    assert backlog()["portal_webhook_pending_deliveries"] == 2


@pytest.mark.django_db
def test_sweep_lag_is_the_age_of_the_oldest_overdue_clock_until_a_sweep_handles_it():
    filed_at = timezone.now() - timedelta(days=30)
    complaint = file_complaint(now=filed_at, paid_at=filed_at - timedelta(hours=1))
    oldest_due = complaint.deadlines.order_by("due_at").first().due_at

    before = backlog()
    deadlines_sweep()
    after = backlog()

    assert before["portal_deadlines_overdue_unswept"] >= 1
    assert before["portal_sweep_lag_seconds"] == pytest.approx((timezone.now() - oldest_due).total_seconds(), abs=30)
    assert (after["portal_deadlines_overdue_unswept"], after["portal_sweep_lag_seconds"]) == (0, 0)


@pytest.mark.django_db
def test_backlog_reports_itself_down_instead_of_failing_the_scrape(monkeypatch):
    def unreachable():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(BacklogCollector, "_measure", staticmethod(unreachable))

    assert backlog() == {"portal_backlog_up": 0}


# --- the page --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_page_serves_prometheus_text_with_every_custom_metric(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for name in CUSTOM_METRICS:
        assert f"# TYPE {name} " in text, name


@pytest.mark.django_db
def test_metrics_count_requests_by_view_and_database_queries(client):
    client.get("/healthz")

    samples = scrape(client)

    by_view = {s.labels["view"] for s in samples["django_http_requests_latency_seconds_by_view_method"]}
    assert "healthz" in by_view
    assert any(s.value > 0 for s in samples["django_db_execute"] if s.name == "django_db_execute_total")


@pytest.mark.django_db
def test_a_scrape_runs_seven_queries(client, django_assert_max_num_queries):
    # Four for the sending and sweep backlogs, three for anchoring (the complaints' and the audit trail's backlogs,
    # the newest anchor's time).
    with django_assert_max_num_queries(7):
        client.get("/metrics")


@pytest.mark.django_db
def test_metrics_refuse_callers_outside_the_allowed_networks(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 403
    assert b"portal_" not in response.content


@pytest.mark.django_db
def test_metrics_accept_the_bearer_token_from_any_address(client, settings):
    settings.PORTAL_METRICS_TOKEN = "s3cret-scrape-token"

    samples = scrape(client, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")

    assert "portal_backlog_up" in samples


@pytest.mark.django_db
def test_metrics_refuse_a_wrong_token(client, settings):
    settings.PORTAL_METRICS_TOKEN = "s3cret-scrape-token"

    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer guessed")

    assert response.status_code == 403


@pytest.mark.django_db
def test_metrics_recognise_an_allowed_ipv4_caller_on_a_dual_stack_socket(client, settings):
    settings.PORTAL_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_a_malformed_allowed_network_is_a_system_check_error(settings):
    settings.PORTAL_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/33"]

    assert [error.id for error in metrics.check_metrics_networks()] == ["portal.E101"]


# --- Celery tasks ----------------------------------------------------------------------------------------


def task_count(task: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("portal_celery_tasks_total", {"task": task, "outcome": outcome}) or 0


def test_celery_tasks_are_counted_by_outcome_with_their_duration():
    name = failing_task.name
    failed, runs = (
        task_count(name, "failed"),
        REGISTRY.get_sample_value("portal_celery_task_duration_seconds_count", {"task": name}) or 0,
    )

    failing_task.apply()

    assert task_count(name, "failed") == failed + 1
    assert REGISTRY.get_sample_value("portal_celery_task_duration_seconds_count", {"task": name}) == runs + 1
    assert task_count(name, "succeeded") == 0


@pytest.mark.django_db
def test_a_successful_sweep_records_when_it_last_ran():
    sweep_deadlines_task.delay()

    last = REGISTRY.get_sample_value(
        "portal_celery_task_last_success_timestamp_seconds", {"task": sweep_deadlines_task.name}
    )
    assert last == pytest.approx(time.time(), abs=30)


@pytest.mark.broker
def test_a_worker_serves_its_own_task_metrics(tmp_path):
    """A real worker process (the web's /metrics cannot see its counters) answers on WORKER_METRICS_PORT."""
    port = free_port()
    env = {
        **os.environ,
        "WORKER_METRICS_PORT": str(port),
        "CELERY_BROKER_URL": infra.redis_broker_url(),
        "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(infra.broker_transport_options()),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    queue = f"pytest-metrics-{uuid.uuid4().hex[:8]}"  # consumes no one else's tasks
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "-l", "info", "-Q", queue,
        "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(command, cwd=infra.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, text = time.monotonic() + 60, None
        while text is None and time.monotonic() < deadline and worker.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
                    text = response.read().decode()
            except OSError:
                time.sleep(0.5)
        assert text is not None, log_path.read_text(errors="replace")[-3000:]
        assert "# TYPE portal_celery_tasks_total counter" in text
        assert "portal_backlog_up" not in text  # the database gauges are the web's, not each worker's
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)
