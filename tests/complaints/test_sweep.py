"""The deadline sweep: reminders once, overdue marking, automatic escalation and acceptance, idempotence,
constant query count, two sweeps at once on PostgreSQL, and the ``sweep_deadlines`` command."""

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from complaints import services
from complaints.events import verify_chain
from complaints.models import ClockKind, Event, EventKind, Status
from complaints.sweep import deadlines_sweep
from portal.models import OutboxMessage
from tests.factories import PlatformFactory, StaffFactory, file_complaint

pytestmark = pytest.mark.dated

MINUTE = timedelta(minutes=1)


def due_at(complaint, kind: str):
    return complaint.deadlines.get(kind=kind).due_at


def events_of(complaint, kind: str) -> list[Event]:
    return list(complaint.events.filter(kind=kind))


@pytest.mark.django_db
def test_a_reminder_is_sent_once_per_clock(django_capture_on_commit_callbacks):
    complaint = file_complaint()
    before_due = due_at(complaint, ClockKind.FIRST_RESPONSE) - timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        first = deadlines_sweep(now=before_due)
    with django_capture_on_commit_callbacks(execute=True):
        second = deadlines_sweep(now=before_due + MINUTE)
    assert (first.reminded, second.reminded) == (1, 0)
    assert [e.data["clock"] for e in events_of(complaint, EventKind.DEADLINE_REMINDED)] == ["first_response"]
    assert OutboxMessage.objects.filter(template="deadline_reminder").count() == 1
    assert len(mail.outbox) == 1 and "first_response" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_missed_first_response_marks_the_complaint_overdue_without_escalating():
    complaint = file_complaint()
    deadlines_sweep(now=due_at(complaint, ClockKind.FIRST_RESPONSE) + MINUTE)
    complaint.refresh_from_db()
    assert complaint.is_overdue and complaint.status == Status.AWAITING_PLATFORM
    assert [e.data["clock"] for e in events_of(complaint, EventKind.DEADLINE_BREACHED)] == ["first_response"]
    assert complaint.deadlines.get(kind=ClockKind.FIRST_RESPONSE).breached_at is not None
    assert OutboxMessage.objects.filter(template="deadline_overdue", complaint_id=complaint.pk).count() == 1


@pytest.mark.django_db
def test_a_missed_resolution_deadline_escalates_to_the_regulator(regulator):
    complaint = file_complaint()
    result = deadlines_sweep(now=due_at(complaint, ClockKind.RESOLUTION) + MINUTE)
    complaint.refresh_from_db()
    assert result.escalated == 1 and complaint.status == Status.ESCALATED
    assert events_of(complaint, EventKind.ESCALATED)[0].data["automatic"] is True
    assert complaint.deadlines.filter(kind=ClockKind.REGULATOR_ACCEPTANCE, met_at__isnull=True).exists()
    assert regulator.email in OutboxMessage.objects.get(template="complaint_escalated").recipients
    assert verify_chain(complaint) is None


@pytest.mark.django_db
def test_seven_days_of_consumer_silence_accept_the_answer():
    complaint = file_complaint()
    services.complaint_respond(
        complaint_id=complaint.pk,
        by=StaffFactory(platform=complaint.platform),
        outcome="refunded",
        message="已退款",
        refund_amount=Decimal("1"),
        refund_reference="RF1",
    )
    reply_due = due_at(complaint, ClockKind.CONSUMER_REPLY)
    deadlines_sweep(now=reply_due - MINUTE)
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CONSUMER
    deadlines_sweep(now=reply_due + MINUTE)
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED and complaint.accepted_automatically
    assert reply_due - complaint.final_answered_at == timedelta(days=7)


@pytest.mark.django_db
def test_the_sweep_is_idempotent():
    complaint = file_complaint()
    later = timezone.now() + timedelta(days=30)
    deadlines_sweep(now=later)
    events_after_first = complaint.events.count()
    outbox_after_first = OutboxMessage.objects.count()
    second = deadlines_sweep(now=later)
    assert second.as_dict() == {"reminded": 0, "breached": 0, "escalated": 0, "auto_accepted": 0}
    assert complaint.events.count() == events_after_first
    assert OutboxMessage.objects.count() == outbox_after_first


@pytest.fixture
def sqlite_real_parameter_limit(monkeypatch):
    """Django 5.2 assumes SQLite's pre-3.32 cap of 999 bound parameters and splits a bulk INSERT of 40
    complaints' events in two; SQLite 3.32+ allows 32766 (what Django 6 reads). Use the real cap so the count
    measures the sweep, not that assumption. PostgreSQL is unaffected."""
    if connection.vendor == "sqlite":
        monkeypatch.setattr(connection.features, "max_query_params", 32766)


