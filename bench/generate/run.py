"""One generation run: platforms and consumers, staged complaints with their clocks, timelines and evidence,
the bulk copy, penalties, the statistics rollup and fresh planner statistics."""

import random
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from complaints.models import Complaint, Deadline, Event, Evidence, Response
from platforms.models import Operator, Platform
from portal.models import User
from regulation.rollup import refresh_daily_stats

from . import rows, staging
from .marks import real_data_present
from .writing import indexes_dropped_while_loading, write_staged

GENERATED_TABLES = [m._meta.db_table for m in (Complaint, Deadline, Event, Evidence, Response)]
# The worst-ranked platforms that get a penalty each.
PENALISED_PLATFORMS = 40


class GenerationRefused(Exception):
    """The generator will not run here; the message says why and what to do."""


class RealDataPresent(GenerationRefused):
    """The database holds data that was not generated; refuse unless forced."""


class NeedsPostgres(GenerationRefused):
    """The generator relies on PostgreSQL's set-based SQL and COPY-speed inserts."""


@dataclass
class LoadReport:
    platforms: int = 0
    consumers: int = 0
    complaints: int = 0
    deadlines: int = 0
    events: int = 0
    evidence: int = 0
    responses: int = 0
    penalties: int = 0
    seconds: dict = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"Done in {self.seconds['total']} s: {self.platforms:,} platforms, {self.consumers:,} consumers, "
            f"{self.complaints:,} complaints, {self.deadlines:,} clocks, {self.events:,} events, "
            f"{self.evidence:,} evidence rows, {self.responses:,} responses, {self.penalties} penalties."
        )


def ensure_only_generated_data(force: bool) -> None:
    if connection.vendor != "postgresql":
        raise NeedsPostgres("generating load data needs PostgreSQL: set DATABASE_URL=postgres://…")
    if not force and real_data_present():
        raise RealDataPresent(
            "This database holds complaints or platforms that were not generated. "
            "Use a dedicated database, or pass --force if you really mean to add load data to it."
        )


def generate_checked(*, complaints: int, platforms: int, seed: int, force: bool, progress=print) -> LoadReport:
    """``generate`` behind the checks both command lines make; raises ``GenerationRefused``."""
    if complaints < 1 or platforms < 1:
        raise GenerationRefused("--complaints and --platforms must be positive")
    ensure_only_generated_data(force)
    progress(f"Generating {complaints:,} complaints across {platforms:,} platforms (seed {seed})…")
    return generate(complaints=complaints, platforms=platforms, seed=seed, progress=progress)


class _Timer:
    def __init__(self, report: LoadReport, progress):
        self.report, self.progress, self.last = report, progress, time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.report.seconds[name] = round(now - self.last, 1)
        self.progress(f"  {name}: {now - self.last:.1f} s")
        self.last = now


def generate(
    *, complaints: int, platforms: int, seed: int = 2026, now: datetime | None = None, progress=print
) -> LoadReport:
    """Write the load; returns counts and timings. The same seed and ``now`` give the same data."""
    now = now or timezone.now().replace(microsecond=0)
    report = LoadReport()
    timer = _Timer(report, progress)
    with transaction.atomic():
        districts = rows.insert_offices()
        platform_ids = rows.insert_platforms(random.Random(seed), platforms, now, districts)
        report.platforms = len(platform_ids)
        timer.lap("platforms")
        with connection.cursor() as cursor:
            _load_complaints(
                cursor, report, timer, complaints=complaints, platform_ids=platform_ids, seed=seed, now=now
            )
        penalised = platform_ids[:PENALISED_PLATFORMS]
        report.penalties = rows.insert_penalties(random.Random(seed), penalised, now)
        rows.reset_sequences(User, Platform, Complaint, Evidence, Operator)
    # What the beat's refresh would hold for this history, so statistics read from the rollup at once.
    refresh_daily_stats(now=now)
    timer.lap("statistics rollup")
    with connection.cursor() as cursor:
        # VACUUM marks the new pages all-visible, so index-only scans need not read the tables; it cannot run
        # inside a transaction (as in tests), where statistics alone are refreshed.
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    timer.lap("vacuumed and analyzed")
    report.seconds["total"] = round(sum(report.seconds.values()), 1)
    return report


def _load_complaints(
    cursor, report: LoadReport, timer: _Timer, *, complaints: int, platform_ids: range, seed: int, now: datetime
) -> None:
    """Consumers and complaints with everything that hangs off them, staged in SQL and copied in bulk."""
    # Staging sorts and hashes millions of rows: give them memory instead of spilling to disk.
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
    first_consumer, consumers = staging.insert_consumers(cursor, max(complaints // 4, 10), now)
    report.consumers = consumers
    timer.lap("consumers")
    consumer_ids = range(first_consumer, first_consumer + consumers)
    staging.stage_complaints(cursor, complaints, platforms=platform_ids, consumers=consumer_ids, now=now)
    timer.lap("complaints staged")
    staging.stage_deadlines(cursor, now)
    timer.lap("clocks staged")
    staging.stage_evidence(cursor)
    events_sql = staging.stage_events(cursor)
    timer.lap("timelines hashed")
    with indexes_dropped_while_loading(cursor, GENERATED_TABLES):
        write_staged(cursor, report, events_sql)
        timer.lap("rows written")
    timer.lap("indexes rebuilt")
    rows.advance_reference_sequences(cursor)
