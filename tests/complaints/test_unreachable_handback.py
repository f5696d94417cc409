"""A complaint that would go back to a platform confirmed unreachable goes to the desk instead: the consumer's
dispute of an answer given before the confirmation, and a forwarding from triage (complaints/unreachable.py)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from complaints import services
from complaints.events import verify_chain
from complaints.models import PLATFORM_CLOCKS, ClockKind, Deadline, EventKind, Status
from complaints.unreachable import PLATFORM_UNREACHABLE
from platforms.models import Platform
from portal.models import OutboxMessage
from regulation import desk
from regulation.models import VanishingAlert
from regulation.vanishing import vanishing_alert_confirm
from tests.factories import ConsumerFactory, StaffFactory, file_complaint
from tests.offices import build_tree, platform_in
from tests.regulation.desk_helpers import triaged_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture
def platform(tree):
    return platform_in(tree.district_a)


def _confirm(tree, platform):
    now = timezone.now()
    alert = VanishingAlert.objects.create(
        platform=platform, office=tree.district_a, opened_at=now, refreshed_at=now, signals=["inactive"]
    )
    vanishing_alert_confirm(alert_id=alert.pk, by=tree.regulator("a"), reason="site down since the 1st")
    platform.refresh_from_db()


@pytest.fixture
def answered(platform):
    """A complaint the platform answered before it vanished: the consumer's turn to accept or dispute."""
    complaint = file_complaint(ConsumerFactory(), platform)
    services.complaint_respond(
        complaint_id=complaint.pk,
        by=StaffFactory(platform=platform),
        outcome="refunded",
        message="已退款。",
        refund_amount=Decimal("10.00"),
        refund_reference="RF-1",
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CONSUMER
    return complaint


def test_the_confirmation_leaves_the_consumers_turn_alone(tree, platform, answered):
    _confirm(tree, platform)

    answered.refresh_from_db()
    assert answered.status == Status.AWAITING_CONSUMER


def test_a_dispute_after_the_confirmation_goes_to_the_desk(tree, platform, answered):
    _confirm(tree, platform)

    services.complaint_dispute(complaint_id=answered.pk, by=answered.consumer, reason="钱没有退回。")

    answered.refresh_from_db()
    assert (answered.status, answered.dispute_reason) == (Status.ESCALATED, "钱没有退回。")
    assert answered.escalated_at is not None
    assert answered.platform_due_at is None
    assert not Deadline.objects.running().filter(complaint=answered, kind__in=PLATFORM_CLOCKS).exists()
    assert Deadline.objects.running().filter(complaint=answered, kind=ClockKind.REGULATOR_ACCEPTANCE).exists()
    kinds = list(answered.events.order_by("-sequence").values_list("kind", flat=True)[:2])
    assert kinds == [EventKind.PLATFORM_UNREACHABLE, EventKind.DISPUTED]
    last = answered.events.order_by("-sequence").first()
    assert (last.data["status_from"], last.data["status_to"]) == (Status.DISPUTED, Status.ESCALATED)
    assert last.data["reference"] == platform.unreachable_reference
    assert verify_chain(answered) is None


def test_the_vanished_platform_is_not_told_of_the_dispute_the_consumer_is_told_what_next(tree, platform, answered):
    _confirm(tree, platform)
    OutboxMessage.objects.all().delete()

    services.complaint_dispute(complaint_id=answered.pk, by=answered.consumer, reason="钱没有退回。")

    assert list(OutboxMessage.objects.values_list("template", flat=True)) == ["platform_unreachable"]


def test_a_dispute_against_a_reachable_platform_goes_back_to_the_platform(platform, answered):
    services.complaint_dispute(complaint_id=answered.pk, by=answered.consumer, reason="钱没有退回。")

    answered.refresh_from_db()
    assert answered.status == Status.DISPUTED
    assert not answered.events.filter(kind=EventKind.PLATFORM_UNREACHABLE).exists()


def test_forwarding_to_an_unreachable_platform_keeps_the_complaint_on_the_desk(tree, platform):
    _confirm(tree, platform)
    complaint = triaged_complaint()

    desk.complaint_forward(complaint_id=complaint.pk, by=tree.regulator("national"), platform=platform)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.platform) == (Status.ESCALATED, platform)
    clocks = Deadline.objects.filter(complaint=complaint, kind__in=PLATFORM_CLOCKS)
    assert clocks.count() == len(PLATFORM_CLOCKS)
    assert set(clocks.values_list("cancelled_reason", flat=True)) == {PLATFORM_UNREACHABLE}
    assert complaint.events.order_by("-sequence").first().kind == EventKind.PLATFORM_UNREACHABLE
    assert verify_chain(complaint) is None


def test_an_answer_to_the_platforms_question_goes_to_the_desk_once_the_platform_is_unreachable(tree, platform):
    complaint = file_complaint(ConsumerFactory(), platform)
    services.complaint_request_info(complaint_id=complaint.pk, by=StaffFactory(platform=platform), message="订单号？")
    # Confirmed while the question was open, by a confirmation that did not reach this complaint (a race).
    Platform.objects.filter(pk=platform.pk).update(
        unreachable_confirmed_at=timezone.now(), unreachable_office=tree.district_a, unreachable_reference="R-1"
    )

    services.complaint_supply_info(complaint_id=complaint.pk, by=complaint.consumer, message="DK0001")

    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED
    assert not Deadline.objects.running().filter(complaint=complaint, kind__in=PLATFORM_CLOCKS).exists()
    last = complaint.events.order_by("-sequence").first()
    assert (last.kind, last.data["reference"], last.data["status_from"]) == (
        EventKind.PLATFORM_UNREACHABLE,
        "R-1",
        Status.AWAITING_PLATFORM,
    )
    assert verify_chain(complaint) is None
