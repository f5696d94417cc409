"""The complaints API as a platform uses it: staff tokens and API keys, answers, notes and the inbox."""

import threading
from datetime import timedelta
from datetime import timezone as dt_timezone

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.deadlines import sync_platform_due
from complaints.models import Complaint, Response, Status
from platforms.models import ApiKey
from portal.models import AccessLog
from tests.factories import ConsumerFactory, StaffFactory, file_complaint
from tests.fixtures_roles import client_for, make_api_key

pytestmark = pytest.mark.django_db

DELIVERED = {
    "outcome": "delivered",
    "message": "卡密已补发，请查收。",
    "delivery_method": "站内信",
    "delivery_record": "ABCD-****-****-1234",
}


def url(name: str, complaint) -> str:
    return reverse(name, args=[complaint.pk])


def delivered() -> dict:
    return {**DELIVERED, "delivered_at": (timezone.now() - timedelta(minutes=5)).isoformat()}


def filed_days_ago(platform, days: float, **overrides):
    """A complaint filed ``days`` ago: its platform clocks fall due that much earlier."""
    filed_at = timezone.now() - timedelta(days=days)
    return file_complaint(ConsumerFactory(), platform, now=filed_at, paid_at=filed_at - timedelta(hours=1), **overrides)


# --- answering ------------------------------------------------------------------------------------


def test_agent_answers_and_the_complaint_waits_for_the_consumer(agent, complaint):
    response = client_for(agent).post(url("complaints_api:complaint-respond", complaint), delivered())

    assert response.status_code == 201
    body = response.json()
    assert (body["outcome"], body["complaint_status"]) == ("delivered", Status.AWAITING_CONSUMER)
    assert Response.objects.get(pk=body["id"]).responder == agent


def test_outcome_specific_fields_are_required(agent, complaint):
    response = client_for(agent).post(
        url("complaints_api:complaint-respond", complaint), {"outcome": "refunded", "message": "已退款"}
    )

    assert response.status_code == 400
    assert {"refund_amount", "refund_reference"} <= set(response.json())


@pytest.mark.parametrize(
    ("field", "value"),
    [("outcome", "ignored"), ("refund_amount", "1.234"), ("rejection_reason", "dont_care")],
)
def test_malformed_answer_fields_are_400(agent, complaint, field, value):
    response = client_for(agent).post(url("complaints_api:complaint-respond", complaint), {**delivered(), field: value})

    assert response.status_code == 400
    assert field in response.json()


def test_answering_a_withdrawn_complaint_is_409(agent, consumer, complaint):
    services.complaint_withdraw(complaint_id=complaint.pk, by=consumer)

    response = client_for(agent).post(url("complaints_api:complaint-respond", complaint), delivered())

    assert response.status_code == 409
    assert not Response.objects.exists()


def test_other_platforms_agent_gets_404(other_agent, complaint):
    client = client_for(other_agent)

    assert client.post(url("complaints_api:complaint-respond", complaint), delivered()).status_code == 404
    assert client.get(url("complaints_api:complaint-detail", complaint)).status_code == 404


@pytest.mark.parametrize("role", ["consumer", "regulator"])
def test_platform_moves_are_403_for_other_roles_who_see_the_complaint(request, complaint, role):
    client = client_for(request.getfixturevalue(role))

    assert client.post(url("complaints_api:complaint-respond", complaint), delivered()).status_code == 403
    assert client.post(url("complaints_api:complaint-request-info", complaint), {"message": "?"}).status_code == 403
    assert client.post(url("complaints_api:complaint-assign", complaint), {"assignee": None}).status_code == 403


