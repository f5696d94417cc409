"""The daily open-data export (``regulation.open_data``) over the whole database, and its memory.

Order 121 Art. 38 asks the regulator to publish the complaints; the export writes every published record,
gzipped, as CSV and as JSON Lines, streaming rows from a server-side cursor. The benchmark runs it twice per
repeat: over the first ``limit`` published rows (as the daily job would at that size) and over all of them,
and records for each the wall time, the rows, the bytes of both files and the peak memory. The peak is the
growth of the process's resident set during the run (``VmHWM`` of /proc/self/status, reset before the run with
/proc/self/clear_refs after freed memory is handed back by ``malloc_trim``); with ``tracemalloc`` the peak of
Python's own allocations is recorded as well (it slows the run down, so it is off by default). Constant
memory means both peaks are about the same at 10× the rows.

Both runs write to temporary files that are discarded; the full run goes through ``open_data_export`` itself,
inside a transaction that is rolled back and with a temporary MEDIA_ROOT, so no release is left behind.
"""

import contextlib
import ctypes
import ctypes.util
import gc
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from regulation.open_data import open_data_export, published_complaints, write_export

from .measure import format_number

# A day no real release has, so the run's own release never meets one (and it is rolled back anyway).
BENCH_DAY = date(1999, 12, 31)
STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass
class ExportRun:
    """One export: wall time, rows, bytes of each gzipped file, and peak memory growth in bytes."""

    label: str
    milliseconds: float
    rows: int
    csv_bytes: int
    jsonl_bytes: int
    rss_peak_growth: int | None
    traced_peak: int | None
    queries: int

    def note(self) -> str:
        parts = [
            f"{format_number(self.rows)} rows",
            f"CSV.gz {mebibytes(self.csv_bytes)}",
            f"JSONL.gz {mebibytes(self.jsonl_bytes)}",
            f"{format_number(self.rows / max(self.milliseconds / 1000, 1e-9))} rows/s",
        ]
        if self.rss_peak_growth is not None:
            parts.append(f"peak RSS +{mebibytes(self.rss_peak_growth)}")
        if self.traced_peak is not None:
            parts.append(f"tracemalloc peak {mebibytes(self.traced_peak)}")
        parts.append(f"{self.queries} queries")
        return ", ".join(parts)


def mebibytes(size: int) -> str:
    return f"{format_number(size / 1024 / 1024)} MiB"


def _status_kib(field: str) -> int | None:
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _release_freed_memory() -> None:
    gc.collect()
    name = ctypes.util.find_library("c")
    if name:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name).malloc_trim(0)


def _reset_peak() -> int | None:
    """Reset the resident-set high-water mark to the current size; that size in bytes (None where unsupported)."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return None
    current = _status_kib("VmRSS")
    return None if current is None else current * 1024


class PeakMemory:
    """The growth of the resident set's high-water mark over a block, and optionally tracemalloc's peak."""

    def __init__(self, *, traced: bool) -> None:
        self.traced = traced
        self.rss_growth: int | None = None
        self.traced_peak: int | None = None

    def __enter__(self):
        _release_freed_memory()
        self.baseline = _reset_peak()
        if self.traced:
            tracemalloc.start()
        return self

    def __exit__(self, *exc_info):
        if self.traced:
            _current, self.traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        peak = _status_kib("VmHWM")
        if self.baseline is not None and peak is not None:
            self.rss_growth = max(peak * 1024 - self.baseline, 0)
        return False


def export_first(limit: int, *, traced: bool = False) -> ExportRun:
    """``write_export`` over the first ``limit`` rows of the export's own query, into temporary files."""
    complaints = published_complaints(now=timezone.now(), whole_table=True).order_by("created_at", "pk")[:limit]
    with (
        tempfile.TemporaryFile() as csv_file,
        tempfile.TemporaryFile() as jsonl_file,
        CaptureQueriesContext(connection) as queries,
        PeakMemory(traced=traced) as memory,
    ):
        started = time.perf_counter()
        with transaction.atomic():  # the server-side cursor lives in a transaction, as in the daily task
            rows = write_export(complaints, csv_file, jsonl_file)
        elapsed = (time.perf_counter() - started) * 1000
        csv_bytes, jsonl_bytes = csv_file.tell(), jsonl_file.tell()
    return ExportRun(
        f"first {format_number(limit)}",
        elapsed,
        rows,
        csv_bytes,
        jsonl_bytes,
        memory.rss_growth,
        memory.traced_peak,
        len(queries),
    )


def export_all(*, traced: bool = False) -> ExportRun:
    """``open_data_export`` as the daily task runs it (query, both files, digests, storage), rolled back."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-open-data-") as media,
        override_settings(MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        with CaptureQueriesContext(connection) as queries, PeakMemory(traced=traced) as memory:
            started = time.perf_counter()
            release = open_data_export(day=BENCH_DAY)
            elapsed = (time.perf_counter() - started) * 1000
        result = ExportRun(
            "all",
            elapsed,
            release.records,
            release.csv_size,
            release.jsonl_size,
            memory.rss_growth,
            memory.traced_peak,
            len(queries),
        )
        transaction.set_rollback(True)
    return result


def run(*, limit: int, traced: bool = False) -> tuple[ExportRun, ExportRun]:
    """The export over the first ``limit`` rows, then over every published row."""
    return export_first(limit, traced=traced), export_all(traced=traced)
