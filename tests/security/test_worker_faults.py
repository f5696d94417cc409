"""Nothing queued is lost, and nothing is sent twice unnoticed, when the broker goes away or a worker dies.

Real parts only: a private ``redis-server`` the test stops and starts, ``celery worker`` and ``celery beat``
subprocesses on the test database, an HTTP receiver for the webhooks and the file e-mail backend as the SMTP
server. The promise checked is the one in docs/operations.md ("Killed workers"): e-mails and webhooks are
delivered at least once; a copy is sent twice only when a worker dies between handing it over and recording it,
and then both copies carry the same ``Message-ID`` / ``X-Portal-Delivery``, so the receiver can drop one.
"""

import email
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from complaints.models import DeliveryStatus, WebhookDelivery
from platforms.models import WebhookEndpoint
from portal.models import OutboxMessage
from portal.outbox import outbox_message_id
from tests import conftest as infra
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory, file_complaint
from tests.security.faulty_worker import FAULT_POINTS

pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The beat flushes every FLUSH_INTERVAL seconds what is older than FLUSH_GRACE (production: 60 s and 30 s).
FLUSH_INTERVAL = 2
FLUSH_GRACE = 1


def wait_for(condition, *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


class PrivateBroker:
    """A ``redis-server`` of this test's own, so stopping it disturbs nobody else."""

    def __init__(self) -> None:
        self.port = infra.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.server: subprocess.Popen | None = None

    def start(self) -> None:
        self.server = infra.start_private_redis(self.port)

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.kill()
            self.server.wait(timeout=10)
        self.server = None


@pytest.fixture
def broker(monkeypatch) -> Iterator[PrivateBroker]:
    """The private broker, running, with the test's own publishing pointed at it (not eager)."""
    from portal.celery import app

    if not infra.REDIS_SERVER.exists():
        infra.skip_or_fail(f"needs {infra.REDIS_SERVER} (apt-get install redis-server)")
    private = PrivateBroker()
    private.start()
    monkeypatch.setenv("CELERY_BROKER_URL", private.url)  # Celery reads it before its own configuration
    changed = {"broker_url": private.url, "task_always_eager": False, "result_backend": None}
    saved = {key: app.conf[key] for key in changed}
    infra.reset_celery_connections(app)
    app.conf.update(changed)
    try:
        yield private
    finally:
        infra.reset_celery_connections(app)
        app.conf.update(saved)
        private.stop()


class WebhookReceiver:
    """An HTTP server that records every delivery it is sent (the ``X-Portal-Delivery`` header) and answers 200."""

    def __init__(self) -> None:
        self.received: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(self.headers["X-Portal-Delivery"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver()
    yield running
    running.close()


@pytest.fixture
def platform_with_webhook(receiver):
    platform = PlatformFactory()
    StaffFactory(platform=platform)
    WebhookEndpoint.objects.create(
        platform=platform, url=receiver.url, secret=uuid.uuid4().hex, events=["complaint.created"]
    )
    return platform


class Celery:
    """``celery worker`` / ``celery beat`` subprocesses of one test, stopped at its end."""

    def __init__(self, tmp_path: Path, broker_url: str) -> None:
        self.tmp_path = tmp_path
        self.broker_url = broker_url
        self.mail_dir = tmp_path / "mail"  # every process's e-mails: the one "SMTP server"
        self.mail_dir.mkdir()
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: str, **env: str) -> subprocess.Popen:
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": infra.test_database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_RESULT_BACKEND": "",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            # Redis gives an unacknowledged task back after visibility_timeout (default: an hour); the restore's
            # mutex, left locked by a killed worker, expires after unacked_mutex_expire (default 300 s).
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps({"visibility_timeout": 3, "unacked_mutex_expire": 5}),
            "EMAIL_BACKEND": "tests.security.faulty_worker.FaultyFileBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "OUTBOX_FLUSH_INTERVAL": str(FLUSH_INTERVAL),
            "OUTBOX_FLUSH_GRACE": str(FLUSH_GRACE),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        if command == "worker":
            arguments = ["worker", "--pool=solo", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h",
                         "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
        else:
            arguments = ["beat", "--schedule", str(self.tmp_path / "beat-schedule")]
        with (self.tmp_path / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "tests.security.faulty_worker", *arguments, "-l", "info"],
                cwd=infra.BASE_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = process
        return process

    def wait_ready(self, name: str, timeout: float = 120) -> None:
        """Until the worker consumes (its start-up takes seconds, more on a busy machine)."""
        log = self.tmp_path / f"{name}.log"
        ready = wait_for(lambda: log.exists() and " ready." in log.read_text(errors="replace"), timeout=timeout)
        assert ready, self.logs()

    def kill(self, name: str) -> None:
        process = self.processes[name]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-2500:]}" for path in self.tmp_path.glob("*.log")
        )

    def stop_all(self) -> None:
        # Everything was delivered and checked: no warm shutdown to wait for.
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


