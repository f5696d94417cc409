"""The case desk over the API: every move, the 400 / 403 / 404 / 409 contract, and the queue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import PLATFORM_CLOCKS, ClockKind, Deadline, Finding, Status
from regulation.api.urls_desk import MOVES
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory
from tests.fixtures_roles import client_for, make_api_key
from tests.regulation.desk_helpers import accepted_complaint, escalated_complaint, mediated_complaint, triaged_complaint

pytestmark = pytest.mark.django_db

MOVE_NAMES = [move for move, _view in MOVES]


def move(user, complaint, name, body=None, **client_options):
    return client_for(user, **client_options).post(
        reverse(f"regulation_api:desk-{name}", args=[complaint.pk]), body or {}, format="json"
    )


# --- moves ----------------------------------------------------------------------------------------------


def test_forward_from_the_api_starts_the_platform_clocks(regulator, platform):
    complaint = triaged_complaint()
    response = move(regulator, complaint, "forward", {"platform": platform.slug})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Status.AWAITING_PLATFORM
    running = {clock["kind"] for clock in response.json()["clocks"] if clock["state"] == "running"}
    assert running == set(PLATFORM_CLOCKS)


def test_forward_may_register_the_platform_first(regulator):
    response = move(
        regulator, triaged_complaint(), "forward", {"new_platform_name": "星辰卡盟", "new_platform_slug": "xc"}
    )
    assert response.status_code == 200 and response.json()["platform"] == "xc"


def test_forward_needs_one_platform(regulator, platform):
    response = move(regulator, triaged_complaint(), "forward", {})
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_forward_of_a_complaint_not_in_triage_is_409(regulator, complaint, other_platform):
    assert move(regulator, complaint, "forward", {"platform": other_platform.slug}).status_code == 409


def test_accept_answers_the_complaint_with_its_notice(regulator):
    response = move(regulator, escalated_complaint(), "accept", {"note": "符合受理条件"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == Status.ACCEPTED and [notice["kind"] for notice in body["notices"]] == ["acceptance"]


def test_refusal_without_a_ground_is_400(regulator):
    response = move(regulator, escalated_complaint(), "refuse", {"reason": "不属于本局管辖，理由很详细"})
    assert response.status_code == 400 and "ground" in response.json()


def test_refusal_with_an_unknown_ground_is_400(regulator):
    response = move(regulator, escalated_complaint(), "refuse", {"ground": "art99_1"})
    assert response.status_code == 400 and "ground" in response.json()


def test_refusal_with_a_ground(regulator):
    response = move(regulator, escalated_complaint(), "refuse", {"ground": "art16_1", "reason": "不属于本局管辖"})
    assert response.status_code == 200
    assert (response.json()["finding"], response.json()["notices"][0]["ground_code"]) == (Finding.REFUSED, "art16_1")


def test_request_identity(regulator):
    deadline = (timezone.localdate() + timedelta(days=5)).isoformat()
    response = move(
        regulator, escalated_complaint(), "request-identity", {"message": "请上传身份证明", "deadline": deadline}
    )
    assert response.status_code == 200 and response.json()["status"] == Status.ESCALATED


def test_request_identity_needs_a_deadline(regulator):
    response = move(regulator, escalated_complaint(), "request-identity", {"message": "请上传身份证明"})
    assert response.status_code == 400 and "deadline" in response.json()


def test_mediation_consent_of_both_parties_starts_mediation(regulator):
    response = move(
        regulator, accepted_complaint(regulator), "mediation-consent", {"parties": ["consumer", "platform"]}
    )
    assert response.status_code == 200 and response.json()["status"] == Status.MEDIATION


def test_mediation_consent_of_an_unknown_party_is_400(regulator):
    response = move(regulator, accepted_complaint(regulator), "mediation-consent", {"parties": ["court"]})
    assert response.status_code == 400 and "parties" in response.json()


def test_testing_start_pauses_and_testing_end_resumes_mediation(regulator):
    complaint = mediated_complaint(regulator)
    started = move(regulator, complaint, "testing-start", {"note": "送检"})
    assert started.status_code == 200 and started.json()["status"] == Status.TESTING
    mediation = Deadline.objects.get(complaint=complaint, kind=ClockKind.MEDIATION)
    assert mediation.paused_at is not None
    ended = move(regulator, complaint, "testing-end")
    assert ended.status_code == 200 and ended.json()["status"] == Status.MEDIATION


def test_testing_end_without_a_test_is_409(regulator):
    assert move(regulator, mediated_complaint(regulator), "testing-end").status_code == 409


def test_agreement(regulator):
    response = move(regulator, mediated_complaint(regulator), "agreement", {"kind": "record", "terms": "当场退款"})
    assert response.status_code == 200 and response.json()["finding"] == Finding.AGREEMENT


def test_termination_without_a_ground_is_400(regulator):
    response = move(regulator, mediated_complaint(regulator), "terminate", {"reason": "双方分歧太大"})
    assert response.status_code == 400 and "ground" in response.json()


def test_termination_starts_the_notice_clock(regulator):
    response = move(regulator, mediated_complaint(regulator), "terminate", {"ground": "art23_2"})
    assert response.status_code == 200
    kinds = {clock["kind"]: clock["state"] for clock in response.json()["clocks"]}
    assert kinds[ClockKind.TERMINATION_NOTICE] == "running"
    assert response.json()["desk_due_at"] is not None


def test_refer_police(regulator):
    response = move(regulator, escalated_complaint(), "refer-police", {"reason": "伪造支付凭证"})
    assert response.status_code == 200 and response.json()["finding"] == Finding.REFERRED_POLICE


def test_close(regulator):
    response = move(regulator, escalated_complaint(), "close", {"finding": "not_upheld"})
    assert response.status_code == 200 and response.json()["finding"] == Finding.NOT_UPHELD


def test_a_move_takes_json_only(regulator):
    client = client_for(regulator)
    response = client.post(
        reverse("regulation_api:desk-close", args=[escalated_complaint().pk]), {"finding": "upheld"}, format="multipart"
    )
    assert response.status_code == 415


# --- who may call the desk -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MOVE_NAMES)
@pytest.mark.parametrize("role", ["owner", "other_consumer", "agent", "api_key"])
def test_only_regulators_make_desk_moves(name, role, platform):
    complaint = escalated_complaint(platform=platform)
    callers = {
        "owner": {"user": complaint.consumer},
        "other_consumer": {"user": ConsumerFactory()},
        "agent": {"user": StaffFactory(platform=platform)},
        "api_key": {"api_key": make_api_key(platform)},
    }
    response = (
        move(None, complaint, name, **callers[role])
        if role == "api_key"
        else move(callers[role]["user"], complaint, name)
    )
    assert response.status_code == 403


@pytest.mark.parametrize("name", MOVE_NAMES)
def test_anonymous_callers_get_401(name):
    assert move(None, escalated_complaint(), name).status_code == 401


@pytest.mark.parametrize("name", MOVE_NAMES)
def test_a_missing_complaint_is_404(regulator, name):
    response = client_for(regulator).post(reverse(f"regulation_api:desk-{name}", args=[999999]), {}, format="json")
    assert response.status_code == 404


# --- the queue -----------------------------------------------------------------------------------------------


def queue(user, **params):
    return client_for(user).get(reverse("regulation_api:desk-queue"), params)


def references(response) -> list[str]:
    return [row["reference"] for row in response.json()["results"]]


def test_queue_lists_what_waits_on_a_regulator_most_urgent_first(regulator, complaint):
    later, sooner = escalated_complaint(), escalated_complaint()
    Deadline.objects.filter(complaint=sooner, kind=ClockKind.REGULATOR_ACCEPTANCE).update(
        due_at=timezone.now() + timedelta(hours=1)
    )
    triaged = triaged_complaint()
    response = queue(regulator)
    assert response.status_code == 200
    assert references(response) == [sooner.reference, later.reference, triaged.reference]


def test_queue_keeps_a_terminated_complaint_until_its_notice_is_issued(regulator):
    complaint = mediated_complaint(regulator)
    move(regulator, complaint, "terminate", {"ground": "art23_2"})
    assert complaint.reference in references(queue(regulator))


def test_queue_filters_by_status(regulator):
    escalated, accepted = escalated_complaint(), accepted_complaint(regulator)
    assert references(queue(regulator, status="accepted")) == [accepted.reference]
    assert escalated.reference in references(queue(regulator, status="escalated"))


def test_queue_filters_overdue_and_due_before(regulator):
    overdue, on_time = escalated_complaint(), escalated_complaint()
    Deadline.objects.filter(complaint=overdue, kind=ClockKind.REGULATOR_ACCEPTANCE).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    assert references(queue(regulator, overdue="true")) == [overdue.reference]
    assert references(queue(regulator, overdue="false")) == [on_time.reference]
    soon = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert references(queue(regulator, due_before=soon)) == [overdue.reference]


def test_queue_refuses_consumers_and_platforms(consumer, agent):
    assert queue(consumer).status_code == 403 and queue(agent).status_code == 403


def test_queue_query_count_does_not_grow_with_rows(regulator, django_assert_max_num_queries):
    for _ in range(3):
        escalated_complaint(platform=PlatformFactory())
    with django_assert_max_num_queries(8):
        assert len(references(queue(regulator))) == 3
