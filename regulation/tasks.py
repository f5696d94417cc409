"""Celery tasks of the regulation app: thin wrappers around the code that does the work."""

import logging

from celery import shared_task

from portal.celery import time_limits

from .desk import material_requests_propose_refusals
from .follow_up import follow_ups_draw
from .notices import notices_issue_pending
from .open_data import open_data_export
from .rollup import refresh_statistics
from .vanishing import vanishing_alerts_refresh

logger = logging.getLogger(__name__)


@shared_task(**time_limits("refresh_daily_stats"))
def refresh_daily_stats_task() -> int:
    """Beat runs it every 10 minutes (settings.CELERY_BEAT_SCHEDULE): the rollup lags by at most that.

    A refresh stopped by its time limit is rolled back whole; the next one recomputes the same days.
    """
    rows = refresh_statistics()
    logger.info("daily statistics refreshed: %s rows", rows)
    return rows


@shared_task(**time_limits("draw_follow_ups"))
def draw_follow_ups_task() -> dict:
    """Beat runs it on Mondays (settings.CELERY_BEAT_SCHEDULE): last week's follow-up sample (Order 121 Art. 26).

    Running it again draws nothing new (``follow_ups_draw`` is idempotent per week).
    """
    result = follow_ups_draw()
    logger.info("follow-ups of %s: %s of %s closed complaints", result.week, result.requested, result.closed)
    return {"week": result.week, "closed": result.closed, "requested": result.requested}
@shared_task(**time_limits("render_notice"))
def issue_pending_notices_task() -> int:
    """Beat, every minute: render and store the notices decided since (a download issues one at once)."""
    return notices_issue_pending()


@shared_task
def propose_refusals_task() -> int:
    """Beat: turn lapsed requests for identity proof or material into refusal proposals."""
    return material_requests_propose_refusals()


@shared_task(**time_limits("vanishing_alerts_refresh"))
def vanishing_alerts_refresh_task() -> dict:
    """Beat, hourly (settings.CELERY_BEAT_SCHEDULE): open or refresh the unreachable-platform alerts.

    Idempotent: a second run at the same moment changes nothing but the refresh time.
    """
    result = vanishing_alerts_refresh()
    logger.info("vanishing alerts: %s opened, %s refreshed", result.opened, result.refreshed)
    return {"opened": result.opened, "refreshed": result.refreshed, "alerting": result.alerting}


@shared_task(**time_limits("export_open_data"))
def export_open_data_task() -> dict:
    """Beat, daily (settings.CELERY_BEAT_SCHEDULE): the day's open-data files; a second run keeps the first."""
    release = open_data_export()
    return {"day": release.day.isoformat(), "records": release.records}
