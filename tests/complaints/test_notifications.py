"""E-mails: written to the outbox with the change, sent after commit, retried by the flush on failure."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from complaints import services
from complaints.tasks import flush_outbox_task
from portal.models import OutboxMessage
from portal.outbox import send_outbox_message
from tests.factories import file_complaint

pytestmark = pytest.mark.django_db

EMAIL_TEMPLATES = sorted(
    path.name.removesuffix(".txt")
    for path in (Path(settings.BASE_DIR) / "templates" / "emails").glob("*.txt")
    if not path.name.endswith(".subject.txt")
)


def sent_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


def test_filing_mails_the_platform_s_staff_and_contact_address_only_after_commit(
    consumer, platform, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        complaint = file_complaint(consumer, platform)
        assert mail.outbox == []
    for callback in callbacks:
        callback()
    new_complaint = [m for m in mail.outbox if complaint.reference in m.subject and agent.email in m.to]
    assert len(new_complaint) == 1
    assert platform.contact_email in new_complaint[0].to
    assert OutboxMessage.objects.get(template="complaint_new_platform").sent_at is not None


def test_the_consumer_is_mailed_the_platform_s_answer(complaint, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_respond(
            complaint_id=complaint.pk,
            by=agent,
            outcome="refunded",
            message="已原路退款",
            refund_amount=Decimal("199.00"),
            refund_reference="RF1",
        )
    answered = sent_to(complaint.consumer.email)
    assert len(answered) == 1 and "已原路退款" in answered[0].body


def test_regulators_are_mailed_an_escalation(complaint, agent, regulator, django_capture_on_commit_callbacks):
    services.complaint_respond(
        complaint_id=complaint.pk, by=agent, outcome="compensated", message="补偿", compensation="代金券"
    )
    services.complaint_dispute(complaint_id=complaint.pk, by=complaint.consumer, reason="代金券不能用")
    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_escalate(complaint_id=complaint.pk, by=complaint.consumer, reason="平台敷衍")
    escalated = sent_to(regulator.email)
    assert len(escalated) == 1 and "平台敷衍" in escalated[0].body


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("template", EMAIL_TEMPLATES)
def test_every_e_mail_template_renders(template, language):
    context = {
        "reference": "KM-2026-000123",
        "platform": "星辰卡盟",
        "url": "https://example.cn/complaints/1/",
        "status": "awaiting_platform",
        "outcome": "refunded",
        "message": "已退款",
        "reason": "理由",
        "finding": "upheld",
        "clock": "resolution",
        "due_at": "2026-12-01T10:00:00+08:00",
        "number": "市监罚〔2026〕7号",
        "kind": "fine",
        "decided_on": "2026-12-01",
        "appeal_deadline": "2027-01-30",
        "username": "xiaoli",
        "invited_by": "manager",
        "set_password_url": "https://example.cn/accounts/reset/x/y/",
        "site_url": "https://example.cn",
    }
    with translation.override(language):
        subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
        body = render_to_string(f"emails/{template}.txt", context)
    assert subject and "\n" not in subject and "{" not in subject
    assert body.strip() and "{%" not in body and "{{" not in body
    assert "星辰卡盟" in subject + body and "https://example.cn/" in body


def test_a_message_that_fails_to_send_stays_unsent_with_its_error(complaint, agent):
    message = OutboxMessage.objects.create(
        template="complaint_answered",
        recipients=["c@example.cn"],
        context={"reference": complaint.reference},
        complaint_id=complaint.pk,
    )
    with (
        mock.patch("portal.outbox.EmailMultiAlternatives.send", side_effect=OSError("SMTP refused")),
        pytest.raises(OSError),
    ):
        send_outbox_message(message.pk)
    message.refresh_from_db()
    assert (message.sent_at, message.attempts, message.last_error) == (None, 1, "SMTP refused")


def test_the_flush_retries_a_failed_message_and_sends_it_once(complaint, agent, django_capture_on_commit_callbacks):
    with (
        mock.patch("portal.outbox.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.complaint_request_info(complaint_id=complaint.pk, by=agent, message="请提供付款截图")
    message = OutboxMessage.objects.get(template="complaint_info_requested")
    assert message.sent_at is None and message.last_error == "SMTP down"
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=5))  # past the flush's grace

    flush_outbox_task.delay()
    flush_outbox_task.delay()

    message.refresh_from_db()
    assert message.sent_at is not None and message.last_error == ""
    assert len([m for m in sent_to(complaint.consumer.email) if "请提供付款截图" in m.body]) == 1


# --- time limits: a send stopped by the task's soft limit stays unsent, and the flush sends it -------------


def test_an_e_mail_stopped_by_the_soft_time_limit_stays_unsent_and_the_flush_sends_it_once(
    complaint, agent, django_capture_on_commit_callbacks
):
    with (
        mock.patch("portal.outbox.EmailMultiAlternatives.send", side_effect=SoftTimeLimitExceeded()),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.complaint_request_info(complaint_id=complaint.pk, by=agent, message="请提供付款截图")
    message = OutboxMessage.objects.get(template="complaint_info_requested")
    assert (message.sent_at, message.attempts) == (None, 1)
    assert "SoftTimeLimitExceeded" in message.last_error
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=5))  # past the flush's grace

    flush_outbox_task.delay()

    message.refresh_from_db()
    assert message.sent_at is not None
    assert len([m for m in sent_to(complaint.consumer.email) if "请提供付款截图" in m.body]) == 1


def test_a_flush_stopped_by_its_soft_time_limit_leaves_the_rest_to_the_next_flush(consumer, platform, agent):
    for _ in range(2):
        file_complaint(consumer, platform)  # on_commit never runs here: the e-mails wait, as with the broker down
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    waiting = OutboxMessage.objects.count()
    assert waiting >= 3

    with mock.patch("portal.outbox.EmailMultiAlternatives.send", side_effect=[1, SoftTimeLimitExceeded()]):
        stopped = flush_outbox_task.delay().get()

    assert stopped == {"emails": 1, "webhooks": 0}
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [0] * (waiting - 2) + [1, 1]
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == waiting - 1

    assert flush_outbox_task.delay().get()["emails"] == waiting - 1
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