@pytest.fixture
def celery(broker, tmp_path) -> Iterator[Celery]:
    processes = Celery(tmp_path, broker.url)
    yield processes
    processes.stop_all()


def delivered_e_mails(mail_dir: Path) -> list[tuple[str, str]]:
    """(recipient, Message-ID) of every copy the "SMTP server" received, one per recipient of each copy."""
    copies = []
    for path in mail_dir.iterdir():
        for chunk in path.read_text().split("-" * 79):
            if not chunk.strip():
                continue
            message = email.message_from_string(chunk.strip())
            copies += [(address, message["Message-ID"]) for _name, address in getaddresses(message.get_all("To"))]
    return copies


def expected_e_mails() -> Counter:
    return Counter(
        (recipient, outbox_message_id(row)) for row in OutboxMessage.objects.all() for recipient in row.recipients
    )


def everything_delivered() -> bool:
    return (
        not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
        and not WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
    )


def file_complaints(platform, count: int) -> None:
    for _ in range(count):
        file_complaint(ConsumerFactory(), platform)


def test_the_beat_schedule_flushes_the_outbox_every_interval():
    flushes = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values()
               if entry["task"] == "complaints.tasks.flush_outbox_task"]  # fmt: skip
    assert len(flushes) == 1
    assert flushes[0]["schedule"].total_seconds() == settings.PORTAL_OUTBOX_FLUSH_INTERVAL


def test_after_a_broker_outage_a_real_worker_and_beat_deliver_everything_once(
    broker, celery, receiver, platform_with_webhook
):
    broker.stop()
    started = time.monotonic()
    file_complaints(platform_with_webhook, 3)
    assert time.monotonic() - started < 10, "filing waited for the stopped broker"
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() >= 6
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 3

    broker.start()  # empty: whatever was published before the outage is gone, as after a Redis restart
    celery.start("worker", "worker")
    celery.start("beat", "beat")
    celery.wait_ready("worker")
    # Once the worker consumes: the next flush (the beat starts with one) delivers it all. Two intervals and a
    # few seconds as slack for a busy machine.
    assert wait_for(everything_delivered, timeout=2 * FLUSH_INTERVAL + 8), celery.logs()

    time.sleep(2 * FLUSH_INTERVAL)  # a second flush, which must find nothing left to send
    assert Counter(delivered_e_mails(celery.mail_dir)) == expected_e_mails()
    assert sorted(receiver.received) == sorted(str(pk) for pk in WebhookDelivery.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("channel", ["email", "webhook"])
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_worker_killed_while_sending_loses_nothing_and_any_second_copy_carries_the_same_id(
    broker, celery, receiver, platform_with_webhook, tmp_path, channel, point
):
    marker = tmp_path / "hanging"
    celery.start("doomed", "worker", SEND_FAULT_POINT=point, SEND_FAULT_CHANNEL=channel,
                 SEND_FAULT_MARKER=str(marker))  # fmt: skip
    file_complaints(platform_with_webhook, 2)
    assert wait_for(marker.exists, timeout=60), celery.logs()
    celery.kill("doomed")
    in_flight = marker.read_text()  # the Message-ID or delivery id the worker was handling, if it had one

    celery.start("survivor", "worker")
    celery.start("beat", "beat")
    celery.wait_ready("survivor")
    # The killed worker's lock is gone with its connection: the next flushes deliver the rest.
    assert wait_for(everything_delivered, timeout=2 * FLUSH_INTERVAL + 8), celery.logs()
    time.sleep(2 * FLUSH_INTERVAL + 1)  # later flushes and the killed task's redelivery (visibility timeout 3 s)

    e_mails = Counter(delivered_e_mails(celery.mail_dir))
    webhooks = Counter(receiver.received)
    expected_webhooks = Counter(str(pk) for pk in WebhookDelivery.objects.values_list("pk", flat=True))
    # Every row reached every recipient, under its own id: de-duplicated by id, each exactly once.
    assert set(e_mails) == set(expected_e_mails())
    assert set(webhooks) == set(expected_webhooks)
    copies = e_mails if channel == "email" else webhooks
    other_channel = webhooks if channel == "email" else e_mails
    assert all(count == 1 for count in other_channel.values())
    duplicated = {key for key, count in copies.items() if count > 1}
    if point == "after_send":
        # Handed over, not recorded: sent again, with the same id, and only that one.
        in_flight_keys = {key for key in copies if (key[1] if channel == "email" else key) == in_flight}
        assert duplicated == in_flight_keys and duplicated, (in_flight, copies)
        assert all(copies[key] == 2 for key in duplicated)
    else:
        assert duplicated == set(), copies