@pytest.mark.django_db
def test_query_count_is_the_same_for_5_and_40_complaints(django_assert_max_num_queries, sqlite_real_parameter_limit):
    platform = PlatformFactory()
    later = timezone.now() + timedelta(days=30)
    for _ in range(5):
        file_complaint(platform=platform)
    with django_assert_max_num_queries(30) as five:
        assert deadlines_sweep(now=later).escalated == 5
    for _ in range(40):
        file_complaint(platform=platform)
    with django_assert_max_num_queries(30) as forty:
        assert deadlines_sweep(now=later).escalated == 40
    assert len(forty.captured_queries) == len(five.captured_queries)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_handle_each_breach_exactly_once():
    platform = PlatformFactory()
    complaints = [file_complaint(platform=platform) for _ in range(12)]
    later = timezone.now() + timedelta(days=30)
    start = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            start.wait(timeout=10)
            results.append(deadlines_sweep(now=later))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.escalated for r in results) == len(complaints)
    for complaint in complaints:
        complaint.refresh_from_db()
        breaches = Counter(e.data["clock"] for e in events_of(complaint, EventKind.DEADLINE_BREACHED))
        assert "resolution" in breaches and set(breaches.values()) == {1}
        assert len(events_of(complaint, EventKind.ESCALATED)) == 1
        assert verify_chain(complaint) is None


@pytest.mark.django_db
def test_sweep_deadlines_command_sweeps_at_the_given_time():
    complaint = file_complaint()
    moment = timezone.localtime(due_at(complaint, ClockKind.RESOLUTION) + MINUTE)
    out = StringIO()
    call_command("sweep_deadlines", "--now", moment.isoformat(), stdout=out)
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED
    assert "escalated: 1" in out.getvalue() and "breached: 2" in out.getvalue()


@pytest.mark.django_db
def test_sweep_deadlines_command_reads_a_time_without_offset_in_shanghai_time():
    complaint = file_complaint()
    moment = timezone.localtime(due_at(complaint, ClockKind.FIRST_RESPONSE) + MINUTE).replace(tzinfo=None)
    out = StringIO()
    call_command("sweep_deadlines", f"--now={moment.isoformat()}", stdout=out)
    assert "breached: 1" in out.getvalue()


def test_sweep_deadlines_command_refuses_a_bad_time():
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("sweep_deadlines", "--now", "next tuesday")


def _clock_state(complaint, kind: str) -> str:
    return complaint.deadlines.get(kind=kind).state


@pytest.mark.django_db
def test_an_automatic_escalation_leaves_what_a_consumers_escalation_leaves(regulator):
    # The sweep escalates set-wise, services.escalate one complaint at a time: both must end in the same place.
    by_sweep, by_consumer = file_complaint(), file_complaint()
    deadlines_sweep(now=due_at(by_consumer, ClockKind.FIRST_RESPONSE) + MINUTE)
    services.complaint_escalate(complaint_id=by_consumer.pk, by=by_consumer.consumer, reason="一直没有回复")
    deadlines_sweep(now=due_at(by_sweep, ClockKind.RESOLUTION) + MINUTE)

    for complaint in (by_sweep, by_consumer):
        complaint.refresh_from_db()
        assert complaint.status == Status.ESCALATED and complaint.escalated_at is not None
        assert _clock_state(complaint, ClockKind.HARD_LIMIT) == "met"
        assert _clock_state(complaint, ClockKind.REGULATOR_ACCEPTANCE) == "running"
        assert complaint.platform_due_at is None
        (escalated,) = events_of(complaint, EventKind.ESCALATED)
        assert escalated.data["reason"]
        email = OutboxMessage.objects.get(template="complaint_escalated", complaint_id=complaint.pk)
        assert regulator.email in email.recipients and email.context["reason"] == escalated.data["reason"]
        assert email.context["reference"] == complaint.reference
        assert verify_chain(complaint) is None


@pytest.mark.django_db
def test_an_automatic_acceptance_leaves_what_a_consumers_acceptance_leaves():
    automatic, accepted = file_complaint(), file_complaint()
    for complaint in (automatic, accepted):
        services.complaint_respond(
            complaint_id=complaint.pk,
            by=StaffFactory(platform=complaint.platform),
            outcome="refunded",
            message="已退款",
            refund_amount=Decimal("1"),
            refund_reference="RF1",
        )
    services.complaint_accept(complaint_id=accepted.pk, by=accepted.consumer, rating=4)
    deadlines_sweep(now=due_at(automatic, ClockKind.CONSUMER_REPLY) + MINUTE)

    for complaint in (automatic, accepted):
        complaint.refresh_from_db()
        assert complaint.status == Status.RESOLVED and complaint.closed_at is not None
        assert _clock_state(complaint, ClockKind.HARD_LIMIT) == "met"
        assert complaint.deadlines.get(kind=ClockKind.CONSUMER_REPLY).met_at is not None
        assert not complaint.deadlines.running().exists() and complaint.platform_due_at is None
        assert [event.data["automatic"] for event in events_of(complaint, EventKind.ACCEPTED)] == [
            complaint == automatic
        ]
        assert verify_chain(complaint) is None
