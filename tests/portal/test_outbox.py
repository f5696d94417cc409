"""The portal's e-mail outbox on its own: written with the caller's transaction, sent after commit, once."""

import pytest
from django.core import mail

from portal.models import OutboxMessage
from portal.outbox import email_message, queue_email, send_outbox_message

pytestmark = pytest.mark.django_db

INVITATION = {
    "platform": "星辰卡盟",
    "username": "xiaoli",
    "invited_by": "manager",
    "set_password_url": "https://example.cn/accounts/reset/x/y/",
}


def test_nobody_to_tell_writes_no_row():
    assert email_message("staff_invitation", [], INVITATION) is None
    assert queue_email("staff_invitation", [], INVITATION) is None
    assert not OutboxMessage.objects.exists()


def test_an_e_mail_is_sent_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message = queue_email("staff_invitation", ["new@example.cn"], INVITATION, language="en")
        assert mail.outbox == []
    for callback in callbacks:
        callback()
    message.refresh_from_db()
    assert message.sent_at is not None and message.complaint_id is None
    assert [sent.to for sent in mail.outbox] == [["new@example.cn"]]


def test_sending_twice_sends_once():
    message = OutboxMessage.objects.create(template="staff_invitation", recipients=["a@example.cn"], context=INVITATION)
    assert send_outbox_message(message.pk) is True
    assert send_outbox_message(message.pk) is False
    assert len(mail.outbox) == 1
