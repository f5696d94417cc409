"""One benchmark run: check the database, pick the actors, time every scenario, write the report."""

import argparse
import gc
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from complaints.models import Complaint, Deadline, Event
from platforms.models import Platform
from portal.models import User
from portal.pdf import fast_font_subsetting
from regulation.statistics import rollup_state, warm_rollup_figures

from . import counter, export, filing, pdf, scenarios, schema, sweep, vanishing
from .actors import Actors, pick_actors
from .measure import Timing, format_number
from .report import Row, Run, append_run, machine_info

SHANGHAI = ZoneInfo("Asia/Shanghai")


def say(message: str = "") -> None:
    print(message, flush=True)


def unapplied_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def data_size() -> dict[str, int]:
    return {
        "complaints": Complaint.objects.count(),
        "platforms": Platform.objects.count(),
        "events": Event.objects.count(),
        "clocks": Deadline.objects.count(),
        "open clocks": Deadline.objects.running().count(),
        "users": User.objects.count(),
    }


def postgres_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def all_visible() -> dict[str, float]:
    """Share of each big table's pages marked all-visible: index-only scans skip the table only on those."""
    tables = [Complaint._meta.db_table, Deadline._meta.db_table, Event._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relallvisible::float / GREATEST(relpages, 1) AS share "
            "FROM pg_class WHERE relname = ANY(%s)",
            [tables],
        )
        return dict(cursor.fetchall())


def run_benchmark(args: argparse.Namespace, *, command: str) -> int:
    pending = unapplied_migrations()
    if pending:
        say(f"Unapplied migrations: {', '.join(pending)}. Run `manage.py migrate` on this database first.")
        return 2
    run = start_run(command, missing=check_schema(repair=args.repair_schema))
    actors = pick_actors()
    note_actors(run, actors, args)
    note_rollup(run)
    # What portal/wsgi.py does once the application is loaded, so requests here meet the collector as served ones.
    gc.freeze()

    def selected(name: str) -> bool:
        return not args.only or any(word.lower() in name.lower() for word in args.only)

    time_scenarios(run, actors, args, selected)
    if not args.no_pdf:
        time_pdfs(run, actors, args, selected)
    if not args.no_sweep and selected("deadline sweep"):
        time_sweep(run, args)
    if not args.no_vanishing and selected("vanishing"):
        time_vanishing(run, args)
    if not args.no_export and selected("open-data export"):
        time_export(run, args)
    if not args.no_filing and selected("filing"):
        time_filing(run, actors, args)
    for note in args.note:
        run.notes.append(note)
    if not args.dry_run:
        append_run(args.output, run)
        say(f"Appended to {args.output}")
    else:
        say(run.markdown())
    return 0


def check_schema(*, repair: bool) -> list[tuple[type, object]]:
    """The indexes and constraints the migrations declare but the database lacks (created first if ``repair``)."""
    missing = schema.missing_schema_objects()
    if missing and repair:
        say(f"Creating missing indexes/constraints: {schema.describe(missing)}")
        schema.repair(missing)
        missing = []
    return missing


def start_run(command: str, *, missing: list[tuple[type, object]]) -> Run:
    """The run's header: machine, database, data sizes, and what may skew the figures."""
    started_at = datetime.now(SHANGHAI)
    database = settings.DATABASES["default"]["NAME"]
    say(f"Benchmark of {database}, {started_at:%Y-%m-%d %H:%M %Z}")
    run = Run(
        started_at=started_at,
        command=command,
        database=database,
        machine=machine_info(postgres_version()),
        data=data_size(),
    )
    if missing:
        run.notes.append(f"WARNING: missing indexes/constraints: {schema.describe(missing)}")
        say(run.notes[-1])
    visible = all_visible()
    run.notes.append(
        "All-visible pages (index-only scans): "
        + ", ".join(f"{table} {share:.0%}" for table, share in sorted(visible.items()))
        + (" — run VACUUM (ANALYZE) after loading data" if min(visible.values(), default=1) < 0.5 else "")
    )
    say(run.notes[-1])
    say("Data: " + ", ".join(f"{format_number(v)} {k}" for k, v in run.data.items()))
    return run


def note_actors(run: Run, actors: Actors, args: argparse.Namespace) -> None:
    run.notes.append(
        f"Actors: platform `{actors.platform.slug}` "
        f"({format_number(actors.platform_complaints)} complaints), "
        f"consumer #{actors.consumer.pk} ({actors.consumer_complaints} complaints), complaint "
        f"#{actors.detail_complaint.pk} ({actors.detail_complaint.event_count} events) for the detail pages."
    )
    run.notes.append(
        f"In-process django.test.Client, {args.warmup} warm-up + {args.requests} timed requests "
        "per scenario, DEBUG off, percentiles interpolated linearly."
    )
    say(run.notes[-2])


