"""The broker being down never loses a complaint or an e-mail; a real worker delivers; a killed worker's task
runs again and its effect happens once."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint, DossierExport, DossierExportStatus, EventKind
from complaints.tasks import flush_outbox_task
from portal.celery import enqueue
from portal.models import OutboxMessage
from portal.tasks import ping_db_task
from tests import conftest as infra
from tests.factories import ConsumerFactory, file_complaint
from tests.fixtures_roles import client_for

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def wait_for(condition, *, timeout: float, interval: float = 0.2):
    """Poll ``condition`` until it returns something truthy (returned) or ``timeout`` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    return None


def outbox_row_sent(complaint: Complaint, template: str):
    return OutboxMessage.objects.filter(complaint_id=complaint.pk, template=template, sent_at__isnull=False).first()


# --- broker down ---------------------------------------------------------------------------------------


def point_celery_at(monkeypatch, broker_url: str) -> None:
    # Celery reads CELERY_BROKER_URL from the environment before its configuration: override both.
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)


@pytest.fixture
def broker_down(monkeypatch):
    """Celery publishing for real (not eager) to a broker nobody listens on, failing fast; then restored."""
    from portal.celery import app

    point_celery_at(monkeypatch, UNREACHABLE_BROKER)
    changed = {
        "broker_url": UNREACHABLE_BROKER,
        "task_always_eager": False,
        "broker_connection_timeout": 0.5,
        "broker_connection_retry": False,
        "broker_connection_max_retries": 0,
        "task_publish_retry": False,
        "broker_transport_options": {"max_retries": 0},
    }
    saved = {key: app.conf[key] for key in changed}
    infra.reset_celery_connections(app)
    app.conf.update(changed)
    yield app
    infra.reset_celery_connections(app)
    app.conf.update(saved)


