"""Filing throughput: wrk posts complaints to gunicorn (2 workers) for a fixed time.

gunicorn runs with ``THROTTLE_FILING=1000000/hour`` (the benchmark consumer must not be throttled) and
``DEBUG=false``. E-mail tasks go to Redis as in production, under a key prefix of this run that is deleted
afterwards (no worker sends them); without Redis they go to an in-memory queue that dies with gunicorn.
The complaints filed are deleted after the run, so the data set stays the same from run to run.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from complaints.models import Complaint

from .actors import Actors
from .report import FilingResult

BASE_DIR = Path(settings.BASE_DIR)
SCRIPT = Path(__file__).with_name("filing.lua")
HOST, PORT = "127.0.0.1", 8123
# Longer than wrk's 2 s default: a timed-out request is counted as an error, not re-sent, and the first
# requests of each worker (importing the views) are slow.
REQUEST_TIMEOUT = 10
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


class FilingUnavailable(RuntimeError):
    """wrk is missing, or gunicorn did not start."""


def run(actors: Actors, *, seconds: int, threads: int, connections: int, warmup: int = 5) -> FilingResult:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise FilingUnavailable("wrk is not installed (apt-get install -y wrk)")
    result = FilingResult(seconds=seconds, connections=connections, threads=threads)
    with _broker_env() as broker, _gunicorn(broker):
        if warmup:
            _wrk(wrk, actors, seconds=warmup, threads=threads, connections=connections)
        measured = _wrk(wrk, actors, seconds=seconds, threads=threads, connections=connections)
    result.requests = measured["requests"]
    result.requests_per_second = measured["requests"] / (measured["duration_us"] / 1e6)
    result.p50_ms = measured["p50_us"] / 1000
    result.p99_ms = measured["p99_us"] / 1000
    result.max_ms = measured["max_us"] / 1000
    result.non_201 = measured["non_201"]
    result.statuses = {str(code): count for code, count in measured["statuses"].items()}
    result.socket_errors = measured["socket_errors"]
    if measured.get("first_error"):
        result.sample_error = measured["first_error"]
    return result


def _wrk(wrk: str, actors: Actors, *, seconds: int, threads: int, connections: int) -> dict:
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={REQUEST_TIMEOUT}s",
        "--latency",
        "-s",
        str(SCRIPT),
        f"http://{HOST}:{PORT}",
        "--",
        actors.filer_token,
        actors.platform.slug,
        uuid.uuid4().hex[:12],
    ]
    finished = subprocess.run(  # noqa: S603 - our own command line
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in finished.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return json.loads(line.removeprefix("BENCH-RESULT "))
    raise FilingUnavailable(f"wrk gave no result: {finished.stdout[-500:]} {finished.stderr[-500:]}")


@contextmanager
def _broker_env():
    """Environment for gunicorn's Celery producer: a Redis key prefix of its own, or the in-memory queue."""
    prefix = f"bench-filing-{uuid.uuid4().hex[:8]}:"
    client = _redis()
    if client is None:
        yield {"CELERY_BROKER_URL": "memory://", "CELERY_TASK_ALWAYS_EAGER": "false"}
        return
    try:
        yield {
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps({"global_keyprefix": prefix}),
        }
    finally:
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)


def _redis():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
        client.ping()
        return client
    except Exception:  # no Redis: fall back to the in-memory queue
        return None


@contextmanager
def _gunicorn(broker: dict):
    if _port_open():
        raise FilingUnavailable(f"{HOST}:{PORT} is already in use")
    log_path = BASE_DIR / "var" / "bench-gunicorn.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        **broker,
        "THROTTLE_FILING": "1000000/hour",
        "DEBUG": "false",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "-w", "2", "-b", f"{HOST}:{PORT}"]
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while not _port_open():
            if process.poll() is not None or time.monotonic() > deadline:
                raise FilingUnavailable(f"gunicorn did not start, see {log_path}")
            time.sleep(0.2)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _port_open() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, PORT)) == 0


def delete_filed(consumer_id: int) -> int:
    """Delete the benchmark consumer's complaints and every row that points at them (events included: they
    are load data, not a real timeline). Returns the number of complaints deleted."""
    complaint_ids = f"SELECT id FROM {Complaint._meta.db_table} WHERE consumer_id = %s"  # noqa: S608
    # Hidden relations included: e-mail rows (related_name="+") and the penalties' many-to-many table.
    statements = {
        (relation.related_model._meta.db_table, relation.field.column)
        for relation in Complaint._meta.get_fields(include_hidden=True)
        if relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)
    }
    with transaction.atomic(), connection.cursor() as cursor:
        for table, column in sorted(statements):
            cursor.execute(f'DELETE FROM "{table}" WHERE "{column}" IN ({complaint_ids})', [consumer_id])  # noqa: S608
        cursor.execute(f"DELETE FROM {Complaint._meta.db_table} WHERE consumer_id = %s", [consumer_id])  # noqa: S608
        return cursor.rowcount
