"""Liveness and readiness endpoints for load balancers and orchestrators (docs/operations.md).

``/healthz`` says only that this process answers HTTP: it touches nothing, so a database outage never makes
an orchestrator restart healthy web processes. ``/readyz`` runs django-health-check's checks (database, cache,
storage) plus two of ours (the Celery broker, migrations applied) and answers 503 naming what is broken, so a
load balancer stops sending traffic to a process that cannot serve it.
"""

import asyncio
import contextlib
import dataclasses
import datetime
import functools
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor

from csp.decorators import csp_exempt
from django import db
from django.contrib.auth.decorators import login_not_required
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from health_check.base import HealthCheck, HealthCheckResult
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

# Every readiness check must answer within this many seconds (the health-check view adds one more before it
# gives up on a check): well under a load balancer's usual 5–10 s probe timeout.
CHECK_TIMEOUT = datetime.timedelta(seconds=3)


@dataclasses.dataclass
class Broker(HealthCheck):
    """Connect to the Celery broker from settings (Redis or AMQP in production, a folder under ``make run``).

    ``memory://`` means tasks run inline in this process (the laptop default): there is nothing to reach.
    """

    timeout: datetime.timedelta = dataclasses.field(default=CHECK_TIMEOUT, repr=False)

    def run(self) -> None:
        from portal.celery import app

        url = app.conf.broker_url or ""
        if url.startswith("memory://"):
            return
        if url.startswith("filesystem://"):
            self._check_folders(app.conf.broker_transport_options or {})
            return
        seconds = self.timeout.total_seconds()
        # Redis reads its timeouts from the transport options, AMQP from connect_timeout: set both, so an
        # unreachable host fails fast instead of hanging the probe.
        options = {
            **(app.conf.broker_transport_options or {}),
            "socket_connect_timeout": seconds,
            "socket_timeout": seconds,
        }
        try:
            with app.connection_for_write(connect_timeout=seconds, transport_options=options) as connection:
                # No retries: a probe reports the state now; Celery itself retries when it sends.
                connection.ensure_connection(max_retries=0)
        except Exception as error:  # kombu raises the transport's own errors (redis, amqp, OSError)
            raise ServiceUnavailable(f"Cannot connect to the broker: {type(error).__name__}") from error

    @staticmethod
    def _check_folders(options: dict) -> None:
        # kombu's file-system transport opens no connection: readiness is its folders being writable.
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            folder = options.get(key)
            if folder and not os.access(folder, os.W_OK):
                raise ServiceUnavailable(f"Broker folder {key} is missing or not writable")


@functools.cache
def _migrations_on_disk() -> dict:
    """The project's migrations, read once per process: the files do not change while it runs."""
    return dict(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration on disk is recorded as applied: code ahead of its schema fails in odd places.

    One query (the migration history); the files are read once. A squashed migration counts as applied when
    all the migrations it replaces are.
    """

    alias: str = "default"
    timeout: datetime.timedelta = dataclasses.field(default=CHECK_TIMEOUT, repr=False)

    def run(self) -> None:
        connection = connections[self.alias]
        try:
            with connection.temporary_connection():
                applied = set(MigrationRecorder(connection).applied_migrations())
        except db.Error as error:
            raise ServiceUnavailable("Cannot read the migration history") from error
        pending = sorted(
            key
            for key, migration in _migrations_on_disk().items()
            if key not in applied and not (migration.replaces and applied.issuperset(migration.replaces))
        )
        if pending:
            app_label, name = pending[0]
            raise ServiceUnavailable(f"{len(pending)} migration(s) not applied, first {app_label}.{name}")


# What /readyz checks; the names in its answer come from the class names (see component_name).
READINESS_CHECKS = (
    ("health_check.checks.Database", {"alias": "default"}),
    ("health_check.checks.Cache", {"alias": "default", "timeout": CHECK_TIMEOUT}),
    "health_check.checks.Storage",
    "portal.health.Broker",
    "portal.health.Migrations",
)


def component_name(check: HealthCheck) -> str:
    name = type(check).__name__.lower()
    alias = getattr(check, "alias", "default")
    return name if alias == "default" else f"{name}:{alias}"


@contextlib.contextmanager
def _probe_threads() -> Iterator[Executor]:
    """Threads for the blocking checks that are not waited for at the end: a check stuck on an unreachable
    host has already been reported as timed out, and must not hold the response back."""
    executor = ThreadPoolExecutor(max_workers=len(READINESS_CHECKS), thread_name_prefix="readyz")
    try:
        yield executor
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


class ReadinessView(HealthCheckView):
    """200 when every dependency answers, 503 otherwise; always JSON, one entry per component.

    (The package's view answers 500 on failure and content-negotiates HTML; probes expect 503 and JSON.)
    """

    checks = READINESS_CHECKS

    def get_executor(self) -> contextlib.AbstractContextManager[Executor | None]:
        return _probe_threads()

    async def get(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        with self.get_executor() as executor:
            self.results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
        return readiness_response(self.results)


def readiness_response(results: list[HealthCheckResult]) -> JsonResponse:
    components = {}
    for result in results:
        entry = {"status": "error" if result.error else "ok", "seconds": round(result.time_taken, 4)}
        if result.error:
            entry["error"] = str(result.error)
        components[component_name(result.check)] = entry
    healthy = not any(result.error for result in results)
    response = JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": components}, status=200 if healthy else 503
    )
    # What django-csp's csp_exempt() sets; the decorator itself cannot wrap an async view.
    response._csp_exempt = True
    return response


@login_not_required
@csp_exempt()
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: this process answers. No database, cache or broker access, by design."""
    return JsonResponse({"status": "ok"})
