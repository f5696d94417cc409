"""Every Celery task of the project has a soft and a hard time limit; a sweep stopped by one changes nothing."""

from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from complaints.models import ClockKind, Deadline, EventKind
from complaints.tasks import sweep_deadlines_task
from portal.celery import app
from tests.factories import file_complaint

PROJECT_MODULES = ("portal.", "platforms.", "complaints.", "regulation.")


def project_tasks() -> dict:
    app.loader.import_default_modules()  # what a worker does at start: autodiscovers every app's tasks.py
    return {name: task for name, task in app.tasks.items() if name.startswith(PROJECT_MODULES)}


def effective_limits(task) -> tuple[float | None, float | None]:
    """(soft, hard) as a worker applies them: the task's own, else the app's defaults."""
    return (task.soft_time_limit or app.conf.task_soft_time_limit, task.time_limit or app.conf.task_time_limit)


def test_the_project_s_tasks_are_all_found():
    assert {
        "portal.tasks.deliver_outbox_task", "complaints.tasks.deliver_webhook_task",
        "complaints.tasks.flush_outbox_task", "complaints.tasks.render_dossier_task",
        "complaints.tasks.sweep_deadlines_task", "regulation.tasks.refresh_daily_stats_task",
        "portal.tasks.ping_db_task",
    } <= set(project_tasks())  # fmt: skip


@pytest.mark.parametrize("name", sorted(project_tasks()))
def test_every_task_has_a_soft_limit_below_its_hard_limit(name):
    soft, hard = effective_limits(project_tasks()[name])

    assert soft is not None and hard is not None, f"{name} has no time limit"
    assert 0 < soft < hard


def test_the_defaults_are_a_minute_soft_and_five_minutes_hard():
    assert (app.conf.task_soft_time_limit, app.conf.task_time_limit) == (60, 300)


@pytest.mark.parametrize(
    ("name", "limits"),
    [
        ("complaints.tasks.render_dossier_task", "render_dossier"),
        ("complaints.tasks.sweep_deadlines_task", "sweep_deadlines"),
        ("complaints.tasks.flush_outbox_task", "flush_outbox"),
        ("regulation.tasks.refresh_daily_stats_task", "refresh_daily_stats"),
        ("regulation.tasks.draw_follow_ups_task", "draw_follow_ups"),
    ],
)
def test_long_or_scheduled_tasks_have_limits_of_their_own(name, limits):
    assert effective_limits(project_tasks()[name]) == settings.PORTAL_TASK_TIME_LIMITS[limits]


def test_the_dossier_render_may_run_longer_than_the_default():
    soft, hard = effective_limits(project_tasks()["complaints.tasks.render_dossier_task"])

    assert soft > app.conf.task_soft_time_limit and hard > app.conf.task_time_limit


@pytest.mark.parametrize("name", ["sweep_deadlines", "flush_outbox", "refresh_daily_stats"])
def test_a_scheduled_task_s_hard_limit_ends_it_before_beat_queues_the_next(name):
    task = {"sweep_deadlines": "sweep-deadlines", "flush_outbox": "flush-outbox",
            "refresh_daily_stats": "refresh-daily-stats"}[name]  # fmt: skip
    interval = settings.CELERY_BEAT_SCHEDULE[task]["schedule"]

    assert settings.PORTAL_TASK_TIME_LIMITS[name][1] < interval.total_seconds()


# --- a sweep stopped by its soft limit changes nothing, and the next one does the work --------------------


@pytest.mark.django_db
def test_a_sweep_stopped_by_its_time_limit_is_rolled_back_and_the_next_sweep_does_the_work():
    complaint = file_complaint()
    Deadline.objects.filter(complaint=complaint, kind=ClockKind.FIRST_RESPONSE).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )

    with mock.patch("complaints.sweep.notifications.queue_many", side_effect=SoftTimeLimitExceeded()):
        stopped = sweep_deadlines_task.apply()
    assert stopped.failed()
    complaint.refresh_from_db()
    assert not complaint.is_overdue
    assert not complaint.events.filter(kind=EventKind.DEADLINE_BREACHED).exists()

    assert sweep_deadlines_task.apply().get()["breached"] == 1
    complaint.refresh_from_db()
    assert complaint.is_overdue
