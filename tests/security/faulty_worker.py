"""The portal's Celery app for worker processes that are to be killed at a chosen point of sending.

Start a worker with ``celery -A tests.security.faulty_worker worker`` and, in its environment,
``SEND_FAULT_POINT`` (one of ``FAULT_POINTS``), ``SEND_FAULT_CHANNEL`` (``email`` or ``webhook``) and
``SEND_FAULT_MARKER`` (a file path). The first send of that channel to reach that point writes the marker (with
the Message-ID or delivery id it carries, when known there) and hangs, so the test knows when to SIGKILL the
process. Without ``SEND_FAULT_POINT`` the worker is the ordinary one.

- ``before_send``: the row is locked, nothing has left the process;
- ``after_send``: the SMTP server (here: the mail folder) or the webhook receiver has the message, the
  transaction that records it as sent has not committed;
- ``after_commit``: the row is recorded as sent, the task has not returned (nor been acknowledged).
"""

import os
import time
from pathlib import Path

from celery import signals
from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend

from portal.celery import app

__all__ = ["FaultyFileBackend", "app"]

FAULT_POINTS = ("before_send", "after_send", "after_commit")


def hang_at(point: str, channel: str, sent_id: str = "") -> None:
    if (os.environ.get("SEND_FAULT_POINT"), os.environ.get("SEND_FAULT_CHANNEL")) != (point, channel):
        return
    marker = Path(os.environ["SEND_FAULT_MARKER"])
    if marker.exists():
        return
    marker.write_text(sent_id)
    time.sleep(600)  # the test kills the process here


class FaultyFileBackend(FileEmailBackend):
    """The file e-mail backend (the test's "SMTP server") with the two send-side fault points around it."""

    def send_messages(self, email_messages):
        message_id = email_messages[0].extra_headers.get("Message-ID", "") if email_messages else ""
        hang_at("before_send", "email", message_id)
        sent = super().send_messages(email_messages)
        hang_at("after_send", "email", message_id)
        return sent


class FaultyOpener:
    """Stands in for the webhook opener: the same request, with the fault points before and after it."""

    def __init__(self, opener) -> None:
        self.opener = opener

    def open(self, request, timeout=None):
        delivery_id = request.get_header("X-portal-delivery", "")
        hang_at("before_send", "webhook", delivery_id)
        answer = self.opener.open(request, timeout=timeout)
        answer.read()  # the receiver has answered in full
        hang_at("after_send", "webhook", delivery_id)
        return answer


def hanging_after(function, channel: str):
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        hang_at("after_commit", channel)
        return result

    return wrapper


@signals.worker_init.connect
def install_fault_points(**kwargs) -> None:
    import django

    django.setup()
    from complaints import delivery, tasks
    from portal import tasks as portal_tasks

    delivery._webhook_opener = FaultyOpener(delivery._webhook_opener)
    portal_tasks.send_outbox_message = hanging_after(portal_tasks.send_outbox_message, "email")
    tasks.send_webhook = hanging_after(tasks.send_webhook, "webhook")
    tasks.outbox.send_quietly = hanging_after(tasks.outbox.send_quietly, "email")
