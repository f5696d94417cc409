"""Shared test infrastructure.

Sections:
1. service markers (postgres / broker / e2e): skip on a laptop without the service, FAIL under CI=true;
2. Celery: eager by default; a real worker process for ``@pytest.mark.broker`` tests;
3. small per-test hygiene (cache);
4. the clock: ``--frozen-now`` / ``PORTAL_TEST_NOW`` starts every test at one instant (CI runs the ``dated``
   tests at a few chosen ones);
5. role fixtures — ``tests.fixtures_roles`` (plugin), plus the lead's section;
6. ``local_tsa``: a real RFC 3161 time-stamping authority (OpenSSL) on a free port, ``tsa_settings`` to use it.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import time_machine

BASE_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")

# Role fixtures (consumer, agent, manager, regulator, platform, api_key, …) live in their own plugin.
pytest_plugins = ["tests.fixtures_roles"]


# --- 1. Service markers ---------------------------------------------------------------------------


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    """Skip on a laptop; under CI a missing service is a broken pipeline, so the test fails loudly."""
    if running_in_ci():
        pytest.fail(f"{reason} — required under CI=true", pytrace=False)
    pytest.skip(reason)


# Every key this session's broker traffic uses in Redis starts with this prefix, so two test sessions (two
# developers, or CI next to a local run) sharing CELERY_BROKER_URL never consume each other's tasks.
BROKER_KEY_PREFIX = f"pytest-{uuid.uuid4().hex[:8]}:"


def broker_transport_options() -> dict:
    """Transport options for anything (worker, app, control client) that talks to this session's broker."""
    return {"global_keyprefix": BROKER_KEY_PREFIX}


def redis_broker_url() -> str | None:
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith(("redis://", "rediss://")) else None


_redis_problem_cache: dict[str, str | None] = {}


