"""Prometheus metrics (docs/operations.md): the ``/metrics`` view, Celery task outcomes and durations, and a
registry for gauges that apps compute from the database when Prometheus scrapes.

Request latency by view and database query counts come from django-prometheus (its middlewares and database
engine wrappers, set up in settings). Each process counts on its own: web processes answer ``/metrics``; a
Celery worker, a separate process, serves its task metrics on ``WORKER_METRICS_PORT``. With several processes
per host (gunicorn workers, Celery's prefork pool) set ``PROMETHEUS_MULTIPROC_DIR`` so one answer sums them all.
"""

import functools
import hmac
import ipaddress
import logging
import os
import time

from csp.decorators import csp_exempt
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import checks
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

logger = logging.getLogger(__name__)

# --- Celery tasks ---------------------------------------------------------------------------------------

TASK_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
TASK_OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried", "REJECTED": "rejected"}

celery_tasks_total = Counter(
    "portal_celery_tasks_total", "Celery tasks finished in this process, by task and outcome.", ["task", "outcome"]
)
celery_task_duration = Histogram(
    "portal_celery_task_duration_seconds",
    "Run time of Celery tasks in this process, by task (every outcome).",
    ["task"],
    buckets=TASK_DURATION_BUCKETS,
)
celery_task_last_success = Gauge(
    "portal_celery_task_last_success_timestamp_seconds",
    "When a task last succeeded in this process (Unix time): time() minus this is how long ago the sweep ran.",
    ["task"],
    multiprocess_mode="max",
)

# task id -> start time; popped when the task ends (a worker killed mid-task leaves one small entry behind).
_task_started: dict[str, float] = {}


def _task_prerun(task_id: str | None = None, **kwargs) -> None:
    if task_id:
        _task_started[task_id] = time.perf_counter()


def _task_postrun(task_id: str | None = None, task=None, state: str | None = None, **kwargs) -> None:
    name = getattr(task, "name", None) or "unknown"
    celery_tasks_total.labels(name, TASK_OUTCOMES.get(state or "", (state or "unknown").lower())).inc()
    started = _task_started.pop(task_id, None) if task_id else None
    if started is not None:
        celery_task_duration.labels(name).observe(time.perf_counter() - started)
    if state == "SUCCESS":
        celery_task_last_success.labels(name).set_to_current_time()


def _serve_worker_metrics(**kwargs) -> None:
    """In a Celery worker's main process: serve this worker's metrics over plain HTTP when a port is set."""
    port = settings.PORTAL_WORKER_METRICS_PORT
    if not port:
        return
    address = settings.PORTAL_WORKER_METRICS_ADDRESS
    start_http_server(port, addr=address, registry=process_registry())
    logger.info("worker metrics on http://%s:%s/metrics", address, port)


def connect_task_signals() -> None:
    """Count every task this process runs (worker, or a web process running tasks inline)."""
    from celery.signals import task_postrun, task_prerun, worker_ready

    task_prerun.connect(_task_prerun, weak=False, dispatch_uid="portal.metrics.task_prerun")
    task_postrun.connect(_task_postrun, weak=False, dispatch_uid="portal.metrics.task_postrun")
    worker_ready.connect(_serve_worker_metrics, weak=False, dispatch_uid="portal.metrics.worker_ready")


# --- Exposition -----------------------------------------------------------------------------------------

# Collectors that run database queries when scraped. Kept out of the default registry so a worker's metrics
# server never runs them: only the web's /metrics does.
SCRAPE_REGISTRY = CollectorRegistry()
_scrape_collectors: set[type] = set()


def register_scrape_collector(collector) -> None:
    """Add a collector to /metrics once (an app's ``ready()`` may run more than once in tests)."""
    if type(collector) not in _scrape_collectors:
        SCRAPE_REGISTRY.register(collector)
        _scrape_collectors.add(type(collector))


def process_registry() -> CollectorRegistry:
    """This process's metrics, or every process's on this host in prometheus_client's multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@functools.lru_cache(maxsize=4)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def metrics_access_allowed(request: HttpRequest) -> bool:
    """A caller from an allowed network, or one presenting ``Authorization: Bearer <METRICS_TOKEN>``."""
    token = settings.PORTAL_METRICS_TOKEN
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:  # a dual-stack socket reports IPv4 callers as ::ffff:a.b.c.d
        address = address.ipv4_mapped
    return any(address in network for network in _networks(tuple(settings.PORTAL_METRICS_ALLOWED_NETWORKS)))


@login_not_required
@csp_exempt()
@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_access_allowed(request):
        return HttpResponseForbidden("Metrics are served to allowed networks or with the metrics token.\n")
    body = generate_latest(process_registry()) + generate_latest(SCRAPE_REGISTRY)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


@checks.register(checks.Tags.security)
def check_metrics_networks(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        _networks(tuple(settings.PORTAL_METRICS_ALLOWED_NETWORKS))
    except ValueError as error:
        return [checks.Error(f"METRICS_ALLOWED_NETWORKS: {error}", id="portal.E101")]
    return []
