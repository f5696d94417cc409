"""The office's decision whether it handles a joint complaint jointly (SAMR Order 121 Art. 12: 市场监督管理部门可以
按共同投诉处理): once, by a regulator of the office scope, on every member's chain; a declined joint complaint takes
no further joint acts."""

import pytest
import time_machine
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from complaints import joint as joint_services
from complaints.events import verify_chain
from complaints.models import Complaint, EventKind, JointComplaint, ProposalKind
from portal.errors import Conflict
from tests.factories import PlatformFactory, StaffFactory
from tests.fixtures_roles import client_for, make_api_key
from tests.offices import build_tree

from .joint_helpers import three_members

pytestmark = pytest.mark.django_db

NOW = "2026-12-03 10:00:00+08:00"


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English; the Chinese ones come from the same msgids."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def decide_url(joint) -> str:
    return reverse("regulation_api:regulator-joint-decide", args=[joint.pk])


def test_accepting_records_the_decision_on_every_members_chain(platform, regulator):
    case = three_members(platform)
    with time_machine.travel(NOW, tick=False):
        answer = client_for(regulator).post(decide_url(case.joint), {"accept": True}, format="json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["handled_jointly"] is True
    assert body["decided_at"] == "2026-12-03T10:00:00+08:00"
    joint = JointComplaint.objects.get(pk=case.joint.pk)
    assert (joint.handled_jointly, joint.decided_by, joint.decision_reason) == (True, regulator, "")
    for complaint in Complaint.objects.filter(pk__in=[c.pk for c in case.complaints]):
        event = complaint.events.order_by("-sequence").first()
        assert event.kind == EventKind.JOINT_HANDLING_DECIDED
        assert event.data["handled_jointly"] is True
        assert event.data["joint_complaint"] == joint.pk
        assert event.actor == regulator
        assert verify_chain(complaint) is None


def test_declining_needs_a_reason(platform, regulator):
    case = three_members(platform)
    answer = client_for(regulator).post(decide_url(case.joint), {"accept": False, "reason": "  "}, format="json")
    assert answer.status_code == 400
    assert answer.json()["reason"] == ["Give the reason for declining in at least 5 characters."]
    assert JointComplaint.objects.get(pk=case.joint.pk).decided_at is None
    assert not case.complaints[0].events.filter(kind=EventKind.JOINT_HANDLING_DECIDED).exists()


def test_accept_must_be_given(platform, regulator):
    case = three_members(platform)
    answer = client_for(regulator).post(decide_url(case.joint), {"reason": "同一争议"}, format="json")
    assert answer.status_code == 400
    assert "accept" in answer.json()


def test_a_second_decision_answers_409(platform, regulator):
    case = three_members(platform)
    client = client_for(regulator)
    assert client.post(decide_url(case.joint), {"accept": True}, format="json").status_code == 200
    again = client.post(decide_url(case.joint), {"accept": False, "reason": "不属于同一争议"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "joint_decided"
    assert JointComplaint.objects.get(pk=case.joint.pk).handled_jointly is True
    assert case.complaints[0].events.filter(kind=EventKind.JOINT_HANDLING_DECIDED).count() == 1


def test_a_regulator_outside_the_office_scope_gets_404():
    tree = build_tree()
    platform = PlatformFactory(domicile_code=tree.district_a.division_code)
    case = three_members(platform, elect=False)
    for name in ("b", "cousin"):
        answer = client_for(tree.regulator(name)).post(decide_url(case.joint), {"accept": True}, format="json")
        assert answer.status_code == 404, name
    assert JointComplaint.objects.get(pk=case.joint.pk).decided_at is None
    assert client_for(tree.regulator("city")).post(decide_url(case.joint), {"accept": True}).status_code == 200


def test_a_regulator_without_an_office_cannot_decide(platform, regulator):
    case = three_members(platform)
    regulator.office = None
    regulator.save()
    with pytest.raises(Http404):
        joint_services.joint_handling_decide(by=regulator, joint_id=case.joint.pk, accept=True)


@pytest.mark.parametrize("who", ["member", "agent"])
def test_consumers_and_platforms_get_403(platform, agent, who):
    case = three_members(platform)
    user = case.consumers[0] if who == "member" else agent
    answer = client_for(user).post(decide_url(case.joint), {"accept": True}, format="json")
    assert answer.status_code == 403
    assert JointComplaint.objects.get(pk=case.joint.pk).decided_at is None


def test_handling_jointly_needs_two_members(platform, regulator):
    case = three_members(platform, elect=False)
    for consumer in case.consumers[1:]:
        joint_services.joint_leave(by=consumer, joint_id=case.joint.pk)
    with pytest.raises(Conflict) as refused:
        joint_services.joint_handling_decide(by=regulator, joint_id=case.joint.pk, accept=True)
    assert refused.value.code == "joint_too_few"


def decline(case, regulator):
    return joint_services.joint_handling_decide(
        by=regulator, joint_id=case.joint.pk, accept=False, reason="各投诉人的订单情况不同，分别处理。"
    )


def test_a_declined_joint_complaint_refuses_new_proposals(platform, regulator):
    case = three_members(platform)
    decline(case, regulator)
    answer = client_for(case.consumers[0]).post(
        reverse("complaints_api:joint-propose", args=[case.joint.pk]),
        {"kind": ProposalKind.SETTLEMENT, "text": "平台退还每人全部货款。"},
        format="json",
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "joint_declined"
    assert not case.joint.proposals.exists()


def test_a_declined_joint_complaint_refuses_consent_to_an_open_proposal(platform, regulator):
    case = three_members(platform)
    proposal = joint_services.joint_propose(
        by=case.consumers[0], joint_id=case.joint.pk, kind=ProposalKind.SETTLEMENT, text="平台退还每人全部货款。"
    )
    decline(case, regulator)
    with pytest.raises(Conflict) as refused:
        joint_services.joint_consent(by=case.consumers[2], proposal_id=proposal.pk, consents=True)
    assert refused.value.code == "joint_declined"


def test_a_declined_joint_complaint_takes_no_joint_answer_but_members_are_answered_alone(platform, regulator):
    case = three_members(platform)
    decline(case, regulator)
    client = client_for(api_key=make_api_key(platform))
    body = {"outcome": "compensated", "message": "每人补偿10元", "compensation": "10元"}
    joint_answer = client.post(reverse("complaints_api:joint-answer", args=[case.joint.pk]), body, format="json")
    assert joint_answer.status_code == 409
    alone = client.post(reverse("complaints_api:complaint-respond", args=[case.complaints[0].pk]), body, format="json")
    assert alone.status_code == 201


def test_the_platform_answers_the_group_before_the_decision_and_the_office_decides_after(platform, regulator):
    case = three_members(platform)
    joint_services.joint_answer(
        by=StaffFactory(platform=platform),
        joint_id=case.joint.pk,
        outcome="compensated",
        message="补偿",
        compensation="10元",
    )
    joint = joint_services.joint_handling_decide(by=regulator, joint_id=case.joint.pk, accept=True)
    assert joint.handled_jointly is True
    assert joint.answered_at is not None


def test_members_see_the_decision_on_the_joint_page(client, platform, regulator):
    case = three_members(platform)
    client.force_login(case.consumers[1])
    page = reverse("complaints:joint-detail", args=[case.joint.pk])
    assert "Not decided yet" in client.get(page).content.decode()
    decline(case, regulator)
    text = client.get(page).content.decode()
    assert "Declined on" in text
    assert "各投诉人的订单情况不同，分别处理。" in text


def test_the_admin_form_records_the_decision_in_scope_only(client):
    tree = build_tree()
    platform = PlatformFactory(domicile_code=tree.district_a.division_code)
    case = three_members(platform)
    url = reverse("admin:complaints_jointcomplaint_decide", args=[case.joint.pk])
    client.force_login(tree.regulator("b"))
    assert client.post(url, {"accept": "yes"}).status_code == 404
    client.force_login(tree.regulator("a"))
    change = reverse("admin:complaints_jointcomplaint_change", args=[case.joint.pk])
    assert url in client.get(change).content.decode()
    assert client.get(url).status_code == 200
    missing_reason = client.post(url, {"accept": "no", "reason": ""})
    assert missing_reason.status_code == 200
    assert "Give the reason for declining" in missing_reason.content.decode()
    done = client.post(url, {"accept": "no", "reason": "不属于同一争议。"})
    assert done.status_code == 302
    joint = JointComplaint.objects.get(pk=case.joint.pk)
    assert joint.handled_jointly is False
    assert joint.decision_reason == "不属于同一争议。"
    assert joint.decided_at <= timezone.now()
    assert url not in client.get(change).content.decode()
