"""Escalation and acceptance, described once for the services and the sweep: the guards, the event data (codes,
put into words by the page, the dossier and the e-mail) and what is shown of events recorded in the older shape,
whose ``reason`` was an English sentence."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from complaints import services, transitions
from complaints.dossier import dossier_context
from complaints.events import record_event, verify_chain
from complaints.models import ClockKind, Complaint, EventKind, Status, WebhookDelivery
from complaints.notifications import complaint_context
from complaints.sweep import deadlines_sweep
from complaints.transitions import Trigger
from platforms import services as platform_services
from portal.models import OutboxMessage
from portal.outbox import send_outbox_message
from tests.complaints.test_api_consumer import answer_with_refund
from tests.factories import file_complaint
from tests.fixtures_roles import client_for

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def english(settings):
    """E-mails are built in LANGUAGE_CODE and pages read in the active language: assert the English texts."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def due_at(complaint, kind: str):
    return complaint.deadlines.get(kind=kind).due_at


def escalated_by_the_sweep(**overrides) -> Complaint:
    complaint = file_complaint(**overrides)
    deadlines_sweep(now=due_at(complaint, ClockKind.RESOLUTION) + MINUTE)
    complaint.refresh_from_db()
    return complaint


def escalated_in_the_old_shape() -> Complaint:
    """A complaint the sweep escalated before events recorded their clock: the clock only named in a sentence."""
    complaint = file_complaint()
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        complaint.status = Status.ESCALATED
        complaint.save(update_fields=["status"])
        record_event(
            complaint, kind=EventKind.ESCALATED, data={"reason": "resolution deadline missed", "automatic": True}
        )
    return complaint


def last_escalation(complaint):
    return complaint.events.get(kind=EventKind.ESCALATED)


# --- guards ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "clock", "escalates"),
    [
        (Status.AWAITING_PLATFORM, ClockKind.RESOLUTION, True),
        (Status.AWAITING_PLATFORM, ClockKind.HARD_LIMIT, True),
        (Status.DISPUTED, ClockKind.HARD_LIMIT, True),
        (Status.DISPUTED, ClockKind.RESOLUTION, False),
        (Status.AWAITING_PLATFORM, ClockKind.FIRST_RESPONSE, False),
        (Status.INFO_REQUESTED, ClockKind.HARD_LIMIT, False),
        (Status.AWAITING_CONSUMER, ClockKind.CONSUMER_REPLY, False),
    ],
)
def test_a_missed_clock_escalates_only_from_the_statuses_it_guards(status, clock, escalates):
    complaint = Complaint(reference="TS-2026-000001", status=status)
    refusal = transitions.escalation_refusal(complaint, trigger=Trigger.DEADLINE, clock=clock)
    assert (refusal is None) is escalates


@pytest.mark.parametrize(
    ("status", "clock", "accepts"),
    [
        (Status.AWAITING_CONSUMER, ClockKind.CONSUMER_REPLY, True),
        (Status.AWAITING_CONSUMER, ClockKind.HARD_LIMIT, False),
        (Status.DISPUTED, ClockKind.CONSUMER_REPLY, False),
    ],
)
def test_only_the_consumers_reply_clock_accepts_an_answer_on_its_own(status, clock, accepts):
    complaint = Complaint(reference="TS-2026-000001", status=status)
    refusal = transitions.acceptance_refusal(complaint, trigger=Trigger.DEADLINE, clock=clock)
    assert (refusal is None) is accepts


# --- event data ----------------------------------------------------------------------------------------------


def test_an_automatic_escalation_records_its_trigger_and_clock_as_codes():
    complaint = escalated_by_the_sweep()
    assert last_escalation(complaint).data == {
        "trigger": "deadline",
        "clock": "resolution",
        "automatic": True,
        "reason": transitions.DEADLINE_MISSED,
    }