def test_agent_requests_information(agent, complaint):
    response = client_for(agent).post(
        url("complaints_api:complaint-request-info", complaint), {"message": "请提供付款截图"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == Status.INFO_REQUESTED
    assert {d["kind"]: d["state"] for d in response.json()["deadlines"]}["resolution"] == "paused"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_answering_at_once_one_wins_and_the_other_gets_409(platform, complaint):
    agents = [StaffFactory(platform=platform), StaffFactory(platform=platform)]
    barrier, codes = threading.Barrier(2), []

    def answer(agent):
        try:
            barrier.wait()
            codes.append(
                client_for(agent).post(url("complaints_api:complaint-respond", complaint), delivered()).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=[agent]) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes) == [201, 409]
    assert Response.objects.filter(complaint=complaint).count() == 1


# --- API keys -------------------------------------------------------------------------------------


def test_api_key_answers_its_platforms_complaint(api_key, complaint):
    response = client_for(api_key=api_key).post(url("complaints_api:complaint-respond", complaint), delivered())

    assert response.status_code == 201
    answer = Response.objects.get(pk=response.json()["id"])
    assert (answer.responder, answer.api_key.platform_id) == (None, complaint.platform_id)


def test_api_key_gets_404_for_another_platforms_complaint(other_platform, complaint):
    client = client_for(api_key=make_api_key(other_platform))

    assert client.get(url("complaints_api:complaint-detail", complaint)).status_code == 404
    assert client.post(url("complaints_api:complaint-respond", complaint), delivered()).status_code == 404


def test_revoked_api_key_is_401(api_key, complaint):
    ApiKey.objects.update(revoked_at=timezone.now())

    response = client_for(api_key=api_key).get(reverse("complaints_api:platform-inbox"))

    assert response.status_code == 401


def test_api_key_reads_the_inbox(api_key, complaint, other_platform):
    file_complaint(ConsumerFactory(), other_platform)

    rows = client_for(api_key=api_key).get(reverse("complaints_api:platform-inbox")).json()["results"]

    assert [row["id"] for row in rows] == [complaint.pk]


# --- personal data, assignment, notes -------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "regulator"])
def test_platform_and_regulator_see_consumer_contact_and_the_read_is_logged(request, consumer, complaint, role):
    user = request.getfixturevalue(role)

    response = client_for(user).get(url("complaints_api:complaint-detail", complaint))

    assert response.json()["consumer"]["email"] == consumer.email
    log = AccessLog.objects.get(action="personal_data_read")
    assert (log.user, log.object_id) == (user, str(complaint.pk))


def test_consumer_reading_own_complaint_is_not_logged_as_personal_data_read(consumer, complaint):
    client_for(consumer).get(url("complaints_api:complaint-detail", complaint))

    assert not AccessLog.objects.filter(action="personal_data_read").exists()


def test_agent_assigns_to_a_colleague_and_unassigns(agent, manager, complaint):
    client = client_for(manager)

    assigned = client.post(url("complaints_api:complaint-assign", complaint), {"assignee": agent.username})
    unassigned = client.post(url("complaints_api:complaint-assign", complaint), {"assignee": None})

    assert (assigned.status_code, assigned.json()["assigned_to"]) == (200, agent.username)
    assert (unassigned.status_code, unassigned.json()["assigned_to"]) == (200, None)


def test_assigning_to_another_platforms_staff_is_400(agent, other_agent, complaint):
    response = client_for(agent).post(
        url("complaints_api:complaint-assign", complaint), {"assignee": other_agent.username}
    )

    assert response.status_code == 400
    assert "assignee" in response.json()


def test_agent_and_regulator_keep_internal_notes(agent, regulator, complaint):
    created = client_for(agent).post(url("complaints_api:complaint-notes", complaint), {"text": "已联系上游供货商"})
    listed = client_for(regulator).get(url("complaints_api:complaint-notes", complaint))

    assert created.status_code == 201
    assert created.json()["author"] == agent.username
    assert [note["text"] for note in listed.json()] == ["已联系上游供货商"]


def test_empty_note_is_400(agent, complaint):
    response = client_for(agent).post(url("complaints_api:complaint-notes", complaint), {"text": ""})

    assert response.status_code == 400
    assert "text" in response.json()


def test_other_platforms_agent_cannot_see_notes(other_agent, complaint):
    assert client_for(other_agent).get(url("complaints_api:complaint-notes", complaint)).status_code == 404


def test_agent_searches_by_order_number(agent, platform):
    wanted = file_complaint(ConsumerFactory(), platform, order_number="DD-2026-42")
    file_complaint(ConsumerFactory(), platform)

    rows = client_for(agent).get(f"{reverse('complaints_api:complaint-list')}?search=DD-2026-42").json()["results"]

    assert [row["id"] for row in rows] == [wanted.pk]


# --- the inbox ------------------------------------------------------------------------------------


def test_regulator_is_403_on_the_platform_inbox(regulator):
    assert client_for(regulator).get(reverse("complaints_api:platform-inbox")).status_code == 403


@pytest.mark.dated
def test_inbox_orders_by_earliest_running_platform_deadline(agent, platform):
    recent = filed_days_ago(platform, 0.1)
    oldest = filed_days_ago(platform, 0.3)
    withdrawn = filed_days_ago(platform, 0.5)
    services.complaint_withdraw(complaint_id=withdrawn.pk, by=withdrawn.consumer)

    rows = client_for(agent).get(reverse("complaints_api:platform-inbox")).json()["results"]

    assert [row["id"] for row in rows] == [oldest.pk, recent.pk, withdrawn.pk]
    assert rows[-1]["next_due_at"] is None
    assert rows[0]["next_due_at"] is not None


def test_inbox_can_order_newest_first(agent, platform):
    older, newer = filed_days_ago(platform, 2), filed_days_ago(platform, 1)

    rows = client_for(agent).get(f"{reverse('complaints_api:platform-inbox')}?ordering=-created_at").json()["results"]

    assert [row["id"] for row in rows] == [newer.pk, older.pk]


def test_unknown_inbox_ordering_is_400(agent):
    response = client_for(agent).get(f"{reverse('complaints_api:platform-inbox')}?ordering=amount")

    assert response.status_code == 400
    assert "ordering" in response.json()


@pytest.mark.dated
def test_inbox_puts_the_most_urgent_first_then_the_complaints_without_a_clock_newest_first(agent, platform):
    filed_at = timezone.now() - timedelta(days=0.5)
    urgent = file_complaint(ConsumerFactory(), platform, now=filed_at, paid_at=filed_at - timedelta(hours=1))
    later = filed_days_ago(platform, 0.1)
    tied = file_complaint(ConsumerFactory(), platform, now=filed_at, paid_at=filed_at - timedelta(hours=1))
    older_done, newer_done = filed_days_ago(platform, 0.3), filed_days_ago(platform, 0.2)
    for done in (newer_done, older_done):
        services.complaint_withdraw(complaint_id=done.pk, by=done.consumer)

    rows = client_for(agent).get(reverse("complaints_api:platform-inbox")).json()["results"]

    # urgent and tied fall due at the same moment: the higher id first, as among those without a due time.
    assert [row["id"] for row in rows] == [tied.pk, urgent.pk, later.pk, newer_done.pk, older_done.pk]
    assert [row["next_due_at"] is None for row in rows] == [False, False, False, True, True]


@pytest.mark.dated
def test_inbox_cursor_pages_forwards_and_back_cover_everything_once_in_order(agent, platform):
    complaints = [filed_days_ago(platform, 0.1 * n) for n in range(3)]
    for complaint in complaints[:2]:  # no running clock: NULL sort keys
        services.complaint_withdraw(complaint_id=complaint.pk, by=complaint.consumer)
    complaints += [filed_days_ago(platform, 0.5) for _ in range(2)]  # equal due times
    client = client_for(agent)
    everything = [row["id"] for row in client.get(reverse("complaints_api:platform-inbox")).json()["results"]]
    forwards = [client.get(f"{reverse('complaints_api:platform-inbox')}?page_size=2").json()]
    while forwards[-1]["next"]:
        forwards.append(client.get(forwards[-1]["next"]).json())
    backwards = [forwards[-1]]
    while backwards[-1]["previous"]:
        backwards.append(client.get(backwards[-1]["previous"]).json())

    assert sorted(everything) == sorted(c.pk for c in complaints)
    assert [row["id"] for p in forwards for row in p["results"]] == everything
    assert [p["results"] for p in reversed(backwards)] == [p["results"] for p in forwards]


def test_invalid_inbox_cursor_is_404(agent):
    assert client_for(agent).get(f"{reverse('complaints_api:platform-inbox')}?cursor=bm9wZQ").status_code == 404


@pytest.mark.dated
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=info_requested", {"on_hold"}),
        ("overdue=true", {"overdue"}),
        ("assigned_to_me=true", {"mine"}),
        ("problem=wrong_item", {"wrong_item"}),
        ("due_soon=0", {"overdue"}),
    ],
)
def test_inbox_filters(agent, platform, query, expected):
    complaints = {
        "on_hold": filed_days_ago(platform, 0.1),
        "overdue": filed_days_ago(platform, 0.2),
        "mine": filed_days_ago(platform, 0.1),
        "wrong_item": filed_days_ago(platform, 0.1, problem="wrong_item"),
    }
    services.complaint_request_info(complaint_id=complaints["on_hold"].pk, by=agent, message="请补充截图")
    Complaint.objects.filter(pk=complaints["overdue"].pk).update(is_overdue=True)
    complaints["overdue"].deadlines.update(due_at=timezone.now() - timedelta(hours=1))
    sync_platform_due([complaints["overdue"].pk])
    services.complaint_assign(complaint_ids=[complaints["mine"].pk], by=agent, assignee=agent)

    rows = client_for(agent).get(f"{reverse('complaints_api:platform-inbox')}?{query}").json()["results"]

    assert {row["id"] for row in rows} == {complaints[name].pk for name in expected}


