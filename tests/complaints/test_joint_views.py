"""Joint complaints on the web: start, join with consent, what members see, the refusal of a settlement without
every member's consent, and the platform's one answer."""

import pytest
from django.urls import reverse
from django.utils import translation

from complaints.joint import joint_consent, joint_propose
from complaints.models import Complaint, JointComplaint, JointMembership, ProposalKind, Status
from tests.factories import ConsumerFactory, file_complaint

from .joint_helpers import three_members

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English; the Chinese ones come from the same msgids."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def test_a_consumer_starts_a_joint_complaint_on_the_web(client, consumer, complaint):
    client.force_login(consumer)
    url = reverse("complaints:joint-new", args=[complaint.pk])
    assert client.get(url).status_code == 200
    answer = client.post(url, {"title": "不发货", "summary": "付款后一直未收到卡密。", "consent": "on"})
    joint = JointComplaint.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("complaints:joint-detail", args=[joint.pk])


def test_starting_without_the_consent_box_keeps_the_input(client, consumer, complaint):
    client.force_login(consumer)
    answer = client.post(
        reverse("complaints:joint-new", args=[complaint.pk]), {"title": "不发货", "summary": "付款后一直未收到卡密。"}
    )
    assert answer.status_code == 400
    assert "不发货" in answer.content.decode()
    assert not JointComplaint.objects.exists()


def test_joining_with_the_link_and_consent(client, platform):
    case = three_members(platform, elect=False)
    newcomer = ConsumerFactory()
    complaint = file_complaint(newcomer, platform)
    client.force_login(newcomer)
    page = client.get(reverse("complaints:joint-join") + f"?code={case.joint.join_code}")
    assert case.joint.join_code in page.content.decode()
    answer = client.post(
        reverse("complaints:joint-join"),
        {"join_code": case.joint.join_code, "complaint": complaint.pk, "consent": "on"},
    )
    assert answer.status_code == 302
    assert JointMembership.objects.filter(joint=case.joint, complaint=complaint).exists()


def test_a_complaint_against_another_platform_cannot_join_on_the_web(client, platform, other_platform):
    case = three_members(platform, elect=False)
    outsider = ConsumerFactory()
    complaint = file_complaint(outsider, other_platform)
    client.force_login(outsider)
    answer = client.post(
        reverse("complaints:joint-join"),
        {"join_code": case.joint.join_code, "complaint": complaint.pk, "consent": "on"},
    )
    assert answer.status_code == 400
    assert "same platform" in answer.content.decode()
    assert not JointMembership.objects.filter(complaint=complaint).exists()


def test_members_see_the_count_and_representatives_names_not_each_others_data(client, platform):
    case = three_members(platform)
    client.force_login(case.consumers[2])
    page = client.get(reverse("complaints:joint-detail", args=[case.joint.pk])).content.decode()
    assert 'data-testid="member-count">3<' in page
    assert "张三" in page and "李四" in page
    for other, complaint in zip(case.consumers[:2], case.complaints[:2], strict=True):
        assert other.email not in page
        assert complaint.reference not in page
        assert complaint.order_number not in page


def test_an_outsider_gets_404(client, platform):
    case = three_members(platform)
    client.force_login(ConsumerFactory())
    assert client.get(reverse("complaints:joint-detail", args=[case.joint.pk])).status_code == 404


def test_a_settlement_without_every_consent_is_refused_with_the_article(client, platform):
    case = three_members(platform)
    proposal = joint_propose(
        by=case.consumers[0], joint_id=case.joint.pk, kind=ProposalKind.SETTLEMENT, text="平台退还每人全部货款。"
    )
    joint_consent(by=case.consumers[0], proposal_id=proposal.pk, consents=True)
    client.force_login(case.consumers[0])
    answer = client.post(reverse("complaints:joint-adopt", args=[proposal.pk]), follow=True)
    page = answer.content.decode()
    assert "Order 121 Art. 12" in page
    assert "2 member(s) have not consented" in page
    proposal.refresh_from_db()
    assert proposal.status == "open"


def test_a_member_consents_on_the_web(client, platform):
    case = three_members(platform)
    proposal = joint_propose(
        by=case.consumers[0],
        joint_id=case.joint.pk,
        kind=ProposalKind.CLAIM_CHANGE,
        text="改为只要求退款，不再要求补发。",
    )
    client.force_login(case.consumers[2])
    client.post(reverse("complaints:joint-consent", args=[proposal.pk]), {"consents": "no"})
    assert proposal.consents.get().consents is False


def test_electing_on_the_web(client, platform):
    case = three_members(platform, elect=False)
    client.force_login(case.consumers[0])
    client.post(reverse("complaints:joint-elect", args=[case.joint.pk]), {"candidates": [case.memberships[2].pk]})
    assert case.memberships[0].choices_made.get().candidate_id == case.memberships[2].pk


def test_the_platform_answers_every_member_from_one_page(client, platform, agent):
    case = three_members(platform)
    client.force_login(agent)
    assert case.joint.title in client.get(reverse("complaints:joint-inbox")).content.decode()
    url = reverse("complaints:joint-answer", args=[case.joint.pk])
    assert client.get(url).status_code == 200
    answer = client.post(url, {"outcome": "compensated", "message": "每人补偿10元", "compensation": "10元"})
    assert answer.status_code == 302
    statuses = set(Complaint.objects.filter(pk__in=[c.pk for c in case.complaints]).values_list("status", flat=True))
    assert statuses == {Status.AWAITING_CONSUMER}


def test_a_consumer_cannot_open_the_platform_answer_page(client, platform):
    case = three_members(platform)
    client.force_login(case.consumers[0])
    assert client.get(reverse("complaints:joint-answer", args=[case.joint.pk])).status_code == 403


def test_another_platform_cannot_answer(client, platform, other_agent):
    case = three_members(platform)
    client.force_login(other_agent)
    assert client.get(reverse("complaints:joint-answer", args=[case.joint.pk])).status_code == 404


def test_the_refusal_quotes_article_12_in_chinese(client, platform):
    case = three_members(platform)
    proposal = joint_propose(
        by=case.consumers[0], joint_id=case.joint.pk, kind=ProposalKind.SETTLEMENT, text="平台退还每人全部货款。"
    )
    client.force_login(case.consumers[0])
    with translation.override("zh-hans"):
        answer = client.post(
            reverse("complaints:joint-adopt", args=[proposal.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    assert "应当经被代表的投诉人同意" in answer.content.decode()


def test_the_join_page_lists_the_consumers_joint_complaints(client, platform, django_assert_max_num_queries):
    case = three_members(platform)
    client.force_login(case.consumers[1])
    with django_assert_max_num_queries(8):
        page = client.get(reverse("complaints:joint-join")).content.decode()
    assert reverse("complaints:joint-detail", args=[case.joint.pk]) in page
    assert "3 members" in page


def test_the_joint_page_reads_a_fixed_number_of_queries(client, platform, django_assert_max_num_queries):
    case = three_members(platform)
    proposal = joint_propose(
        by=case.consumers[0], joint_id=case.joint.pk, kind=ProposalKind.SETTLEMENT, text="平台退还每人全部货款。"
    )
    joint_consent(by=case.consumers[1], proposal_id=proposal.pk, consents=True)
    client.force_login(case.consumers[2])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("complaints:joint-detail", args=[case.joint.pk])).status_code == 200
