"""Webhooks against a real local HTTP receiver: signature, retries with backoff, giving up, subscriptions."""

import hashlib
import hmac
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.urls import reverse
from django.utils import timezone, translation

from complaints import services as complaint_services
from complaints.delivery import WEBHOOK_MAX_ATTEMPTS, send_webhook, webhook_backoff
from complaints.models import ClockKind, Deadline, DeliveryStatus, ResponseOutcome, WebhookDelivery
from complaints.sweep import deadlines_sweep
from complaints.tasks import flush_outbox_task
from complaints.webhooks import webhook_send_test
from platforms import services
from platforms.models import WEBHOOK_TEST_EVENT
from tests.factories import file_complaint

pytestmark = pytest.mark.django_db


@dataclass
class Receiver:
    """A local HTTP server that records what it is sent and answers with ``status``."""

    url: str
    status: int = 200
    requests: list[dict] = field(default_factory=list)


@pytest.fixture
def receiver():
    def handler_for(state: Receiver):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                state.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(state.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        return Handler

    state = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/complaints"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(receiver, manager, settings):
    settings.DEBUG = True  # plain http to 127.0.0.1 is allowed for a local test server only
    return services.webhook_register(by=manager, url=receiver.url, events=["complaint.created", "complaint.escalated"])


def file_and_deliver(platform, capture):
    with capture(execute=True):
        return file_complaint(platform=platform)


def make_retry_due(delivery: WebhookDelivery) -> None:
    """Let the clock pass: the backoff has elapsed and the delivery is older than the flush's grace period."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1), created_at=timezone.now() - timedelta(hours=1)
    )


def test_complaint_created_arrives_signed_over_timestamp_and_body(
    receiver, endpoint, platform, django_capture_on_commit_callbacks
):
    complaint = file_and_deliver(platform, django_capture_on_commit_callbacks)
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    expected = hmac.new(
        endpoint.secret.encode(), f"{headers['X-Portal-Timestamp']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Portal-Signature"] == f"sha256={expected}"
    assert headers["X-Portal-Event"] == "complaint.created"
    assert abs(int(headers["X-Portal-Timestamp"]) - timezone.now().timestamp()) < 60
    assert json.loads(body)["complaint"]["reference"] == complaint.reference
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert delivery.last_status_code == 200


def test_a_500_leaves_the_delivery_pending_with_a_backoff(
    receiver, endpoint, platform, django_capture_on_commit_callbacks
):
    receiver.status = 500
    before = timezone.now()
    file_and_deliver(platform, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    assert before + webhook_backoff(1) <= delivery.next_attempt_at <= timezone.now() + webhook_backoff(1)
    assert len(receiver.requests) == 1


def test_a_retry_is_not_sent_before_its_backoff_has_passed(
    receiver, endpoint, platform, django_capture_on_commit_callbacks
):
    receiver.status = 500
    file_and_deliver(platform, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert send_webhook(delivery.pk) == "skipped"
    assert flush_outbox_task.delay().get()["webhooks"] == 0
    assert len(receiver.requests) == 1


def test_a_later_success_marks_the_delivery_delivered(receiver, endpoint, platform, django_capture_on_commit_callbacks):
    receiver.status = 503
    file_and_deliver(platform, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    receiver.status = 204
    make_retry_due(delivery)
    flush_outbox_task.delay()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert (delivery.last_status_code, delivery.last_error, delivery.next_attempt_at) == (204, "", None)
    assert delivery.delivered_at is not None


def test_backoff_doubles_and_the_delivery_fails_after_the_last_attempt(
    receiver, endpoint, platform, django_capture_on_commit_callbacks
):
    receiver.status = 500
    file_and_deliver(platform, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    delays = []
    while delivery.status == DeliveryStatus.PENDING:
        delays.append(delivery.next_attempt_at - timezone.now())
        make_retry_due(delivery)
        send_webhook(delivery.pk)
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, WEBHOOK_MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == WEBHOOK_MAX_ATTEMPTS
    assert all(round(later / earlier) == 2 for earlier, later in itertools.pairwise(delays))


def test_events_not_subscribed_are_not_sent(receiver, manager, platform, settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    services.webhook_register(by=manager, url=receiver.url, events=["complaint.disputed"])
    file_and_deliver(platform, django_capture_on_commit_callbacks)
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def test_a_deactivated_endpoint_gets_nothing(receiver, endpoint, manager, platform, django_capture_on_commit_callbacks):
    services.webhook_deactivate(by=manager, webhook_id=endpoint.pk)
    file_and_deliver(platform, django_capture_on_commit_callbacks)
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def test_deactivating_stops_pending_retries(receiver, endpoint, manager, platform, django_capture_on_commit_callbacks):
    receiver.status = 500
    file_and_deliver(platform, django_capture_on_commit_callbacks)
    services.webhook_deactivate(by=manager, webhook_id=endpoint.pk)
    make_retry_due(WebhookDelivery.objects.get())
    flush_outbox_task.delay()
    assert len(receiver.requests) == 1


def test_send_test_delivers_a_signed_ping(receiver, endpoint, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        webhook_send_test(by=manager, webhook_id=endpoint.pk)
    [request] = receiver.requests
    assert request["headers"]["X-Portal-Event"] == WEBHOOK_TEST_EVENT
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_the_delivery_log_shows_deliveries_to_the_manager_only(
    client, receiver, endpoint, manager, agent, platform, django_capture_on_commit_callbacks
):
    receiver.status = 500
    file_and_deliver(platform, django_capture_on_commit_callbacks)
    url = reverse("complaints:workspace-webhook-deliveries", args=[endpoint.pk])
    client.force_login(manager)
    html = client.get(url).content.decode()
    assert "complaint.created" in html and "500" in html
    client.force_login(agent)
    assert client.get(url).status_code == 403


@pytest.mark.dated
def test_automatic_and_consumer_escalations_send_the_same_complaint_payload(manager, platform, settings):
    settings.DEBUG = True
    services.webhook_register(by=manager, url="http://127.0.0.1:9/hook", events=["complaint.escalated"])
    by_sweep, by_consumer = file_complaint(platform=platform), file_complaint(platform=platform)
    Deadline.objects.filter(complaint=by_sweep, kind=ClockKind.RESOLUTION).update(due_at=timezone.now())
    deadlines_sweep()
    Deadline.objects.filter(complaint=by_consumer, kind=ClockKind.FIRST_RESPONSE).update(due_at=timezone.now())
    deadlines_sweep()
    complaint_services.complaint_escalate(complaint_id=by_consumer.pk, by=by_consumer.consumer, reason="没有回复")

    payloads = {
        delivery.payload["complaint"]["id"]: delivery.payload
        for delivery in WebhookDelivery.objects.filter(event="complaint.escalated")
    }

    assert set(payloads) == {by_sweep.pk, by_consumer.pk}
    for complaint in (by_sweep, by_consumer):
        complaint.refresh_from_db()
        assert (
            payloads[complaint.pk]["complaint"]
            == complaint_services.notifications.webhook_payload(complaint)["complaint"]
        )
        assert payloads[complaint.pk]["event"] == "complaint.escalated" and payloads[complaint.pk]["id"]
        assert payloads[complaint.pk]["reason"]


def test_a_delivered_webhook_and_delivered_goods_read_differently_in_chinese():
    with translation.override("zh-hans"):
        assert str(DeliveryStatus.DELIVERED.label) != str(ResponseOutcome.DELIVERED.label)


# --- time limits -------------------------------------------------------------------------------------------


def test_a_webhook_stopped_by_the_soft_time_limit_is_a_failed_attempt_the_flush_retries(
    receiver, endpoint, platform, django_capture_on_commit_callbacks
):
    with mock.patch("complaints.delivery._webhook_opener.open", side_effect=SoftTimeLimitExceeded()):
        file_and_deliver(platform, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(event="complaint.created")
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.next_attempt_at is not None and "time limit" in delivery.last_error
    assert receiver.requests == []

    make_retry_due(delivery)
    flush_outbox_task.delay()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(receiver.requests) == 1


def test_the_soft_time_limit_stops_the_send_after_recording_the_attempt(receiver, endpoint, platform):
    file_complaint(platform=platform)  # on_commit never runs here: the delivery waits to be sent
    delivery = WebhookDelivery.objects.get(event="complaint.created")

    with (
        mock.patch("complaints.delivery._webhook_opener.open", side_effect=SoftTimeLimitExceeded()),
        pytest.raises(SoftTimeLimitExceeded),
    ):
        send_webhook(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