@pytest.mark.dated
def test_due_before_filter(agent, platform):
    soon, later = filed_days_ago(platform, 0.5), filed_days_ago(platform, 0)
    cutoff = soon.deadlines.order_by("due_at").first().due_at

    response = client_for(agent).get(reverse("complaints_api:platform-inbox"), {"due_before": cutoff.isoformat()})

    assert [row["id"] for row in response.json()["results"]] == [soon.pk]
    assert later.pk not in {row["id"] for row in response.json()["results"]}


@pytest.mark.dated
def test_due_before_with_an_offset_postgresql_cannot_store_is_compared_in_utc(agent, platform):
    soon = filed_days_ago(platform, 0.5)
    cutoff = soon.deadlines.order_by("due_at").first().due_at.astimezone(dt_timezone(timedelta(hours=16, minutes=8)))

    response = client_for(agent).get(reverse("complaints_api:platform-inbox"), {"due_before": cutoff.isoformat()})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [soon.pk]


@pytest.mark.parametrize("param", ["due_before", "created_after"])
def test_a_date_time_beyond_year_one_in_utc_is_a_field_error(agent, param):
    name = "complaints_api:platform-inbox" if param == "due_before" else "complaints_api:complaint-list"
    url = reverse(name)

    response = client_for(agent).get(url, {param: "0001-01-01T00:30:00+16:00"})

    assert response.status_code == 400
    assert param in response.json()


@pytest.mark.parametrize("count", [3, 20])
def test_inbox_query_count_does_not_grow_with_complaints(agent, platform, django_assert_max_num_queries, count):
    for _ in range(count):
        complaint = file_complaint(ConsumerFactory(), platform)
        services.complaint_assign(complaint_ids=[complaint.pk], by=agent, assignee=agent)
    client = client_for(agent)

    with django_assert_max_num_queries(1):
        response = client.get(reverse("complaints_api:platform-inbox"))

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [3, 20])
def test_staff_list_query_count_does_not_grow_with_complaints(agent, platform, django_assert_max_num_queries, count):
    for _ in range(count):
        file_complaint(ConsumerFactory(), platform)
    client = client_for(agent)

    with django_assert_max_num_queries(2):
        response = client.get(reverse("complaints_api:complaint-list"))

    assert response.json()["count"] == count
