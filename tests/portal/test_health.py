"""/healthz (liveness), /readyz (readiness, one entry per dependency) and what they answer when one is down."""

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations import Migration

from portal import health
from tests import conftest as infra

COMPONENTS = {"database", "cache", "storage", "broker", "migrations"}


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, so a test may stop it without touching the shared one."""

    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.url = f"redis://127.0.0.1:{port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    import redis

    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        infra.skip_or_fail("needs redis-server (apt-get install redis-server)")
    port = closed_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with (tmp_path / "redis.log").open("wb") as log:
        process = subprocess.Popen([*command, "--dir", str(tmp_path)], stdout=log, stderr=subprocess.STDOUT)
    server = PrivateRedis(process, port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port, socket_connect_timeout=0.5).ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"private redis-server did not start:\n{(tmp_path / 'redis.log').read_text()}")
                time.sleep(0.05)
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_cache_at(settings) -> Iterator:
    """Point the default cache at a Redis URL; the previous cache is back before the per-test cache.clear()."""
    previous = settings.CACHES

    def point(url: str) -> None:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}

    yield point
    settings.CACHES = previous


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A local port that accepts connections and never answers: a hung Redis, without a real one."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []

    def accept_forever() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:  # closed at teardown
                return

    threading.Thread(target=accept_forever, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    for connection_ in accepted:
        connection_.close()


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    # The storage check writes and deletes a probe file: keep it out of the working tree.
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def readiness(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


# --- /healthz --------------------------------------------------------------------------------------------


def test_healthz_answers_without_database_access(client):
    # No django_db mark: pytest-django makes any database access here an error.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_runs_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])  # the fixed paths the probes are set up with
def test_probes_are_not_redirected_to_https(client, settings, media_root, path):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(path).status_code == 200
    assert client.get("/").status_code == 301  # while everything else is


# --- /readyz ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_names_each_component_and_answers_200_when_all_are_up(client, media_root):
    status, body = readiness(client)

    assert status == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == COMPONENTS
    assert {entry["status"] for entry in body["checks"].values()} == {"ok"}


@pytest.mark.django_db
def test_readyz_answers_503_naming_migrations_when_one_is_not_applied(client, media_root, monkeypatch):
    on_disk = {
        **health._migrations_on_disk(),
        ("complaints", "9999_not_applied"): Migration("9999_not_applied", "complaints"),
    }
    monkeypatch.setattr(health, "_migrations_on_disk", lambda: on_disk)

    status, body = readiness(client)

    assert status == 503
    assert body["checks"]["migrations"]["status"] == "error"
    assert "complaints.9999_not_applied" in body["checks"]["migrations"]["error"]
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_broker_when_its_folder_is_gone(client, media_root, monkeypatch, tmp_path):
    from portal.celery import app

    monkeypatch.setenv("CELERY_BROKER_URL", "filesystem://")
    monkeypatch.setitem(app.conf, "broker_transport_options", {"data_folder_in": str(tmp_path / "missing")})

    status, body = readiness(client)

    assert status == 503
    assert body["checks"]["broker"]["status"] == "error"
    assert body["checks"]["cache"]["status"] == "ok"


@pytest.mark.broker
@pytest.mark.django_db
def test_readyz_answers_503_naming_cache_and_broker_when_redis_goes_down(
    client, monkeypatch, media_root, private_redis, redis_cache_at
):
    redis_cache_at(private_redis.url)
    # Celery prefers CELERY_BROKER_URL from the environment to its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)
    assert readiness(client)[0] == 200  # the same configuration, Redis up

    private_redis.stop()
    started = time.monotonic()
    status, body = readiness(client)

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["status"] == "error"
    assert body["checks"]["broker"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
    assert time.monotonic() - started < 5


@pytest.mark.slow
@pytest.mark.django_db
def test_readyz_answers_within_seconds_when_redis_accepts_but_never_answers(
    client, monkeypatch, media_root, silent_redis, redis_cache_at
):
    redis_cache_at(silent_redis)
    monkeypatch.setenv("CELERY_BROKER_URL", silent_redis)

    started = time.monotonic()
    status, body = readiness(client)

    assert time.monotonic() - started < 10
    assert status == 503
    assert (body["checks"]["cache"]["status"], body["checks"]["broker"]["status"]) == ("error", "error")
    assert body["checks"]["storage"]["status"] == "ok"


@pytest.mark.postgres
@pytest.mark.django_db
def test_readyz_answers_503_naming_the_database_when_postgresql_is_unreachable(client, media_root, monkeypatch):
    # The checks open their own connections in other threads, from these settings; this test's own connection
    # is already open and stays usable.
    monkeypatch.setitem(connection.settings_dict, "PORT", closed_port())

    status, body = readiness(client)

    assert status == 503
    assert body["checks"]["database"]["status"] == "error"
    assert body["checks"]["migrations"]["status"] == "error"
    assert body["checks"]["cache"]["status"] == "ok"
