"""Sending webhook deliveries, signed, with retries (e-mails are sent by portal.outbox)."""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import DeliveryStatus, WebhookDelivery

WEBHOOK_MAX_ATTEMPTS = 8
WEBHOOK_BASE_DELAY_SECONDS = 30


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver answers for itself: following its redirects could lead the portal into internal networks."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_webhook_opener = urllib.request.build_opener(_NoRedirects)


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` HMAC of ``"<timestamp>." + body``: the timestamp is signed so a replay can be refused."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_backoff(attempts: int) -> timedelta:
    return timedelta(seconds=WEBHOOK_BASE_DELAY_SECONDS * 2 ** max(attempts - 1, 0))


def send_webhook(delivery_id: int) -> str:
    """POST one delivery; on failure schedule the next attempt (exponential backoff) or give up."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            # A retry is not sent before its backoff has passed, whoever asks (a redelivered task, the flush).
            .exclude(next_attempt_at__gt=timezone.now())
            .first()
        )
        if delivery is None:
            return "skipped"
        body = json.dumps(delivery.payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
        timestamp = int(time.time())
        request = urllib.request.Request(  # noqa: S310 - https/http URLs validated when registered
            delivery.endpoint.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "kameng-complaint-portal-webhooks/1",
                "X-Portal-Event": delivery.event,
                "X-Portal-Delivery": str(delivery.pk),
                "X-Portal-Timestamp": str(timestamp),
                "X-Portal-Signature": sign_webhook(delivery.endpoint.secret, timestamp, body),
            },
        )
        delivery.attempts += 1
        stopped = None
        try:
            with _webhook_opener.open(request, timeout=settings.PORTAL_WEBHOOK_TIMEOUT) as answer:
                delivery.last_status_code = answer.status
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
            delivery.next_attempt_at = None
        except (urllib.error.URLError, OSError, ValueError, SoftTimeLimitExceeded) as error:
            # A receiver that keeps the task past its soft time limit has failed this attempt like one that
            # does not answer: counted, and retried after the backoff rather than hammered at every flush.
            if isinstance(error, SoftTimeLimitExceeded):
                stopped, error = error, TimeoutError("the sending task reached its time limit")
            delivery.last_status_code = getattr(error, "code", None)
            delivery.last_error = str(error)[:500]
            if delivery.attempts >= WEBHOOK_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = timezone.now() + webhook_backoff(delivery.attempts)
        delivery.save()
    # Raised after the commit, so the attempt stays recorded; the task (or the flush) stops there.
    if stopped is not None:
        raise stopped
    return delivery.status
