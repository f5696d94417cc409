"""The results as Markdown: one dated section per run, appended to docs/benchmarks.md (history is kept)."""

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .measure import Target, Timing, format_number, verdict

FILE_HEADER = """# Benchmarks

`make bench` (or `python -m bench`) appends one section per run at the end of this file; earlier runs are
never rewritten. How the numbers are taken, and what was changed to meet the targets, is described first.
"""

TABLE_HEADER = (
    "| Scenario | Requests | p50 ms | p95 ms | max ms | Queries | Target | Result |\n"
    "|---|---:|---:|---:|---:|---:|---|---|\n"
)


@dataclass
class Row:
    """One line of the table: a scenario's timing checked against its target."""

    name: str
    timing: Timing | None
    target: Target | None = None
    note: str = ""
    error: str = ""

    @property
    def result(self) -> str:
        if self.error:
            return "ERROR"
        if self.timing is None or self.target is None:
            return verdict([])
        return verdict([(self.target, self.timing.value(self.target.metric))])

    def markdown(self) -> str:
        name = f"{self.name} ({self.note})" if self.note else self.name
        if self.error or self.timing is None:
            cells = [name, "", "", "", "", "", self.target.label() if self.target else "", self.result]
            if self.error:
                cells[1] = f"error: {self.error}"
        else:
            timing = self.timing
            cells = [
                name,
                str(len(timing.samples_ms)),
                format_number(timing.p50),
                format_number(timing.p95),
                format_number(timing.max),
                timing.query_counts,
                self.target.label() if self.target else "",
                self.result,
            ]
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


@dataclass
class FilingResult:
    """What wrk measured against gunicorn: throughput, latency and every non-201 answer."""

    seconds: int
    connections: int
    threads: int
    requests: int = 0
    requests_per_second: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    non_201: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    socket_errors: int = 0
    sample_error: str = ""
    error: str = ""

    targets = (Target("requests/s", ">=", 300, ""), Target("p99", "<", 250), Target("errors", "<=", 0, ""))

    def checks(self) -> list[tuple[Target, float]]:
        return list(
            zip(
                self.targets,
                (self.requests_per_second, self.p99_ms or float("inf"), self.non_201 + self.socket_errors),
                strict=True,
            )
        )

    @property
    def result(self) -> str:
        return "ERROR" if self.error else verdict(self.checks())

    def markdown(self) -> str:
        head = (
            "| Filing (POST /api/v1/complaints/) | Requests | req/s | p50 ms | p99 ms | max ms | Non-201 | "
            "Socket errors | Target | Result |\n|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n"
        )
        if self.error:
            return head + f"| wrk {self.seconds} s | error: {self.error} | | | | | | | | ERROR |\n"
        statuses = ", ".join(f"{code}×{count}" for code, count in sorted(self.statuses.items()))
        cells = [
            f"wrk {self.seconds} s, {self.threads} threads, {self.connections} connections",
            str(self.requests),
            format_number(self.requests_per_second),
            format_number(self.p50_ms),
            format_number(self.p99_ms),
            format_number(self.max_ms),
            f"{self.non_201} ({statuses})" if statuses else str(self.non_201),
            str(self.socket_errors),
            "; ".join(target.label() for target in self.targets),
            self.result,
        ]
        line = head + "| " + " | ".join(cells) + " |\n"
        if self.sample_error:
            line += f"\nFirst non-201 answer: `{self.sample_error[:200]}`\n"
        return line


@dataclass
class Run:
    started_at: datetime
    command: str
    database: str
    machine: dict[str, str]
    data: dict[str, int]
    rows: list[Row] = field(default_factory=list)
    filing: FilingResult | None = None
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        counts = ", ".join(f"{format_number(value)} {name}" for name, value in self.data.items())
        machine = ", ".join(f"{name} {value}" for name, value in self.machine.items())
        lines = [
            f"### Run of {self.started_at:%Y-%m-%d %H:%M %Z} — database `{self.database}`",
            "",
            f"- Command: `{self.command}`",
            f"- Machine: {machine}",
            f"- Data: {counts}",
            *(f"- {note}" for note in self.notes),
            "",
            TABLE_HEADER + "\n".join(row.markdown() for row in self.rows),
            "",
        ]
        if self.filing is not None:
            lines += [self.filing.markdown()]
        misses = [row.name for row in self.rows if row.result in ("MISS", "ERROR")]
        if self.filing is not None and self.filing.result in ("MISS", "ERROR"):
            misses.append("filing")
        lines.append(f"Misses: {', '.join(misses)}." if misses else "Every target met.")
        return "\n".join(lines) + "\n"


def append_run(path: Path, run: Run) -> None:
    """Append ``run`` as a new section; create the file (with its header) the first time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exists = path.exists() and path.stat().st_size > 0
    with path.open("a", encoding="utf-8") as handle:
        if not exists:
            handle.write(FILE_HEADER + "\n## Runs\n\n")
        handle.write("\n" + run.markdown())


def machine_info(postgres_version: str) -> dict[str, str]:
    return {
        "nproc": str(os.cpu_count() or "?"),
        "RAM": _memory(),
        "CPU": _cpu_model(),
        "PostgreSQL": postgres_version,
        "Python": platform.python_version(),
        "commit": _commit(),
    }


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _commit() -> str:
    """The checked-out commit (read only), with "+changes" when the working tree differs from it."""
    git = shutil.which("git")
    if git is None:
        return "?"
    try:
        head = subprocess.run(  # noqa: S603 - fixed arguments
            [git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, timeout=5
        ).stdout.strip()
        # --no-optional-locks: only read, never refresh the index while others work in the tree.
        changed = subprocess.run(  # noqa: S603 - fixed arguments
            [git, "--no-optional-locks", "diff", "--quiet", "HEAD", "--"], capture_output=True, timeout=10
        ).returncode
    except (OSError, subprocess.SubprocessError):
        return "?"
    return f"{head}+changes" if changed else head
