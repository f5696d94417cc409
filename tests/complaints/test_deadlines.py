"""``Complaint.platform_due_at``, the stored inbox order: after every clock change it is the due time of the
earliest running, unpaused platform clock, or NULL when there is none."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from complaints import services
from complaints.deadlines import sync_platform_due
from complaints.models import PLATFORM_CLOCKS, ClockKind, Complaint, Deadline, Finding, Status
from complaints.sweep import deadlines_sweep
from regulation import desk
from tests.factories import file_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

MINUTE = timedelta(minutes=1)


def stored(complaint):
    return Complaint.objects.values_list("platform_due_at", flat=True).get(pk=complaint.pk)


def due_at(complaint, kind: str):
    return complaint.deadlines.get(kind=kind).due_at


def earliest_running_platform_clock(complaint):
    """The rule, spelled out in Python over the complaint's clocks."""
    running = [c.due_at for c in complaint.deadlines.all() if c.kind in PLATFORM_CLOCKS and c.state == "running"]
    return min(running, default=None)


def refund(complaint, agent):
    return services.complaint_respond(
        complaint_id=complaint.pk,
        by=agent,
        outcome="refunded",
        message="已原路退款。",
        refund_amount=Decimal("199.00"),
        refund_reference="RF20261125001",
    )


def test_filing_stores_the_first_response_due_time(complaint):
    assert complaint.platform_due_at == due_at(complaint, ClockKind.FIRST_RESPONSE)
    assert stored(complaint) == complaint.platform_due_at == earliest_running_platform_clock(complaint)


def test_a_complaint_in_triage_has_none_until_forwarded(regulator, platform):
    complaint = file_complaint(
        platform=False, unregistered_platform_name="某小众卡盟", unregistered_platform_url="https://x.example.cn"
    )
    assert stored(complaint) is None
    desk.complaint_forward(complaint_id=complaint.pk, by=regulator, platform=platform)
    assert stored(complaint) == due_at(complaint, ClockKind.FIRST_RESPONSE)


def test_a_first_answer_moves_it_to_the_resolution_deadline(complaint, agent):
    services.complaint_respond(
        complaint_id=complaint.pk,
        by=agent,
        outcome="in_progress",
        message="正在补发",
        promised_by=timezone.now() + timedelta(hours=2),
    )
    assert stored(complaint) == due_at(complaint, ClockKind.RESOLUTION) == earliest_running_platform_clock(complaint)


def test_a_final_answer_leaves_the_negotiation_limit(complaint, agent):
    refund(complaint, agent)
    assert stored(complaint) == due_at(complaint, ClockKind.HARD_LIMIT) == earliest_running_platform_clock(complaint)


def test_an_information_request_pauses_the_clocks_and_clears_it(complaint, agent):
    services.complaint_request_info(complaint_id=complaint.pk, by=agent, message="请提供付款截图")
    assert stored(complaint) is None


def test_the_consumer_s_answer_resumes_the_clocks_pushed_back(complaint, agent, consumer):
    services.complaint_request_info(complaint_id=complaint.pk, by=agent, message="请提供付款截图")
    resolution_before = due_at(complaint, ClockKind.RESOLUTION)
    services.complaint_supply_info(complaint_id=complaint.pk, by=consumer, message="截图已上传")
    assert stored(complaint) == due_at(complaint, ClockKind.RESOLUTION) > resolution_before


def test_escalation_ends_the_platform_s_clocks(complaint, agent, consumer):
    refund(complaint, agent)
    services.complaint_dispute(complaint_id=complaint.pk, by=consumer, reason="没有收到退款")
    assert stored(complaint) == due_at(complaint, ClockKind.HARD_LIMIT)
    services.complaint_escalate(complaint_id=complaint.pk, by=consumer, reason="平台不处理")
    assert stored(complaint) is None


def test_escalation_while_paused_keeps_the_rule(complaint, agent, consumer):
    services.complaint_request_info(complaint_id=complaint.pk, by=agent, message="请提供付款截图")
    Complaint.objects.filter(pk=complaint.pk).update(is_overdue=True)
    services.complaint_escalate(complaint_id=complaint.pk, by=consumer, reason="平台拖延")
    assert stored(complaint) == earliest_running_platform_clock(complaint)


@pytest.mark.parametrize("ending", ["withdraw", "close"])
def test_withdrawal_and_closure_cancel_the_clocks_and_clear_it(complaint, consumer, regulator, ending):
    if ending == "withdraw":
        services.complaint_withdraw(complaint_id=complaint.pk, by=consumer)
    else:
        Complaint.objects.filter(pk=complaint.pk).update(is_overdue=True)
        services.complaint_escalate(complaint_id=complaint.pk, by=consumer, reason="平台拖延")
        desk.complaint_close(complaint_id=complaint.pk, by=regulator, finding=Finding.UPHELD)
    assert complaint.deadlines.filter(kind__in=PLATFORM_CLOCKS).running().count() == 0
    assert stored(complaint) is None


def test_the_returned_complaint_never_holds_a_stale_value(complaint, agent):
    """The service's complaint object reads the stored value, and saving it cannot write the old one back."""
    returned = services.complaint_request_info(complaint_id=complaint.pk, by=agent, message="请提供付款截图")
    returned.save()
    assert returned.platform_due_at is None
    assert stored(complaint) is None


def test_a_missed_first_response_moves_it_to_the_resolution_deadline(complaint):
    deadlines_sweep(now=due_at(complaint, ClockKind.FIRST_RESPONSE) + MINUTE)
    assert stored(complaint) == due_at(complaint, ClockKind.RESOLUTION)


def test_a_missed_resolution_deadline_escalates_and_clears_it(complaint):
    deadlines_sweep(now=due_at(complaint, ClockKind.RESOLUTION) + MINUTE)
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED
    assert earliest_running_platform_clock(complaint) is None
    assert complaint.platform_due_at is None


def test_the_sweep_updates_every_complaint_it_breaches_in_one_statement(django_assert_max_num_queries):
    complaints = [file_complaint() for _ in range(3)]
    with django_assert_max_num_queries(30) as captured:
        deadlines_sweep(now=due_at(complaints[0], ClockKind.FIRST_RESPONSE) + timedelta(hours=1))
    updates = [q["sql"] for q in captured.captured_queries if '"platform_due_at" =' in q["sql"]]
    assert len(updates) == 1
    assert [stored(c) for c in complaints] == [earliest_running_platform_clock(c) for c in complaints]


def test_sync_repairs_a_value_out_of_step(complaint):
    Complaint.objects.filter(pk=complaint.pk).update(platform_due_at=None)
    Deadline.objects.filter(complaint=complaint, kind=ClockKind.FIRST_RESPONSE).update(met_at=timezone.now())
    assert sync_platform_due([complaint.pk]) == 1
    assert stored(complaint) == due_at(complaint, ClockKind.RESOLUTION)