@pytest.mark.django_db
def test_filing_while_the_broker_is_down_keeps_the_complaint_and_queues_the_e_mails(
    broker_down, consumer, platform, agent, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(consumer, platform)
    assert time.monotonic() - started < 10
    stored = Complaint.objects.get(pk=complaint.pk)
    assert list(stored.events.values_list("kind", flat=True)) == [EventKind.FILED, EventKind.FORWARDED]
    assert OutboxMessage.objects.filter(complaint_id=complaint.pk).count() == 2
    assert not OutboxMessage.objects.filter(sent_at__isnull=False).exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_once_the_broker_is_back_the_flush_sends_each_waiting_e_mail_exactly_once(
    broker_down, consumer, platform, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(consumer, platform)
    infra.reset_celery_connections(broker_down)
    broker_down.conf.update(task_always_eager=True)  # "the broker is back": tasks run again
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=2))  # past the flush's grace

    first, second = flush_outbox_task.delay().get(), flush_outbox_task.delay().get()

    assert (first["emails"], second["emails"]) == (2, 0)
    assert not OutboxMessage.objects.filter(complaint_id=complaint.pk, sent_at__isnull=True).exists()
    assert len(mail.outbox) == 2 and all(complaint.reference in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_a_dossier_export_that_cannot_be_queued_fails_at_once_with_a_way_to_try_again(
    broker_down, consumer, platform, agent, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_DOSSIER_ASYNC_EVIDENCE = -1  # every dossier is exported in the background
    complaint = file_complaint(consumer, platform)
    client = Client()
    client.force_login(consumer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("complaints:dossier-download", args=[complaint.pk]))

    export = DossierExport.objects.get(complaint=complaint)
    assert (export.status, export.error) == (DossierExportStatus.FAILED, DossierExport.NOT_QUEUED)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    url = reverse("complaints:dossier-download", args=[complaint.pk])
    assert "could not be queued" in page and f'href="{url}"' in page


# --- a broker that was running and has stopped: publishing gives up at once ------------------------------

# Filing publishes its e-mail tasks after the commit: with the project's settings a stopped broker must cost
# well under a second (it cost ~6 s of kombu reconnecting before). The margin is for a loaded CI machine.
GIVES_UP_WITHIN_SECONDS = 2.5


@pytest.fixture
def stopped_broker(monkeypatch):
    """Celery publishing for real to a private redis-server that was up (the app holds a pooled connection to
    it) and has been stopped; the connection settings are the project's own, none shortened here."""
    from portal.celery import app

    if not infra.REDIS_SERVER.exists():
        infra.skip_or_fail(f"needs {infra.REDIS_SERVER} (apt-get install redis-server)")
    port = infra.free_port()
    server = infra.start_private_redis(port)
    broker_url = f"redis://127.0.0.1:{port}/0"
    point_celery_at(monkeypatch, broker_url)
    changed = {"broker_url": broker_url, "task_always_eager": False}
    saved = {key: app.conf[key] for key in changed}
    infra.reset_celery_connections(app)
    app.conf.update(changed)
    try:
        assert enqueue(ping_db_task), "the private broker did not take a task while running"
        server.terminate()
        server.wait(timeout=10)
        yield broker_url
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        infra.reset_celery_connections(app)
        app.conf.update(saved)


@pytest.mark.broker
def test_publishing_to_a_stopped_broker_gives_up_quickly(stopped_broker):
    # The first try fails on the dead pooled connection; the later ones are where kombu used to reconnect.
    for _ in range(3):
        started = time.monotonic()
        queued = enqueue(ping_db_task)
        assert time.monotonic() - started < GIVES_UP_WITHIN_SECONDS
        assert queued is False


@pytest.mark.broker
@pytest.mark.django_db
def test_filing_through_the_api_with_the_broker_stopped_is_quick_and_leaves_the_e_mails_for_the_flush(
    stopped_broker, platform, agent, django_capture_on_commit_callbacks
):
    from tests.complaints.test_api_consumer import filing

    for consumer in (ConsumerFactory(), ConsumerFactory()):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            url = reverse("complaints_api:complaint-list")
            response = client_for(consumer).post(url, filing(platform), format="json")
        assert time.monotonic() - started < GIVES_UP_WITHIN_SECONDS
        assert response.status_code == 201

    assert Complaint.objects.count() == 2
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == OutboxMessage.objects.count() >= 2
    assert mail.outbox == []


# --- a real worker -------------------------------------------------------------------------------------


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_new_complaint_e_mail(real_broker, consumer, platform, agent):
    complaint = file_complaint(consumer, platform)  # commits: the e-mail task goes to Redis, then the worker

    sent = wait_for(lambda: outbox_row_sent(complaint, "complaint_new_platform"), timeout=30)

    assert sent is not None, real_broker.log_tail()
    assert sent.attempts == 1
    written = [path.read_text() for path in real_broker.mail_dir.iterdir()]
    assert any(complaint.reference in text and agent.email in text for text in written)


class SlowFileBackend(FileEmailBackend):
    """Used only by the worker that gets killed: says it started sending, then hangs before sending."""

    def send_messages(self, email_messages):
        Path(os.environ["SLOW_MAIL_MARKER"]).write_text("sending")
        time.sleep(120)
        return super().send_messages(email_messages)


def start_worker(broker_url: str, database_url: str, mail_dir: Path, log_path: Path, **env: str) -> subprocess.Popen:
    hostname = f"pytest-kill-{uuid.uuid4().hex[:8]}@%h"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # Redis gives an unacknowledged task back after this many seconds (default: an hour). The restore runs
        # under a mutex that a worker killed at the wrong moment leaves locked for unacked_mutex_expire (default
        # 300 s): keep that short too, or the survivor waits minutes for the killed task.
        "CELERY_BROKER_TRANSPORT_OPTIONS": '{"visibility_timeout": 3, "unacked_mutex_expire": 5}',
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "-l", "info", "-n", hostname,
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        return subprocess.Popen(command, cwd=infra.BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture
def own_broker_db(celery_worker_process, monkeypatch):
    """A Redis database of its own, so the session's worker cannot take the task this test kills."""
    import redis

    from portal.celery import app

    server, _slash, database = infra.redis_broker_url().rpartition("/")
    broker_url = f"{server}/{13 if database != '13' else 12}"
    point_celery_at(monkeypatch, broker_url)
    redis.Redis.from_url(broker_url).flushdb()
    keys = ("broker_url", "task_always_eager", "broker_transport_options")
    saved = {key: app.conf[key] for key in keys}
    infra.reset_celery_connections(app)
    app.conf.update(broker_url=broker_url, task_always_eager=False, broker_transport_options={"visibility_timeout": 3})
    yield broker_url
    infra.reset_celery_connections(app)
    app.conf.update(saved)
    redis.Redis.from_url(broker_url).flushdb()


@pytest.mark.broker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_task_of_a_killed_worker_runs_again_and_sends_the_e_mail_once(
    own_broker_db, consumer, platform, agent, tmp_path
):
    database_url = infra.test_database_url()
    marker = tmp_path / "sending"
    doomed_mail, survivor_mail = tmp_path / "doomed-mail", tmp_path / "survivor-mail"
    doomed_mail.mkdir(), survivor_mail.mkdir()
    doomed = start_worker(
        own_broker_db,
        database_url,
        doomed_mail,
        tmp_path / "doomed.log",
        EMAIL_BACKEND=f"{__name__}.SlowFileBackend",
        SLOW_MAIL_MARKER=str(marker),
    )
    survivor = None
    try:
        complaint = file_complaint(consumer, platform)
        assert wait_for(marker.exists, timeout=60), (tmp_path / "doomed.log").read_text()
        os.kill(doomed.pid, signal.SIGKILL)  # mid-task: the e-mail is being sent, the task not acknowledged
        doomed.wait(timeout=10)
        assert not OutboxMessage.objects.filter(complaint_id=complaint.pk, sent_at__isnull=False).exists()

        # A starting worker gives back unacknowledged tasks older than the visibility timeout (3 s here); start
        # the survivor once the killed worker's task is that old, as a restarted worker would find it in real life.
        time.sleep(4)
        survivor = start_worker(own_broker_db, database_url, survivor_mail, tmp_path / "survivor.log")
        unsent = OutboxMessage.objects.filter(complaint_id=complaint.pk, sent_at__isnull=True)
        sent = wait_for(lambda: not unsent.exists(), timeout=90, interval=0.5)
        assert sent, (tmp_path / "survivor.log").read_text()[-3000:]
        time.sleep(5)  # a duplicate run, if there were one, would have happened by now
        written = [path.read_text() for path in survivor_mail.iterdir()]
        assert len([text for text in written if agent.email in text and complaint.reference in text]) == 1
        assert list(doomed_mail.iterdir()) == []
    finally:
        for process in (doomed, survivor):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
