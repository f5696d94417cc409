"""The daily per-platform and per-office rollup the statistics read their sums from once it has been refreshed.

A complaint's figures change after it is filed (answers, sweeps, findings, ratings), so the rollup is not
updated incrementally: every refresh recomputes the rows of the last ``days`` filing dates from the complaints
and their clocks, with the very aggregates the direct statistics use, so both give the same numbers. Celery
beat runs it every 10 minutes; between two runs the rollup lags the complaints by at most that, today's
filing day included (its row holds the complaints filed up to the refresh), and the figures carry the time of
the refresh they were read from. Each refresh records itself in the ``DailyStatsRefresh`` row: from the first
one on, the statistics read the rollup.
"""

from datetime import datetime, timedelta
from time import time_ns

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from complaints.models import Deadline
from complaints.selectors import unscoped_complaints_for_system

from .models import DailyStatsRefresh, PlatformDailyStats
from .statistics import (
    CLOCK_AGGREGATES,
    COMPLAINT_AGGREGATES,
    MAX_WINDOW_DAYS,
    RATED_CLOCKS,
    ROLLUP_FIELDS,
    SHANGHAI,
    RollupState,
    StatsWindow,
    publish_rollup_state,
    warm_rollup_figures,
)


def _complaint_days(window: StatsWindow) -> QuerySet:
    """COMPLAINT_AGGREGATES per (platform, handling office, filing date) of every complaint filed since the window
    began."""
    # The whole market, unregistered platforms included: the system selector is the deliberate bypass.
    return (
        unscoped_complaints_for_system()
        .filter(created_at__gte=window.since)
        .annotate(day=TruncDate("created_at", tzinfo=SHANGHAI))
        .values("platform_id", "office_id", "day")
        .annotate(**COMPLAINT_AGGREGATES)
        .order_by()
    )


def _clock_days(window: StatsWindow) -> QuerySet:
    """CLOCK_AGGREGATES per (platform, office, filing date of the complaint); started_at >= since only narrows the
    scan."""
    return (
        Deadline.objects.filter(
            kind__in=RATED_CLOCKS, started_at__gte=window.since, complaint__created_at__gte=window.since
        )
        .annotate(
            platform_key=F("complaint__platform_id"),
            office_key=F("complaint__office_id"),
            day=TruncDate("complaint__created_at", tzinfo=SHANGHAI),
        )
        .values("platform_key", "office_key", "day")
        .annotate(**CLOCK_AGGREGATES)
        .order_by()
    )


def _refresh_postgresql(window: StatsWindow) -> int:
    """One statement: the fresh sums, upserted (unchanged rows left alone), and the days gone deleted."""
    table = connection.ops.quote_name(PlatformDailyStats._meta.db_table)
    complaint_sql, complaint_params = _complaint_days(window).query.sql_with_params()
    clock_sql, clock_params = _clock_days(window).query.sql_with_params()
    columns = ", ".join(ROLLUP_FIELDS)
    selected = ", ".join(
        [f"c.{name}" for name in COMPLAINT_AGGREGATES] + [f"COALESCE(k.{name}, 0)" for name in CLOCK_AGGREGATES]
    )
    excluded = ", ".join(f"EXCLUDED.{name}" for name in ROLLUP_FIELDS)
    current = ", ".join(f"{table}.{name}" for name in ROLLUP_FIELDS)
    sql = f"""
        WITH source AS (
            SELECT c.platform_id, c.office_id, c.day, {selected}
            FROM ({complaint_sql}) c
            LEFT JOIN ({clock_sql}) k ON COALESCE(k.platform_key, 0) = COALESCE(c.platform_id, 0)
                AND COALESCE(k.office_key, 0) = COALESCE(c.office_id, 0) AND k.day = c.day
        ),
        upserted AS (
            INSERT INTO {table} (platform_id, office_id, day, {columns})
            SELECT * FROM source
            ON CONFLICT ((COALESCE(platform_id, 0)), (COALESCE(office_id, 0)), day)
            DO UPDATE SET ({columns}) = ({excluded}) WHERE ({current}) IS DISTINCT FROM ({excluded})
        )
        DELETE FROM {table} AS stale
        WHERE stale.day >= %s AND NOT EXISTS (
            SELECT 1 FROM source
            WHERE COALESCE(source.platform_id, 0) = COALESCE(stale.platform_id, 0)
                AND COALESCE(source.office_id, 0) = COALESCE(stale.office_id, 0) AND source.day = stale.day
        )
    """  # noqa: S608 - only the model's table, its column names and SQL compiled by the ORM are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, (*complaint_params, *clock_params, window.first_day))
    return PlatformDailyStats.objects.filter(day__gte=window.first_day).count()


def _refresh_portable(window: StatsWindow) -> int:
    """Other databases (SQLite on laptops and in tests): delete the window's rows, insert them afresh."""
    rows = {(row.pop("platform_id"), row.pop("office_id"), row.pop("day")): row for row in _complaint_days(window)}
    for clocks in _clock_days(window):
        rows[(clocks.pop("platform_key"), clocks.pop("office_key"), clocks.pop("day"))].update(clocks)
    with transaction.atomic():
        PlatformDailyStats.objects.filter(day__gte=window.first_day).delete()
        PlatformDailyStats.objects.bulk_create(
            [
                PlatformDailyStats(platform_id=platform_id, office_id=office_id, day=day, **sums)
                for (platform_id, office_id, day), sums in rows.items()
            ],
            batch_size=500,
        )
    return len(rows)


def refresh_daily_stats(*, days: int | None = None, now: datetime | None = None) -> int:
    """Recompute the rollup rows of the last ``days`` filing dates up to today; returns how many there are.

    The default covers the longest window the statistics accept, so every window reads fresh rows.
    """
    window = StatsWindow(days=days or MAX_WINDOW_DAYS, now=now or timezone.now())
    refreshed = _refresh_postgresql(window) if connection.vendor == "postgresql" else _refresh_portable(window)
    # Published at once rather than on commit: the task and the command run in autocommit, so the row is
    # committed by now; inside a caller's transaction that then rolls back, readers would find the previous
    # row within a minute (ROLLUP_STATE_SECONDS).
    publish_rollup_state(_record_refresh(window))
    return refreshed


def _record_refresh(window: StatsWindow) -> RollupState:
    """Write the refresh's row: its time, and the first filing day the rollup now holds without a gap.

    Rows of days before this refresh's window stay as an earlier refresh left them, so they still count when
    that refresh reached up to this window; otherwise (the first refresh, or a short one after a long pause)
    the rollup holds only this window, and longer windows are counted directly until a refresh covers them.
    """
    with transaction.atomic():
        previous = DailyStatsRefresh.objects.select_for_update().filter(pk=DailyStatsRefresh.SINGLETON_PK).first()
        covers_from = window.first_day
        if previous is not None:
            previous_last_day = timezone.localtime(previous.refreshed_at, SHANGHAI).date()
            if window.first_day <= previous_last_day + timedelta(days=1):
                covers_from = min(previous.covers_from, window.first_day)
        state = RollupState(refreshed_at=window.now, covers_from=covers_from, generation=time_ns())
        DailyStatsRefresh.objects.update_or_create(
            pk=DailyStatsRefresh.SINGLETON_PK,
            defaults={
                "refreshed_at": state.refreshed_at,
                "covers_from": state.covers_from,
                "generation": state.generation,
            },
        )
    return state


def refresh_statistics() -> int:
    """What the beat runs: the rollup, then the figures people open, read from it once for all of them."""
    rows = refresh_daily_stats()
    warm_rollup_figures()
    return rows