def redis_problem(url: str) -> str | None:
    """None when Redis at ``url`` answers PING, else why not (checked once per session)."""
    if url not in _redis_problem_cache:
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
            _redis_problem_cache[url] = None
        except Exception as exc:
            _redis_problem_cache[url] = f"Redis at {url} does not answer: {exc}"
    return _redis_problem_cache[url]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            skip_or_fail(f"needs PostgreSQL (DATABASE_URL=postgres://…), the database is {connection.vendor}")
    if item.get_closest_marker("broker"):
        url = redis_broker_url()
        if url is None:
            skip_or_fail("needs CELERY_BROKER_URL=redis://… and a running Redis")
        elif problem := redis_problem(url):
            skip_or_fail(problem)
    if item.get_closest_marker("e2e") and not CHROMIUM.exists():
        skip_or_fail(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")


# --- 2. Celery ------------------------------------------------------------------------------------


def reset_celery_connections(app) -> None:
    """Drop the broker pool, producer pool and result backend Celery caches on first use, so the next call
    connects with the current ``app.conf``. Celery has no public API for this; these are the attributes
    its own after-fork hook resets."""
    # Only drop references: the connection pools themselves are kombu-global, shared per broker URL.
    app._pool = None
    if "amqp" in app.__dict__:
        app.__dict__["amqp"]._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


REDIS_SERVER = Path("/usr/bin/redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_private_redis(port: int) -> subprocess.Popen:
    """A throwaway ``redis-server`` on 127.0.0.1:``port`` (no persistence), returned once it accepts
    connections. Tests that need a broker to go down stop this one, never the shared server."""
    server = subprocess.Popen(
        [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.05)
    server.kill()
    server.wait()
    raise RuntimeError(f"redis-server did not listen on port {port}")


@pytest.fixture(autouse=True, scope="session")
def celery_eager_by_default() -> Iterator[None]:
    """Tasks run inline in tests even when CELERY_BROKER_URL points at Redis (as in CI): only tests that
    ask for ``real_broker`` go through a broker and a worker."""
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A worker process cannot see an in-memory SQLite database: when a Redis broker is configured, give
    the SQLite test database a file (removed at the end of the session by Django)."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3") and redis_broker_url():
        test = settings_dict.setdefault("TEST", {})
        if not test.get("NAME"):
            test["NAME"] = str(Path(tempfile.gettempdir()) / f"portal-test-{os.getpid()}.sqlite3")


def test_database_url() -> str:
    """A DATABASE_URL for the pytest-django test database (call after ``django_db_setup``)."""
    from django.db import connection

    settings_dict = connection.settings_dict
    name = str(settings_dict["NAME"])
    if connection.vendor == "sqlite":
        if name.startswith("file:") or name == ":memory:":
            raise RuntimeError("the SQLite test database is in memory; a worker process cannot reach it")
        return f"sqlite:///{name}"  # an absolute path gives sqlite:////abs/path
    env_url = os.environ.get("DATABASE_URL")
    if env_url:
        return urlsplit(env_url)._replace(path="/" + quote(name)).geturl()
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{settings_dict.get('HOST') or ''}{port}/{quote(name)}"


class WorkerProcess:
    def __init__(self, process: subprocess.Popen, hostname: str, log_path: Path, mail_dir: Path) -> None:
        self.process = process
        self.hostname = hostname
        self.log_path = log_path
        self.mail_dir = mail_dir  # the worker's e-mails land here (file-based backend)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no worker log)"


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, django_db_blocker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """A real ``celery worker`` subprocess on the test database and the Redis broker from the environment.

    Use through ``real_broker``; tests must be ``@pytest.mark.django_db(transaction=True)`` so the worker
    sees committed rows. Results go to Redis as well, so ``.delay().get(timeout=…)`` works.
    """
    from celery import Celery

    broker_url = redis_broker_url()
    if broker_url is None or redis_problem(broker_url):
        skip_or_fail("celery_worker_process needs CELERY_BROKER_URL=redis://… and a running Redis")
    with django_db_blocker.unblock():
        database_url = test_database_url()

    workdir = tmp_path_factory.mktemp("celery-worker")
    mail_dir = workdir / "mail"
    mail_dir.mkdir()
    log_path = workdir / "worker.log"
    hostname = f"pytest-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(broker_transport_options()),
        "CELERY_RESULT_BACKEND": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "-l", "info",
        "-n", hostname, "--purge", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = WorkerProcess(process, hostname, log_path, mail_dir)

    control_app = Celery("pytest-control", broker=broker_url, set_as_current=False)
    control_app.conf.broker_transport_options = broker_transport_options()
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"celery worker exited with {process.returncode}:\n{worker.log_tail()}", pytrace=False)
            if control_app.control.ping(destination=[hostname], timeout=1.0):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"celery worker did not answer a ping in 60 s:\n{worker.log_tail()}", pytrace=False)
        yield worker
    finally:
        control_app.close()
        if process.poll() is None:
            process.terminate()  # warm shutdown: finishes the current task
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@pytest.fixture
def real_broker(celery_worker_process: WorkerProcess) -> Iterator[WorkerProcess]:
    """Send tasks for real (Redis broker → worker process) during this test, then go back to eager."""
    from portal.celery import app

    broker_url = redis_broker_url()
    changed = {
        "broker_url": broker_url,
        "broker_transport_options": broker_transport_options(),
        "result_backend": broker_url,
        "task_always_eager": False,
    }
    saved = {key: app.conf[key] for key in changed}
    reset_celery_connections(app)
    app.conf.update(changed)
    try:
        yield celery_worker_process
    finally:
        reset_celery_connections(app)
        app.conf.update(saved)


