"""Which channel tells whom: every e-mail to a user goes through portal.notifications.deliver, which writes the
outbox row and/or the in-app notification by the recipient's preference for the e-mail's kind."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import translation

from complaints import notifications, services
from portal import outbox
from portal.models import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
)
from portal.notifications import EMAIL_ONLY_KINDS, PREFERENCE_KINDS, title_of
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory, file_complaint

pytestmark = pytest.mark.django_db


def prefer(user, kind: str, channel: str) -> None:
    NotificationPreference.objects.create(user=user, kind=kind, channel=channel)


def refund(complaint, agent):
    return services.complaint_respond(
        complaint_id=complaint.pk,
        by=agent,
        outcome="refunded",
        message="已原路退款。",
        refund_amount=Decimal("199.00"),
        refund_reference="RF20261125001",
    )


@pytest.fixture
def answered_setup():
    platform = PlatformFactory()
    consumer = ConsumerFactory()
    complaint = file_complaint(consumer, platform)
    return consumer, StaffFactory(platform=platform), complaint


def answered_emails_to(address: str) -> list[OutboxMessage]:
    return [m for m in OutboxMessage.objects.filter(template="complaint_answered") if address in m.recipients]


def test_email_only_preference_writes_the_email_and_no_notification(answered_setup):
    consumer, agent, complaint = answered_setup
    prefer(consumer, "complaint_answered", NotificationChannel.EMAIL)
    refund(complaint, agent)
    assert len(answered_emails_to(consumer.email)) == 1
    assert not Notification.objects.filter(recipient=consumer, kind="complaint_answered").exists()


def test_in_app_only_preference_writes_the_notification_and_no_email(answered_setup):
    consumer, agent, complaint = answered_setup
    prefer(consumer, "complaint_answered", NotificationChannel.IN_APP)
    refund(complaint, agent)
    assert answered_emails_to(consumer.email) == []
    notification = Notification.objects.get(recipient=consumer, kind="complaint_answered")
    assert (notification.complaint_id, notification.link) == (complaint.pk, f"/complaints/{complaint.pk}/")


def test_both_is_the_default_and_writes_both(answered_setup):
    consumer, agent, complaint = answered_setup
    refund(complaint, agent)
    assert len(answered_emails_to(consumer.email)) == 1
    assert Notification.objects.filter(recipient=consumer, kind="complaint_answered", read_at=None).count() == 1


def test_a_preference_for_another_kind_does_not_apply(answered_setup):
    consumer, agent, complaint = answered_setup
    prefer(consumer, "complaint_closed", NotificationChannel.EMAIL)
    refund(complaint, agent)
    assert Notification.objects.filter(recipient=consumer, kind="complaint_answered").count() == 1


def test_filing_tells_consumer_and_staff_in_app_and_the_platform_contact_by_email_only():
    platform = PlatformFactory()
    agent = StaffFactory(platform=platform)
    consumer = ConsumerFactory()
    complaint = file_complaint(consumer, platform)
    assert set(Notification.objects.values_list("recipient_id", "kind")) == {
        (consumer.pk, "complaint_filed_consumer"),
        (agent.pk, "complaint_new_platform"),
    }
    new_platform = OutboxMessage.objects.get(template="complaint_new_platform", complaint_id=complaint.pk)
    assert new_platform.recipients == sorted([agent.email, platform.contact_email])


def test_one_email_to_several_keeps_only_the_addresses_that_want_email():
    platform = PlatformFactory()
    in_app_agent, both_agent = StaffFactory(platform=platform), StaffFactory(platform=platform)
    prefer(in_app_agent, "complaint_new_platform", NotificationChannel.IN_APP)
    complaint = file_complaint(ConsumerFactory(), platform)
    message = OutboxMessage.objects.get(template="complaint_new_platform", complaint_id=complaint.pk)
    assert message.recipients == sorted([both_agent.email, platform.contact_email])
    assert set(Notification.objects.filter(kind="complaint_new_platform").values_list("recipient_id", flat=True)) == {
        in_app_agent.pk,
        both_agent.pk,
    }


def test_an_email_left_without_recipients_is_not_written(answered_setup):
    consumer, _agent, complaint = answered_setup
    prefer(consumer, "complaint_mediation", NotificationChannel.IN_APP)
    assert notifications.queue_email("complaint_mediation", [consumer.email], complaint) is None
    assert not OutboxMessage.objects.filter(template="complaint_mediation").exists()
    assert Notification.objects.filter(kind="complaint_mediation").count() == 1


@pytest.mark.parametrize("kind", PREFERENCE_KINDS, ids=str)
def test_each_email_kind_to_a_user_gives_them_an_in_app_notification(kind, answered_setup):
    consumer, _agent, complaint = answered_setup
    Notification.objects.all().delete()
    extra = {"what": "Testing started", "number": "沪浦市监处罚〔2026〕1号", "url": f"http://testserver/x/{kind}/"}
    with transaction.atomic():
        notifications.queue_email(kind, [consumer.email, "someone@elsewhere.example.cn"], complaint, extra=extra)
    notification = Notification.objects.get()
    assert (notification.recipient_id, notification.kind, notification.complaint_id) == (
        consumer.pk,
        kind,
        complaint.pk,
    )
    assert complaint.reference in title_of(notification) or "沪浦市监处罚" in title_of(notification)
    latest = OutboxMessage.objects.filter(template=kind).latest("pk")
    assert latest.recipients == sorted([consumer.email, "someone@elsewhere.example.cn"])


def test_the_bulk_path_of_the_sweep_tells_in_app_too(answered_setup):
    _consumer, agent, complaint = answered_setup
    prefer(agent, "deadline_overdue", NotificationChannel.IN_APP)
    clock = complaint.deadlines.get(kind="first_response")
    notices = notifications.overdue_notices(complaint, clock, regulators=[], platform_staff=[agent.email], first=True)
    notifications.queue_notices(notices)
    assert Notification.objects.filter(recipient=agent, kind="deadline_overdue").count() == 1
    assert not OutboxMessage.objects.filter(template="deadline_overdue").exists()


def test_an_address_shared_by_two_accounts_stays_email_only(answered_setup):
    consumer, _agent, complaint = answered_setup
    ConsumerFactory(email=consumer.email)
    notifications.queue_email("complaint_closed", [consumer.email], complaint)
    assert not Notification.objects.filter(kind="complaint_closed").exists()
    assert OutboxMessage.objects.get(template="complaint_closed").recipients == [consumer.email]


def test_an_inactive_account_gets_no_notification(answered_setup):
    consumer, _agent, complaint = answered_setup
    consumer.is_active = False
    consumer.save(update_fields=["is_active"])
    notifications.queue_email("complaint_closed", [consumer.email], complaint)
    assert not Notification.objects.filter(kind="complaint_closed").exists()


def test_a_staff_invitation_is_always_an_email():
    assert {NotificationKind.STAFF_INVITATION} == EMAIL_ONLY_KINDS
    user = ConsumerFactory()
    prefer(user, "staff_invitation", NotificationChannel.IN_APP)
    outbox.queue_email("staff_invitation", [user.email], {"platform": "P", "username": "u"})
    assert OutboxMessage.objects.get(template="staff_invitation").recipients == [user.email]
    assert not Notification.objects.exists()


def test_an_email_of_a_kind_without_a_name_yet_still_reaches_the_portal(answered_setup):
    consumer, _agent, complaint = answered_setup
    notifications.queue_email("complaint_new_kind_of_email", [consumer.email], complaint)
    notification = Notification.objects.get(kind="complaint_new_kind_of_email")
    assert title_of(notification) == "complaint_new_kind_of_email"


def test_email_and_notification_roll_back_together(answered_setup):
    consumer, _agent, complaint = answered_setup
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications.queue_email("complaint_closed", [consumer.email], complaint)
        raise RuntimeError
    assert not OutboxMessage.objects.filter(template="complaint_closed").exists()
    assert not Notification.objects.filter(kind="complaint_closed").exists()


def test_the_title_is_put_into_words_in_the_readers_language(answered_setup):
    _consumer, agent, complaint = answered_setup
    refund(complaint, agent)
    notification = Notification.objects.get(kind="complaint_answered")
    with translation.override("en"):
        english = title_of(notification)
    with translation.override("zh-hans"):
        chinese = title_of(notification)
    assert english == f"The platform answered {complaint.reference}"
    assert chinese != english and complaint.reference in chinese


def test_deliver_costs_one_query_for_accounts_and_one_insert_per_table(answered_setup, django_assert_num_queries):
    consumer, agent, complaint = answered_setup
    messages = [
        notifications.outbox_message("complaint_closed", [consumer.email, agent.email], complaint) for _ in range(20)
    ]
    from portal.notifications import deliver

    with django_assert_num_queries(3):
        deliver(messages)
    assert Notification.objects.filter(kind="complaint_closed").count() == 40


@pytest.mark.parametrize("role", ["consumer", "agent", "regulator"])
def test_each_role_follows_its_notification_to_a_page_it_may_open(client, role):
    from django.urls import reverse

    from portal.roles import make_regulator
    from tests.factories import RegulatorFactory

    platform = PlatformFactory()
    agent, consumer = StaffFactory(platform=platform), ConsumerFactory()
    regulator = RegulatorFactory()
    make_regulator(regulator)
    # A registered platform's complaint tells the consumer and the staff; an unregistered one's, the regulators.
    if role == "regulator":
        complaint = file_complaint(consumer, False, unregistered_platform_name="某卡盟")
    else:
        complaint = file_complaint(consumer, platform)
    user = {"consumer": consumer, "agent": agent, "regulator": regulator}[role]
    notification = Notification.objects.get(recipient=user)
    client.force_login(user)
    response = client.post(reverse("portal:notification-open", args=[notification.pk]), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/complaints/{complaint.pk}/"
