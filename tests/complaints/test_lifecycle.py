"""The complaint's life through the services: every legal move, and the illegal ones refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.events import verify_chain
from complaints.models import ClockKind, Complaint, EventKind, Finding, Status
from complaints.sweep import deadlines_sweep
from portal.errors import Conflict, IllegalTransition
from regulation import desk
from tests.factories import (
    ConsumerFactory,
    PlatformFactory,
    RegulatorFactory,
    StaffFactory,
    complaint_data,
    file_complaint,
)

pytestmark = [pytest.mark.django_db, pytest.mark.dated]


def refund(complaint, agent):
    return services.complaint_respond(
        complaint_id=complaint.pk,
        by=agent,
        outcome="refunded",
        message="已原路退款。",
        refund_amount=Decimal("199.00"),
        refund_reference="RF20261125001",
    )


def test_filing_against_registered_platform_forwards_and_starts_platform_clocks():
    complaint = file_complaint()
    assert complaint.status == Status.AWAITING_PLATFORM
    assert complaint.reference.startswith(f"KM-{timezone.localtime().year}-")
    assert set(complaint.deadlines.values_list("kind", flat=True)) == {
        ClockKind.FIRST_RESPONSE,
        ClockKind.RESOLUTION,
        ClockKind.HARD_LIMIT,
    }
    assert list(complaint.events.values_list("kind", flat=True)) == [EventKind.FILED, EventKind.FORWARDED]


def test_references_are_consecutive():
    first, second = file_complaint(), file_complaint()
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


def test_unregistered_platform_goes_to_triage_without_clocks():
    complaint = file_complaint(
        platform=False,
        unregistered_platform_name="某小众卡盟",
        unregistered_platform_url="https://xiaozhong.example.cn",
    )
    assert complaint.status == Status.TRIAGE
    assert not complaint.deadlines.exists()


def test_second_open_complaint_for_same_order_is_refused_with_link():
    consumer, platform = ConsumerFactory(), PlatformFactory()
    first = file_complaint(consumer, platform, order_number="DD1")
    with pytest.raises(Conflict) as error:
        file_complaint(consumer, platform, order_number="DD1")
    assert error.value.link == reverse("complaints:complaint-detail", args=[first.pk])


def test_refused_duplicate_gives_its_reference_number_back():
    consumer, platform = ConsumerFactory(), PlatformFactory()
    first = file_complaint(consumer, platform, order_number="DD1")
    with pytest.raises(Conflict):
        file_complaint(consumer, platform, order_number="DD1")

    second = file_complaint(consumer, platform, order_number="DD2")

    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


def test_filing_with_related_returns_the_stored_clocks_without_reading_them(django_assert_num_queries):
    complaint, _created = services.complaint_file(
        consumer=ConsumerFactory(), data=complaint_data(PlatformFactory()), with_related=True
    )
    stored = [(d.kind, d.due_at, d.explanation) for d in Complaint.objects.get(pk=complaint.pk).deadlines.all()]

    with django_assert_num_queries(0):
        in_hand = [(d.kind, d.due_at, d.explanation) for d in complaint.deadlines.all()]
        assert (list(complaint.responses.all()), list(complaint.evidence.all())) == ([], [])

    assert in_hand == stored


def test_paid_at_in_future_is_a_field_error():
    with pytest.raises(ValidationError) as error:
        file_complaint(paid_at=timezone.now() + timedelta(hours=1))
    assert "paid_at" in error.value.message_dict


def test_idempotency_key_returns_first_complaint():
    consumer, platform = ConsumerFactory(), PlatformFactory()
    data = complaint_data(platform)
    first, created = services.complaint_file(consumer=consumer, data=data, idempotency_key="k1")
    again, created_again = services.complaint_file(consumer=consumer, data=data, idempotency_key="k1")
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Complaint.objects.count() == 1


def test_platform_final_answer_waits_for_consumer():
    complaint = file_complaint()
    agent = StaffFactory(platform=complaint.platform)
    refund(complaint, agent)
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CONSUMER
    assert complaint.deadlines.get(kind=ClockKind.RESOLUTION).met_at is not None


def test_refund_without_reference_is_a_field_error():
    complaint = file_complaint()
    agent = StaffFactory(platform=complaint.platform)
    with pytest.raises(ValidationError) as error:
        services.complaint_respond(
            complaint_id=complaint.pk,
            by=agent,
            outcome="refunded",
            message="退款",
            refund_amount=Decimal("1"),
        )
    assert "refund_reference" in error.value.message_dict


def test_other_platform_staff_cannot_find_the_complaint():
    complaint = file_complaint()
    with pytest.raises(Http404):
        refund(complaint, StaffFactory())


def test_in_progress_is_allowed_once():
    complaint = file_complaint()
    agent = StaffFactory(platform=complaint.platform)
    promise = timezone.now() + timedelta(hours=2)
    services.complaint_respond(
        complaint_id=complaint.pk, by=agent, outcome="in_progress", message="正在补发", promised_by=promise
    )
    with pytest.raises(ValidationError):
        services.complaint_respond(
            complaint_id=complaint.pk, by=agent, outcome="in_progress", message="再等等", promised_by=promise
        )


def test_accept_resolves_with_rating():
    complaint = file_complaint()
    refund(complaint, StaffFactory(platform=complaint.platform))
    services.complaint_accept(complaint_id=complaint.pk, by=complaint.consumer, rating=4)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.rating) == (Status.RESOLVED, 4)


def test_accepting_twice_is_illegal():
    complaint = file_complaint()
    refund(complaint, StaffFactory(platform=complaint.platform))
    services.complaint_accept(complaint_id=complaint.pk, by=complaint.consumer, rating=4)
    with pytest.raises(IllegalTransition):
        services.complaint_accept(complaint_id=complaint.pk, by=complaint.consumer, rating=4)


def test_answering_a_withdrawn_complaint_is_illegal():
    complaint = file_complaint()
    services.complaint_withdraw(complaint_id=complaint.pk, by=complaint.consumer)
    with pytest.raises(IllegalTransition):
        refund(complaint, StaffFactory(platform=complaint.platform))


def test_consumer_cannot_escalate_before_a_dispute_or_a_missed_deadline():
    complaint = file_complaint()
    with pytest.raises(IllegalTransition):
        services.complaint_escalate(complaint_id=complaint.pk, by=complaint.consumer, reason="平台不理我")


def test_dispute_then_escalate_then_regulator_closes_upheld():
    complaint = file_complaint()
    refund(complaint, StaffFactory(platform=complaint.platform))
    services.complaint_dispute(complaint_id=complaint.pk, by=complaint.consumer, reason="并没有收到退款")
    services.complaint_escalate(complaint_id=complaint.pk, by=complaint.consumer, reason="平台说谎")
    regulator = RegulatorFactory()
    desk.complaint_accept_for_mediation(complaint_id=complaint.pk, by=regulator)
    desk.complaint_close(complaint_id=complaint.pk, by=regulator, finding=Finding.UPHELD, note="属实")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.finding) == (Status.CLOSED, Finding.UPHELD)
    assert verify_chain(complaint) is None


def test_consumer_cannot_close():
    complaint = file_complaint()
    with pytest.raises(PermissionDenied):
        desk.complaint_close(complaint_id=complaint.pk, by=complaint.consumer, finding=Finding.UPHELD)


def test_info_request_pauses_and_supply_resumes_resolution_clock():
    complaint = file_complaint()
    agent = StaffFactory(platform=complaint.platform)
    due_before = complaint.deadlines.get(kind=ClockKind.RESOLUTION).due_at
    services.complaint_request_info(complaint_id=complaint.pk, by=agent, message="请提供付款截图")
    services.complaint_supply_info(complaint_id=complaint.pk, by=complaint.consumer, message="已上传")
    clock = complaint.deadlines.get(kind=ClockKind.RESOLUTION)
    assert clock.due_at > due_before
    assert clock.explanation["pauses"]


def test_sweep_escalates_after_resolution_deadline_and_is_idempotent():
    complaint = file_complaint()
    later = timezone.now() + timedelta(days=30)
    first = deadlines_sweep(now=later)
    second = deadlines_sweep(now=later)
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED and complaint.is_overdue
    assert first.escalated == 1 and second.breached == 0 and second.escalated == 0
    assert verify_chain(complaint) is None


def test_sweep_auto_accepts_after_seven_days_of_silence():
    complaint = file_complaint()
    refund(complaint, StaffFactory(platform=complaint.platform))
    deadlines_sweep(now=timezone.now() + timedelta(days=8))
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED and complaint.accepted_automatically


def test_sweep_escalates_disputed_complaint_after_negotiation_limit():
    complaint = file_complaint()
    refund(complaint, StaffFactory(platform=complaint.platform))
    services.complaint_dispute(complaint_id=complaint.pk, by=complaint.consumer, reason="没有收到退款")
    deadlines_sweep(now=timezone.now() + timedelta(days=30))
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED


def test_sweep_query_count_does_not_grow_with_complaints(django_assert_max_num_queries):
    platform = PlatformFactory()
    for _ in range(3):
        file_complaint(platform=platform)
    with django_assert_max_num_queries(30) as small:
        deadlines_sweep(now=timezone.now() + timedelta(days=30))
    for _ in range(12):
        file_complaint(platform=platform)
    with django_assert_max_num_queries(30) as large:
        deadlines_sweep(now=timezone.now() + timedelta(days=30))
    assert len(large.captured_queries) == len(small.captured_queries)
