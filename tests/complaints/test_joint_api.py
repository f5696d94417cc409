"""The joint complaints API (/api/v1/joint-complaints/…): who may do what, 409 where Order 121 Art. 12 refuses,
and what members see of each other."""

import pytest
from django.urls import reverse
from django.utils import translation

from complaints.models import Complaint, EventKind, JointMembership, ProposalKind, Response, Status
from portal.models import OutboxMessage
from tests.factories import ConsumerFactory, StaffFactory, file_complaint
from tests.fixtures_roles import client_for, make_api_key

from .joint_helpers import three_members

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English; the Chinese ones come from the same msgids."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def detail_url(joint) -> str:
    return reverse("complaints_api:joint-detail", args=[joint.pk])


def test_a_consumer_starts_a_joint_complaint_from_their_complaint(consumer, complaint):
    answer = client_for(consumer).post(
        reverse("complaints_api:joint-list"),
        {"complaint": complaint.pk, "title": "不发货", "summary": "付款后一直未收到卡密。", "consent": True},
        format="json",
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["member_count"] == 1
    assert body["join_code"]
    assert body["members"] == [
        {
            "id": body["members"][0]["id"],
            "number": 1,
            "is_representative": False,
            "is_me": True,
            "representative_name": None,
        }
    ]


def test_starting_without_consent_answers_field_messages(consumer, complaint):
    answer = client_for(consumer).post(
        reverse("complaints_api:joint-list"),
        {"complaint": complaint.pk, "title": "不发货", "summary": "付款后一直未收到卡密。", "consent": False},
        format="json",
    )
    assert answer.status_code == 400
    assert "consent" in answer.json()


def test_bad_input_answers_400_not_500(consumer):
    answer = client_for(consumer).post(reverse("complaints_api:joint-list"), {"complaint": "x"}, format="json")
    assert answer.status_code == 400
    assert {"complaint", "title", "summary", "consent"} <= set(answer.json())


def test_joining_with_the_code(platform):
    case = three_members(platform, elect=False)
    newcomer = ConsumerFactory()
    complaint = file_complaint(newcomer, platform)
    answer = client_for(newcomer).post(
        reverse("complaints_api:joint-join"),
        {"join_code": case.joint.join_code, "complaint": complaint.pk, "consent": True},
        format="json",
    )
    assert answer.status_code == 201
    assert answer.json()["member_count"] == 4


def test_a_member_of_another_platforms_complaint_cannot_join(platform, other_platform):
    case = three_members(platform, elect=False)
    outsider = ConsumerFactory()
    complaint = file_complaint(outsider, other_platform)
    answer = client_for(outsider).post(
        reverse("complaints_api:joint-join"),
        {"join_code": case.joint.join_code, "complaint": complaint.pk, "consent": True},
        format="json",
    )
    assert answer.status_code == 400
    assert "complaint" in answer.json()
    assert not JointMembership.objects.filter(complaint=complaint).exists()


def test_members_see_counts_and_representatives_names_only(platform):
    case = three_members(platform)
    body = client_for(case.consumers[2]).get(detail_url(case.joint)).json()
    assert body["member_count"] == 3
    assert body["representatives"] == ["张三", "李四"]
    assert body["complaints"] is None
    text = str(body)
    for other, complaint in zip(case.consumers[:2], case.complaints[:2], strict=True):
        assert other.email not in text
        assert other.username not in text
        assert complaint.reference not in text
        assert complaint.order_number not in text
    assert [m["representative_name"] for m in body["members"]] == ["张三", "李四", None]
    assert [m["is_me"] for m in body["members"]] == [False, False, True]


def test_the_platform_sees_member_complaints_but_not_the_join_code(platform, agent):
    case = three_members(platform)
    body = client_for(agent).get(detail_url(case.joint)).json()
    assert sorted(c["reference"] for c in body["complaints"]) == sorted(c.reference for c in case.complaints)
    assert body["join_code"] is None
    assert body["members"] is None


def test_electing_a_third_representative_answers_409(platform):
    case = three_members(platform)
    answer = client_for(case.consumers[2]).post(
        reverse("complaints_api:joint-representatives", args=[case.joint.pk]),
        {"candidates": [case.memberships[2].pk]},
        format="json",
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "representatives_full"
    assert "Art. 12" in answer.json()["detail"]


def test_a_settlement_without_one_members_consent_answers_409(platform):
    case = three_members(platform)
    representative = client_for(case.consumers[0])
    proposed = representative.post(
        reverse("complaints_api:joint-propose", args=[case.joint.pk]),
        {"kind": ProposalKind.SETTLEMENT, "text": "平台退还每人全部货款。"},
        format="json",
    )
    assert proposed.status_code == 200
    proposal_id = proposed.json()["proposals"][0]["id"]
    for consumer in case.consumers[:2]:
        consented = client_for(consumer).post(
            reverse("complaints_api:joint-consent", args=[proposal_id]), {"consents": True}, format="json"
        )
        assert consented.status_code == 200
    refused = representative.post(reverse("complaints_api:joint-adopt", args=[proposal_id]), {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "consent_missing"
    assert "Art. 12" in refused.json()["detail"]
    client_for(case.consumers[2]).post(
        reverse("complaints_api:joint-consent", args=[proposal_id]), {"consents": True}, format="json"
    )
    adopted = representative.post(reverse("complaints_api:joint-adopt", args=[proposal_id]), {}, format="json")
    assert adopted.status_code == 200
    assert adopted.json()["proposals"][0]["status"] == "adopted"


def test_the_platform_answers_once_with_its_api_key_and_every_member_hears(platform):
    case = three_members(platform)
    OutboxMessage.objects.all().delete()
    client = client_for(api_key=make_api_key(platform))
    url = reverse("complaints_api:joint-answer", args=[case.joint.pk])
    answer = client.post(
        url, {"outcome": "compensated", "message": "每人补偿10元", "compensation": "10元"}, format="json"
    )
    assert answer.status_code == 201
    assert len(answer.json()) == 3
    for complaint in Complaint.objects.filter(pk__in=[c.pk for c in case.complaints]):
        assert complaint.status == Status.AWAITING_CONSUMER
        assert complaint.events.order_by("-sequence").first().kind == EventKind.ANSWERED
    assert OutboxMessage.objects.filter(template="complaint_answered").count() == 3
    again = client.post(url, {"outcome": "compensated", "message": "再答", "compensation": "10元"}, format="json")
    assert again.status_code == 409


def test_a_joint_answer_with_missing_fields_answers_400(platform, agent):
    case = three_members(platform)
    answer = client_for(agent).post(
        reverse("complaints_api:joint-answer", args=[case.joint.pk]),
        {"outcome": "refunded", "message": "退"},
        format="json",
    )
    assert answer.status_code == 400
    assert "refund_amount" in answer.json()
    assert not Response.objects.exists()


# --- role × object ---------------------------------------------------------------------------------------

READ = "read"
ANSWER = "answer"
ELECT = "elect"


def call(action, client, case):
    if action == READ:
        return client.get(detail_url(case.joint))
    if action == ANSWER:
        return client.post(
            reverse("complaints_api:joint-answer", args=[case.joint.pk]),
            {"outcome": "compensated", "message": "补偿", "compensation": "10元"},
            format="json",
        )
    return client.post(
        reverse("complaints_api:joint-representatives", args=[case.joint.pk]),
        {"candidates": [case.memberships[2].pk]},
        format="json",
    )


@pytest.mark.parametrize(
    ("who", "action", "expected"),
    [
        ("member", READ, 200),
        ("member", ANSWER, 403),
        ("member", ELECT, 200),
        ("outsider_consumer", READ, 404),
        ("outsider_consumer", ANSWER, 403),
        ("outsider_consumer", ELECT, 404),
        ("agent", READ, 200),
        ("agent", ANSWER, 201),
        ("agent", ELECT, 403),
        ("other_platform_agent", READ, 404),
        ("other_platform_agent", ANSWER, 404),
        ("other_platform_agent", ELECT, 403),
        ("regulator", READ, 200),
        ("regulator", ANSWER, 403),
        ("regulator", ELECT, 403),
        ("anonymous", READ, 401),
        ("anonymous", ANSWER, 401),
    ],
)
def test_role_by_object_matrix(platform, other_platform, regulator, who, action, expected):
    case = three_members(platform, elect=False)
    users = {
        "member": case.consumers[2],
        "outsider_consumer": ConsumerFactory(),
        "agent": StaffFactory(platform=platform),
        "other_platform_agent": StaffFactory(platform=other_platform),
        "regulator": regulator,
        "anonymous": None,
    }
    answer = call(action, client_for(users[who]), case)
    assert answer.status_code == expected, answer.content


def test_unknown_joint_complaint_is_404(consumer):
    assert client_for(consumer).get(reverse("complaints_api:joint-detail", args=[999999])).status_code == 404


def test_the_list_is_scoped(platform, other_agent, agent):
    case = three_members(platform, elect=False)
    assert [j["id"] for j in client_for(agent).get(reverse("complaints_api:joint-list")).json()] == [case.joint.pk]
    assert client_for(other_agent).get(reverse("complaints_api:joint-list")).json() == []
    assert client_for(ConsumerFactory()).get(reverse("complaints_api:joint-list")).json() == []
