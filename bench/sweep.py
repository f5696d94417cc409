"""The deadline sweep over every open clock, timed inside a transaction that is rolled back.

One pass of ``deadlines_sweep`` handles at most BATCH_SIZE complaints; the benchmark repeats passes until one
finds nothing left, as the periodic task would over a few minutes, and measures the total. Rolling back keeps
the database reusable: the next run (and the next engineer) sweeps the same clocks again.
"""

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.sweep import deadlines_sweep

from .measure import Target, Timing

SWEEP_TARGET = Target("max", "<=", 2000)
MAX_PASSES = 1000


@dataclass
class SweepRun:
    milliseconds: float
    queries: int
    passes: int
    complaints: int
    breached: int
    reminded: int
    escalated: int
    auto_accepted: int


def sweep_once() -> SweepRun:
    """All passes needed at this moment, in one transaction that is rolled back afterwards."""
    now = timezone.now()
    totals = {"complaints": 0, "breached": 0, "reminded": 0, "escalated": 0, "auto_accepted": 0}
    passes = 0
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        while passes < MAX_PASSES:
            result = deadlines_sweep(now=now)
            passes += 1
            touched = result.breached + result.reminded
            if not touched:
                break
            totals["complaints"] += len(result.complaints)
            for name in ("breached", "reminded", "escalated", "auto_accepted"):
                totals[name] += getattr(result, name)
        elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return SweepRun(milliseconds=elapsed, queries=len(queries), passes=passes, **totals)


def run(*, repeats: int) -> tuple[Timing, SweepRun]:
    runs = [sweep_once() for _ in range(repeats)]
    timing = Timing(samples_ms=[r.milliseconds for r in runs], queries=[r.queries for r in runs])
    return timing, runs[-1]