# --- 3. Per-test hygiene --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clear_cache() -> Iterator[None]:
    """Throttle counters and cached pages live in the cache: start every test from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- 4. The clock -------------------------------------------------------------------------------------
# Whatever depends on the date (working days, holidays, the sweep, statistics windows, numbers counted per
# year) is tested at instants of the test's choosing: such a test pins its own time with time_machine, or
# computes its expectations from the time it runs at. ``--frozen-now`` checks that they do: every test starts
# at the given instant and time then moves on normally, so CI can run the suite on the eve of a holiday or a
# few seconds before the year ends. A test's own time_machine.travel still wins (travels nest).

FROZEN_NOW_ENV = "PORTAL_TEST_NOW"
FROZEN_NOW = pytest.StashKey[datetime | None]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--frozen-now",
        metavar="ISO-8601",
        default=None,
        help=f"start every test at this instant, with its UTC offset (2026-12-31T23:59:30+08:00); time then "
        f"moves on. Default: ${FROZEN_NOW_ENV}. Run the date-dependent tests with -m dated.",
    )


def parse_frozen_now(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(f"--frozen-now / {FROZEN_NOW_ENV}: not an ISO 8601 instant: {value!r}") from None
    if moment.utcoffset() is None:
        # A naive time would be read in the machine's zone: the same run would test another instant elsewhere.
        raise pytest.UsageError(f"--frozen-now / {FROZEN_NOW_ENV}: give the UTC offset, e.g. {value}+08:00")
    return moment


def pytest_configure(config: pytest.Config) -> None:
    value = (config.getoption("--frozen-now") or os.environ.get(FROZEN_NOW_ENV, "")).strip()
    config.stash[FROZEN_NOW] = parse_frozen_now(value) if value else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash[FROZEN_NOW] is None:
        return
    # The worker is another process, and Redis has its own clock: neither travels with the test.
    skip = pytest.mark.skip(reason="--frozen-now does not reach the Celery worker process")
    for item in items:
        if item.get_closest_marker("broker"):
            item.add_marker(skip)


def pytest_report_header(config: pytest.Config) -> str | None:
    moment = config.stash.get(FROZEN_NOW, None)
    if moment is None:
        return None
    return f"frozen now: every test starts at {moment.isoformat()} ({moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC)"


def travel_to_frozen_now(config: pytest.Config) -> Iterator[datetime | None]:
    moment = config.stash[FROZEN_NOW]
    if moment is None:
        yield None
        return
    with time_machine.travel(moment, tick=True):
        yield moment


# Fixtures shared by a session or a module are made at the frozen instant too (seconds from the tests that use
# them), not at the real time, which may be months away: a password-reset token made in December has expired
# at a frozen instant in February.
@pytest.fixture(autouse=True, scope="session")
def frozen_now_for_session_fixtures(pytestconfig: pytest.Config) -> Iterator[datetime | None]:
    yield from travel_to_frozen_now(pytestconfig)


@pytest.fixture(autouse=True, scope="module")
def frozen_now_for_module_fixtures(pytestconfig: pytest.Config) -> Iterator[datetime | None]:
    yield from travel_to_frozen_now(pytestconfig)


@pytest.fixture(autouse=True)
def frozen_now(pytestconfig: pytest.Config) -> Iterator[datetime | None]:
    """The instant this test starts at under ``--frozen-now`` (None without it: the real time)."""
    yield from travel_to_frozen_now(pytestconfig)


# --- 5. Role fixtures (lead) ----------------------------------------------------------------------
# consumer / platform staff / regulator users and API clients are in tests/fixtures_roles.py (registered
# through ``pytest_plugins`` at the top); fixtures that combine roles with the infrastructure above go here.


# --- 6. A real RFC 3161 time-stamping authority ---------------------------------------------------------
# tools/local_tsa.py: OpenSSL's own `openssl ts -reply` behind HTTP, with a test CA made when it starts. Not a
# mock: tokens are signed by OpenSSL and verified by rfc3161-client like any public TSA's.

LOCAL_TSA_SCRIPT = BASE_DIR / "tools" / "local_tsa.py"


@dataclass(frozen=True)
class LocalTsa:
    url: str  # POST application/timestamp-query here
    ca_cert_path: Path  # the root to trust (PEM)
    tsa_cert_path: Path  # the TSA's signing certificate (PEM), issued by the CA above


@pytest.fixture(scope="session")
def local_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTsa]:
    """A local TSA process for the whole session; its URL and the CA certificate that verifies its tokens."""
    if shutil.which("openssl") is None:
        skip_or_fail("the local TSA needs the openssl binary (make testdeps)")
    state_dir = tmp_path_factory.mktemp("local-tsa")
    port = free_port()
    log_path = state_dir / "tsa.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(LOCAL_TSA_SCRIPT), "--port", str(port), "--state-dir", str(state_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the local TSA did not start:\n{log_path.read_text(errors='replace')}", pytrace=False)
                time.sleep(0.05)
        yield LocalTsa(f"http://127.0.0.1:{port}/", state_dir / "ca.pem", state_dir / "tsa.pem")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def tsa_settings(local_tsa: LocalTsa, settings) -> LocalTsa:
    """Point the portal's TSA settings at the local TSA for one test."""
    settings.PORTAL_TSA_URL = local_tsa.url
    settings.PORTAL_TSA_CA_CERTIFICATES = [str(local_tsa.ca_cert_path)]
    return local_tsa