def test_a_consumers_escalation_records_the_consumer_and_their_words():
    complaint = file_complaint()
    deadlines_sweep(now=due_at(complaint, ClockKind.FIRST_RESPONSE) + MINUTE)
    services.complaint_escalate(complaint_id=complaint.pk, by=complaint.consumer, reason="一直没有回复")
    assert last_escalation(complaint).data == {"trigger": "consumer", "automatic": False, "reason": "一直没有回复"}


def test_an_automatic_acceptance_records_the_clock_that_ran_out():
    complaint = file_complaint()
    answer_with_refund(complaint)
    deadlines_sweep(now=due_at(complaint, ClockKind.CONSUMER_REPLY) + MINUTE)
    accepted = complaint.events.get(kind=EventKind.ACCEPTED)
    assert accepted.data == {"trigger": "deadline", "clock": "consumer_reply", "automatic": True}
    assert verify_chain(Complaint.objects.get(pk=complaint.pk)) is None


# --- notifications ---------------------------------------------------------------------------------------------


def test_the_automatic_escalation_email_names_the_missed_clock(regulator, django_capture_on_commit_callbacks):
    complaint = file_complaint()
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep(now=due_at(complaint, ClockKind.RESOLUTION) + MINUTE)
    (email,) = [message for message in mail.outbox if "escalated to the regulator" in message.body]
    assert "escalated to the regulator: its resolution deadline was missed." in email.body


def test_an_escalation_email_queued_in_the_old_shape_still_gives_its_reason():
    complaint = file_complaint()
    queued = OutboxMessage.objects.create(
        template="complaint_escalated",
        recipients=["regulator@example.cn"],
        context={**complaint_context(complaint), "clock": "resolution", "reason": "resolution deadline missed"},
        complaint_id=complaint.pk,
        language="en",
    )
    send_outbox_message(queued.pk)
    assert "escalated to the regulator: resolution deadline missed." in mail.outbox[0].body


def test_the_automatic_escalation_webhook_carries_the_trigger_and_clock(manager, platform, settings):
    settings.DEBUG = True  # lets the webhook point at a local address
    platform_services.webhook_register(by=manager, url="http://127.0.0.1:9/hook", events=["complaint.escalated"])
    escalated_by_the_sweep(platform=platform)
    payload = WebhookDelivery.objects.get(event="complaint.escalated").payload
    assert (payload["trigger"], payload["clock"]) == ("deadline", "resolution")


# --- the page, the dossier and the API, for both shapes of event -----------------------------------------------


def timeline_of(complaint) -> str:
    client = Client()
    client.force_login(complaint.consumer)
    return client.get(reverse("complaints:complaint-detail", args=[complaint.pk])).content.decode()


def test_the_timeline_names_the_clock_whose_miss_escalated_the_complaint():
    complaint = escalated_by_the_sweep()
    assert "Escalated automatically: the “Resolution” deadline was missed." in timeline_of(complaint)


def test_the_timeline_explains_an_escalation_recorded_as_a_sentence():
    complaint = escalated_in_the_old_shape()
    page = timeline_of(complaint)
    assert "Escalated automatically after a missed deadline." in page
    assert "resolution deadline missed" not in page


def test_the_dossier_shows_the_clock_of_an_escalation_by_name():
    complaint = escalated_by_the_sweep()
    with translation.override("zh-hans"):
        context = dossier_context(complaint)
    (escalated,) = [item for item in context["events"] if item["event"].kind == EventKind.ESCALATED]
    assert ("clock", "解决（resolution）") in escalated["data"]


def test_the_dossier_shows_an_escalation_recorded_as_a_sentence_as_recorded():
    complaint = escalated_in_the_old_shape()
    with translation.override("zh-hans"):
        html = render_to_string("pdf/dossier.html", dossier_context(complaint))
    assert "automatic: True；reason: resolution deadline missed" in html


def test_the_events_api_returns_an_escalation_recorded_as_a_sentence_as_stored():
    complaint = escalated_in_the_old_shape()
    response = client_for(complaint.consumer).get(reverse("complaints_api:complaint-events", args=[complaint.pk]))
    assert response.json()[-1]["data"] == {"reason": "resolution deadline missed", "automatic": True}