def note_rollup(run: Run) -> None:
    """Whether the statistics read the daily rollup (warmed as after a refresh) or count complaints directly."""
    rollup = rollup_state()
    if rollup is not None:
        warm_rollup_figures()
        run.notes.append(
            f"Statistics read the daily rollup (refreshed {timezone.localtime(rollup.refreshed_at):%Y-%m-%d %H:%M}); "
            "its figures were warmed first, as the beat's refresh task does after every refresh."
        )
    else:
        run.notes.append("Statistics count the complaints directly: the daily rollup has never been refreshed.")
    say(run.notes[-1])


def time_scenarios(run: Run, actors: Actors, args: argparse.Namespace, selected: Callable[[str], bool]) -> None:
    for scenario in scenarios.scenarios(actors):
        if not selected(scenario.name):
            continue
        client = scenarios.client_for(scenario.caller, actors)
        try:
            timing = scenarios.run(scenario, client, requests=args.requests, warmup=args.warmup)
            row = Row(scenario.name, timing, scenario.target, note=scenario.note)
        except scenarios.ScenarioFailed as failure:
            row = Row(scenario.name, None, scenario.target, note=scenario.note, error=str(failure))
        run.rows.append(row)
        say(row.markdown())


def time_pdfs(run: Run, actors: Actors, args: argparse.Namespace, selected: Callable[[str], bool]) -> None:
    pdf_rows = pdf.run(actors, selected=selected, requests=args.pdf_requests, warmup=args.pdf_warmup, say=say)
    if pdf_rows:
        run.rows += pdf_rows
        subsetting = "HarfBuzz" if fast_font_subsetting() else "fontTools (slow: libharfbuzz-subset0 missing)"
        run.notes.append(
            f"PDFs: {args.pdf_warmup} warm-up + {args.pdf_requests} timed renders per scenario; "
            f"WeasyPrint subsets fonts with {subsetting}."
        )


def time_sweep(run: Run, args: argparse.Namespace) -> None:
    timing, last = sweep.run(repeats=args.sweep_repeats)
    row = Row(
        "Deadline sweep, all open clocks",
        timing,
        sweep.SWEEP_TARGET,
        note=f"{last.passes} passes, {last.breached} missed, {last.reminded} reminders, "
        f"{last.escalated} escalated, {last.auto_accepted} auto-accepted; rolled back",
    )
    run.rows.append(row)
    say(row.markdown())


def time_vanishing(run: Run, args: argparse.Namespace) -> None:
    timing, last = vanishing.run(repeats=args.vanishing_repeats)
    row = Row(
        "Vanishing-platform detection, every platform",
        timing,
        vanishing.DETECTION_TARGET,
        note=f"{last.platforms} platforms, {last.alerting} alerting, {last.opened} open alerts "
        f"(signals of the injected surge: {', '.join(last.signals) or 'none'}); rolled back",
    )
    run.rows.append(row)
    say(row.markdown())


def time_export(run: Run, args: argparse.Namespace) -> None:
    """The open-data export at two sizes: the wall time, and the peak memory that should not grow with the rows."""
    for result in export.run(limit=args.export_limit, traced=args.export_tracemalloc):
        row = Row(
            f"Open-data export, {result.label} published rows",
            Timing(samples_ms=[result.milliseconds], queries=[result.queries]),
            None,
            note=result.note(),
        )
        run.rows.append(row)
        say(row.markdown())


def time_filing(run: Run, actors: Actors, args: argparse.Namespace) -> None:
    """The reference counter's lock time, then concurrent filings (deleted afterwards unless ``--keep-filed``)."""
    hold = counter.measure_hold(actors)
    run.notes.append(
        f"Reference counter: its row stays locked {format_number(hold['p50_ms'])} ms (p50), "
        f"{format_number(hold['p99_ms'])} ms (p99), {format_number(hold['max_ms'])} ms (max) per filing, from "
        f"the upsert that takes the number to the commit ({hold['filings']} filings in-process, deleted "
        f"afterwards): one counter serialises at most about {format_number(hold['ceiling_per_second'])} "
        "filings/s."
    )
    say(run.notes[-1])
    try:
        run.filing = filing.run(
            actors,
            seconds=args.filing_seconds,
            threads=args.filing_threads,
            connections=args.filing_connections,
        )
    except filing.FilingUnavailable as problem:
        run.filing = filing.FilingResult(
            seconds=args.filing_seconds,
            connections=args.filing_connections,
            threads=args.filing_threads,
            error=str(problem),
        )
    finally:
        if not args.keep_filed:
            deleted = filing.delete_filed(actors.filer.pk)
            run.notes.append(f"Filing: the {deleted} complaints filed were deleted afterwards.")
    say(run.filing.markdown())
