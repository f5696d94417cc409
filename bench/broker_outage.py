"""``python -m bench.broker_outage [--filings 9]``: how long filing takes while the Celery broker is down.

Starts a private ``redis-server`` on a free port, points Celery at it (tasks published for real, not eager),
times API filings (POST /api/v1/complaints/, in-process test client) while it runs, stops it, then times as
many against the stopped server. Uses a throwaway test database (SQLite in memory unless
DATABASE_URL says otherwise); prints every timing and the median.
"""

import argparse
import os
import statistics
import sys
import time

from tests.conftest import free_port, start_private_redis


def file_once(platform) -> tuple[float, int]:
    """Seconds one API filing took (a new consumer each time: no throttle, no duplicate), and its status."""
    from django.urls import reverse
    from rest_framework.test import APIClient

    from tests.factories import ConsumerFactory, api_filing

    client = APIClient()
    client.force_authenticate(ConsumerFactory())
    started = time.perf_counter()
    response = client.post(reverse("complaints_api:complaint-list"), api_filing(platform), format="json")
    return time.perf_counter() - started, response.status_code


def time_filings(platform, count: int, label: str) -> list[float]:
    timings = []
    for _ in range(count):
        seconds, status = file_once(platform)
        timings.append(seconds)
        print(f"{label}: {seconds * 1000:8.1f} ms (HTTP {status})")
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.broker_outage", description=__doc__.split("\n\n")[1])
    parser.add_argument("--filings", type=int, default=9, help="timed filings with the broker down")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    port = free_port()
    redis = start_private_redis(port)
    os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{port}/0"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")
    os.environ.setdefault("LOG_LEVEL", "ERROR")  # one warning per filing is expected: the broker is down
    try:
        import django

        django.setup()
        from django.db import connection
        from django.test.utils import setup_test_environment

        from tests.factories import PlatformFactory, StaffFactory

        setup_test_environment()
        test_database = connection.creation.create_test_db(verbosity=0)
        try:
            platform = PlatformFactory()
            StaffFactory(platform=platform)  # someone to notify: filing queues e-mails
            file_once(platform)  # warm-up: imports, first connection to the broker
            up = time_filings(platform, args.filings, "broker up")
            redis.terminate()
            redis.wait(timeout=10)
            down = time_filings(platform, args.filings, "broker down")
            for label, timings in (("up", up), ("down", down)):
                print(
                    f"median of {len(timings)} filings, broker {label}: {statistics.median(timings) * 1000:.1f} ms"
                    f" (min {min(timings) * 1000:.1f}, max {max(timings) * 1000:.1f})"
                )
        finally:
            connection.creation.destroy_test_db(test_database, verbosity=0)
    finally:
        if redis.poll() is None:
            redis.kill()
            redis.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
