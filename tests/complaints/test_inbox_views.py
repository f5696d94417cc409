"""The platform's inbox and answer page: tenancy, filters, bulk assignment and every action of the page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.deadlines import sync_platform_due
from complaints.models import ClockKind, Deadline, EventKind, InternalNote, Problem, Status
from tests.factories import StaffFactory, file_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

INBOX = reverse("complaints:inbox-list")


def set_next_due(complaint, delta: timedelta) -> None:
    """Move all of the complaint's clocks to ``now + delta``: the inbox shows the earliest one."""
    Deadline.objects.filter(complaint=complaint).update(due_at=timezone.now() + delta)
    sync_platform_due([complaint.pk])


def listed(response) -> list[str]:
    return [c.reference for c in response.context["page"]]


def local_input(moment) -> str:
    """A ``datetime-local`` value: wall-clock time in the portal's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def respond_url(complaint, action: str = "") -> str:
    name = f"complaints:respond-{action.rstrip('/')}" if action else "complaints:respond-complaint"
    return reverse(name, args=[complaint.pk])


# --- inbox: access -------------------------------------------------------------------------------------


def test_inbox_url_name_resolves():
    assert reverse("complaints:inbox-list") == INBOX


def test_inbox_lists_only_the_platform_s_own_complaints(agent_client, platform, other_platform):
    own = file_complaint(platform=platform)
    foreign = file_complaint(platform=other_platform)
    response = agent_client.get(INBOX)
    assert response.status_code == 200
    assert own.reference in listed(response)
    assert foreign.reference not in listed(response)
    assert foreign.reference not in response.content.decode()


@pytest.mark.parametrize("role", ["consumer", "regulator"])
def test_inbox_refuses_consumers_and_regulators(client, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(INBOX).status_code == 403


def test_inbox_sends_anonymous_visitors_to_log_in(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]


# --- inbox: filters, sorting, colouring ----------------------------------------------------------------


def test_due_soon_filter_shows_complaints_with_a_clock_due_within_24_hours(agent_client, platform):
    soon, later = file_complaint(platform=platform), file_complaint(platform=platform)
    set_next_due(soon, timedelta(hours=5))
    set_next_due(later, timedelta(hours=48))
    assert listed(agent_client.get(INBOX, {"due": "soon"})) == [soon.reference]


def test_overdue_filter_shows_complaints_past_a_platform_deadline(agent_client, platform):
    late, on_time = file_complaint(platform=platform), file_complaint(platform=platform)
    set_next_due(late, -timedelta(hours=1))
    set_next_due(on_time, timedelta(hours=48))
    assert listed(agent_client.get(INBOX, {"due": "overdue"})) == [late.reference]


def test_rows_are_coloured_by_due_time(agent_client, platform):
    overdue, soon, ok = (file_complaint(platform=platform) for _ in range(3))
    set_next_due(overdue, -timedelta(minutes=5))
    set_next_due(soon, timedelta(hours=3))
    set_next_due(ok, timedelta(days=3))
    response = agent_client.get(INBOX)
    states = {c.reference: c.due_state for c in response.context["page"]}
    assert states == {overdue.reference: "overdue", soon.reference: "soon", ok.reference: "ok"}
    html = response.content.decode()
    assert all(f"due-{state}" in html for state in ("overdue", "soon", "ok"))


def test_default_sort_is_earliest_deadline_first(agent_client, platform):
    third, first, second = (file_complaint(platform=platform) for _ in range(3))
    set_next_due(first, timedelta(hours=1))
    set_next_due(second, timedelta(hours=2))
    set_next_due(third, timedelta(hours=3))
    assert listed(agent_client.get(INBOX)) == [first.reference, second.reference, third.reference]


def test_default_sort_lists_equal_due_times_and_complaints_without_a_clock_newest_first(agent_client, platform):
    older_done, newer_done = file_complaint(platform=platform), file_complaint(platform=platform)
    for done in (older_done, newer_done):
        services.complaint_withdraw(complaint_id=done.pk, by=done.consumer)
    tied_first, tied_second, sooner = (file_complaint(platform=platform) for _ in range(3))
    Deadline.objects.filter(complaint__in=[tied_first, tied_second]).update(due_at=timezone.now() + timedelta(hours=5))
    sync_platform_due([tied_first.pk, tied_second.pk])
    set_next_due(sooner, timedelta(hours=1))
    assert listed(agent_client.get(INBOX)) == [
        sooner.reference,
        tied_second.reference,
        tied_first.reference,
        newer_done.reference,
        older_done.reference,
    ]


def test_newest_sort_puts_the_latest_filing_first(agent_client, platform):
    older = file_complaint(platform=platform, now=timezone.now() - timedelta(hours=2))
    newer = file_complaint(platform=platform)
    set_next_due(newer, timedelta(days=5))
    set_next_due(older, timedelta(days=1))
    assert listed(agent_client.get(INBOX, {"sort": "newest"})) == [newer.reference, older.reference]


def test_assigned_to_me_and_unassigned_filters(agent_client, agent, platform):
    mine, nobodys = file_complaint(platform=platform), file_complaint(platform=platform)
    services.complaint_assign(complaint_ids=[mine.pk], by=agent, assignee=agent)
    assert listed(agent_client.get(INBOX, {"assigned": "me"})) == [mine.reference]
    assert listed(agent_client.get(INBOX, {"assigned": "none"})) == [nobodys.reference]


def test_status_and_problem_filters(agent_client, agent, platform):
    wrong_item = file_complaint(platform=platform, problem=Problem.WRONG_ITEM)
    missing_key = file_complaint(platform=platform)
    services.complaint_request_info(complaint_id=missing_key.pk, by=agent, message="请提供截图")
    assert listed(agent_client.get(INBOX, {"problem": Problem.WRONG_ITEM})) == [wrong_item.reference]
    assert listed(agent_client.get(INBOX, {"status": Status.INFO_REQUESTED})) == [missing_key.reference]


def test_inbox_shows_the_assignee(agent_client, agent, platform):
    complaint = file_complaint(platform=platform)
    services.complaint_assign(complaint_ids=[complaint.pk], by=agent, assignee=agent)
    assert str(agent) in agent_client.get(INBOX).content.decode()


def test_inbox_paginates(agent_client, platform):
    for _ in range(27):
        file_complaint(platform=platform)
    first = agent_client.get(INBOX)
    second = agent_client.get(INBOX, {"page": 2})
    assert len(listed(first)) == 25 and len(listed(second)) == 2
    assert 'rel="next"' in first.content.decode()


def test_inbox_query_count_does_not_grow_with_complaints(agent_client, agent, platform, django_assert_max_num_queries):
    def fill(count):
        for _ in range(count):
            complaint = file_complaint(platform=platform)
            services.complaint_assign(complaint_ids=[complaint.pk], by=agent, assignee=agent)

    fill(3)
    with django_assert_max_num_queries(10) as few:
        agent_client.get(INBOX)
    fill(20)
    with django_assert_max_num_queries(10) as many:
        agent_client.get(INBOX)
    assert len(many.captured_queries) == len(few.captured_queries)


# --- inbox: bulk assignment ----------------------------------------------------------------------------


def test_bulk_assign_assigns_the_ticked_complaints(agent_client, platform, agent):
    colleague = StaffFactory(platform=platform)
    ticked, untouched = file_complaint(platform=platform), file_complaint(platform=platform)
    response = agent_client.post(
        reverse("complaints:inbox-assign"),
        {
            "complaints": [ticked.pk],
            "assignee": colleague.pk,
            "next": f"{INBOX}?sort=newest",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{INBOX}?sort=newest"
    ticked.refresh_from_db(), untouched.refresh_from_db()
    assert (ticked.assigned_to, untouched.assigned_to) == (colleague, None)


def test_bulk_assign_never_touches_another_platform_s_complaints(agent_client, agent, platform, other_platform):
    own, foreign = file_complaint(platform=platform), file_complaint(platform=other_platform)
    agent_client.post(reverse("complaints:inbox-assign"), {"complaints": [own.pk, foreign.pk], "assignee": agent.pk})
    own.refresh_from_db(), foreign.refresh_from_db()
    assert foreign.assigned_to is None
    assert own.assigned_to is None  # the whole request is refused, not half-applied


def test_bulk_assign_refuses_an_assignee_of_another_platform(agent_client, platform, other_agent):
    complaint = file_complaint(platform=platform)
    agent_client.post(reverse("complaints:inbox-assign"), {"complaints": [complaint.pk], "assignee": other_agent.pk})
    complaint.refresh_from_db()
    assert complaint.assigned_to is None


def test_bulk_assign_ignores_an_offsite_next_url(agent_client, agent, platform):
    complaint = file_complaint(platform=platform)
    response = agent_client.post(
        reverse("complaints:inbox-assign"),
        {
            "complaints": [complaint.pk],
            "assignee": agent.pk,
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == INBOX


# --- answer page ---------------------------------------------------------------------------------------


def test_respond_page_shows_summary_deadlines_and_the_form(agent_client, complaint):
    response = agent_client.get(respond_url(complaint))
    html = response.content.decode()
    assert response.status_code == 200
    assert complaint.order_number in html and complaint.product_name in html
    assert "First response" in html or "首次" in html
    assert 'name="outcome"' in html and 'data-outcome="refunded"' in html


@pytest.mark.parametrize("action", ["", "evidence/", "request-info/", "note/", "assign/"])
def test_another_platform_s_staff_get_404_on_every_answer_page_url(client, other_agent, complaint, action):
    client.force_login(other_agent)
    method = client.get if action == "" else client.post
    assert method(respond_url(complaint, action)).status_code == 404


def test_answer_page_answers_a_missing_complaint_like_another_platform_s(agent_client):
    assert agent_client.get(reverse("complaints:respond-complaint", args=[999999])).status_code == 404


@pytest.mark.parametrize("role", ["consumer", "regulator"])
def test_answer_page_refuses_non_platform_users(client, role, request, complaint):
    client.force_login(request.getfixturevalue(role))
    assert client.get(respond_url(complaint)).status_code == 403


def test_refund_answer_redirects_to_the_complaint_page(agent_client, complaint):
    response = agent_client.post(
        respond_url(complaint),
        {
            "outcome": "refunded",
            "message": "已原路退款。",
            "refund_amount": "199.00",
            "refund_reference": "RF2026112500001",
        },
    )
    url = reverse("complaints:complaint-detail", args=[complaint.pk])
    assert response.status_code == 302 and response["Location"] == url
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CONSUMER
    assert complaint.responses.get().refund_amount == Decimal("199.00")


def test_a_missing_outcome_field_is_shown_on_that_field(agent_client, complaint):
    response = agent_client.post(
        respond_url(complaint), {"outcome": "refunded", "message": "已退款", "refund_amount": "10"}
    )
    assert response.status_code == 200
    assert "refund_reference" in response.context["respond_form"].errors


def test_hidden_fields_of_another_outcome_are_ignored(agent_client, complaint):
    response = agent_client.post(
        respond_url(complaint),
        {
            "outcome": "compensated",
            "message": "已补偿",
            "compensation": "20 元代金券",
            "delivered_at": local_input(timezone.now() + timedelta(days=3)),  # invalid, but not chosen
        },
    )
    assert response.status_code == 302


def test_an_unmasked_card_key_is_refused(agent_client, complaint):
    response = agent_client.post(
        respond_url(complaint),
        {
            "outcome": "delivered",
            "message": "已补发",
            "delivered_at": local_input(timezone.now()),
            "delivery_method": "重新发送到订单页",
            "delivery_record": "ABCD-EFGH-IJKL-1234",
        },
    )
    assert "delivery_record" in response.context["respond_form"].errors


def test_in_progress_is_accepted_once(agent_client, complaint):
    promise = local_input(timezone.now() + timedelta(hours=2))
    data = {"outcome": "in_progress", "message": "正在补发", "promised_by": promise}
    assert agent_client.post(respond_url(complaint), data).status_code == 302
    again = agent_client.post(respond_url(complaint), data)
    assert "outcome" in again.context["respond_form"].errors


def test_answering_a_finished_complaint_is_a_409_with_a_message(agent_client, complaint):
    services.complaint_withdraw(complaint_id=complaint.pk, by=complaint.consumer)
    response = agent_client.post(
        respond_url(complaint), {"outcome": "compensated", "message": "补偿", "compensation": "代金券"}
    )
    assert response.status_code == 409
    assert complaint.reference in response.context["error"]


def test_request_info_pauses_the_resolution_clock(agent_client, complaint):
    response = agent_client.post(respond_url(complaint, "request-info/"), {"message": "请提供付款截图"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.INFO_REQUESTED
    assert complaint.deadlines.get(kind=ClockKind.RESOLUTION).paused_at is not None


def test_internal_note_is_saved(agent_client, agent, complaint):
    response = agent_client.post(respond_url(complaint, "note/"), {"text": "客户是老用户，优先处理"})
    assert response.status_code == 302
    assert InternalNote.objects.get(complaint=complaint).author == agent


def test_an_empty_note_is_a_field_error(agent_client, complaint):
    response = agent_client.post(respond_url(complaint, "note/"), {"text": ""})
    assert "text" in response.context["note_form"].errors


def test_platform_evidence_is_stored_as_the_platform_s(agent_client, complaint):
    upload = SimpleUploadedFile("发货记录.txt", "卡密已于 10:00 发送至订单页。".encode(), content_type="text/plain")
    response = agent_client.post(respond_url(complaint, "evidence/"), {"kind": "delivery_proof", "file": upload})
    assert response.status_code == 302
    evidence = complaint.evidence.get()
    assert (evidence.party, evidence.kind) == ("platform", "delivery_proof")
    assert complaint.events.filter(kind=EventKind.EVIDENCE_ADDED).exists()


def test_assignment_from_the_answer_page(agent_client, agent, complaint):
    agent_client.post(respond_url(complaint, "assign/"), {"assignee": agent.pk})
    complaint.refresh_from_db()
    assert complaint.assigned_to == agent
