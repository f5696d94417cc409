"""Joint complaints (SAMR Order 121 Art. 12): joining with consent, representatives, consent per member to a
settlement, and one platform answer reaching every member."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation

from complaints import joint as joint_services
from complaints import services
from complaints.events import verify_chain
from complaints.models import (
    Complaint,
    EventKind,
    JointMembership,
    MemberConsent,
    Problem,
    ProposalKind,
    ProposalStatus,
    Response,
    Status,
)
from portal.errors import Conflict, IllegalTransition
from portal.models import OutboxMessage
from tests.factories import ConsumerFactory, file_complaint

from .joint_helpers import three_members

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English; the Chinese ones come from the same msgids."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def fresh(case) -> list[Complaint]:
    return list(Complaint.objects.filter(pk__in=[c.pk for c in case.complaints]).order_by("pk"))


def kinds(complaint) -> list[str]:
    return list(complaint.events.order_by("sequence").values_list("kind", flat=True))


def test_three_consumers_join_with_recorded_consent(platform):
    case = three_members(platform, elect=False)
    assert case.joint.memberships.filter(left_at__isnull=True).count() == 3
    for membership, consumer in zip(case.memberships, case.consumers, strict=True):
        assert membership.complaint.consumer == consumer
        assert membership.consent_sha256 == joint_services.sha256_text(membership.consent_text)
        assert "Art. 12" in membership.consent_text or "第十二条" in membership.consent_text
    for complaint in fresh(case):
        assert EventKind.JOINED_JOINT_COMPLAINT in kinds(complaint)
        assert verify_chain(complaint) is None


def test_joining_without_consent_is_refused(platform):
    case = three_members(platform, elect=False)
    stranger = ConsumerFactory()
    complaint = file_complaint(stranger, platform)
    with pytest.raises(ValidationError) as refused:
        joint_services.joint_join(by=stranger, join_code=case.joint.join_code, complaint_id=complaint.pk, consent=False)
    assert "consent" in refused.value.message_dict
    assert not JointMembership.objects.filter(complaint=complaint).exists()


def test_a_complaint_against_another_platform_cannot_join(platform, other_platform):
    case = three_members(platform, elect=False)
    outsider = ConsumerFactory()
    elsewhere = file_complaint(outsider, other_platform)
    with pytest.raises(ValidationError) as refused:
        joint_services.joint_join(by=outsider, join_code=case.joint.join_code, complaint_id=elsewhere.pk, consent=True)
    assert "complaint" in refused.value.message_dict
    assert not JointMembership.objects.filter(complaint=elsewhere).exists()


def test_a_different_problem_is_not_the_same_dispute(platform):
    case = three_members(platform, elect=False)
    outsider = ConsumerFactory()
    wrong_item = file_complaint(outsider, platform, problem=Problem.WRONG_ITEM)
    with pytest.raises(ValidationError, match="different problem"):
        joint_services.joint_join(by=outsider, join_code=case.joint.join_code, complaint_id=wrong_item.pk, consent=True)


def test_undelivered_problems_are_one_dispute(platform):
    case = three_members(platform, elect=False)
    outsider = ConsumerFactory()
    topup = file_complaint(outsider, platform, problem=Problem.TOPUP_NOT_CREDITED)
    membership = joint_services.joint_join(
        by=outsider, join_code=case.joint.join_code, complaint_id=topup.pk, consent=True
    )
    assert membership.joint == case.joint


def test_a_consumer_cannot_join_with_someone_elses_complaint(platform):
    case = three_members(platform, elect=False)
    intruder = ConsumerFactory()
    victim_complaint = file_complaint(ConsumerFactory(), platform)
    with pytest.raises(ValidationError, match="your own complaints"):
        joint_services.joint_join(
            by=intruder, join_code=case.joint.join_code, complaint_id=victim_complaint.pk, consent=True
        )


def test_a_complaint_joins_one_joint_complaint_at_a_time(platform):
    case = three_members(platform, elect=False)
    with pytest.raises(ValidationError, match="already part"):
        joint_services.joint_create(
            by=case.consumers[1],
            complaint_id=case.complaints[1].pk,
            title="又一个",
            summary="同一争议再来一次，平台一直不发货。",
            consent=True,
        )


def test_two_representatives_are_elected_by_a_majority_of_written_choices(platform):
    case = three_members(platform)
    assert [m.is_representative for m in case.memberships] == [True, True, False]
    assert joint_services.representative_names(case.joint) == ["张三", "李四"]
    for complaint in fresh(case):
        assert kinds(complaint).count(EventKind.REPRESENTATIVE_ELECTED) == 2
        assert verify_chain(complaint) is None


def test_one_choice_of_three_members_elects_nobody(platform):
    case = three_members(platform, elect=False)
    elected = joint_services.joint_choose_representatives(
        by=case.consumers[0], joint_id=case.joint.pk, candidate_ids=[case.memberships[0].pk]
    )
    assert elected == []
    assert not JointMembership.objects.filter(joint=case.joint, is_representative=True).exists()


def test_a_third_representative_is_refused(platform):
    case = three_members(platform)
    with pytest.raises(Conflict) as refused:
        joint_services.joint_choose_representatives(
            by=case.consumers[2], joint_id=case.joint.pk, candidate_ids=[case.memberships[2].pk]
        )
    assert refused.value.code == joint_services.REPRESENTATIVES_FULL
    assert refused.value.status_code == 409
    assert JointMembership.objects.filter(joint=case.joint, is_representative=True).count() == 2


def test_a_member_chooses_at_most_two(platform):
    case = three_members(platform, elect=False)
    with pytest.raises(ValidationError):
        joint_services.joint_choose_representatives(
            by=case.consumers[0], joint_id=case.joint.pk, candidate_ids=[m.pk for m in case.memberships]
        )


def test_a_representative_act_binds_every_member(platform):
    case = three_members(platform)
    joint_services.joint_representative_act(by=case.consumers[0], joint_id=case.joint.pk, message="补充：平台已关站。")
    for complaint in fresh(case):
        assert kinds(complaint)[-1] == EventKind.REPRESENTATIVE_ACTED


def test_a_member_who_is_not_a_representative_cannot_act_for_all(platform):
    case = three_members(platform)
    with pytest.raises(PermissionDenied):
        joint_services.joint_representative_act(by=case.consumers[2], joint_id=case.joint.pk, message="我代表大家。")


def settlement(case):
    return joint_services.joint_propose(
        by=case.consumers[0], joint_id=case.joint.pk, kind=ProposalKind.SETTLEMENT, text="平台退还每人全部货款。"
    )


def test_a_settlement_without_one_members_consent_is_refused(platform):
    case = three_members(platform)
    proposal = settlement(case)
    for consumer in case.consumers[:2]:
        joint_services.joint_consent(by=consumer, proposal_id=proposal.pk, consents=True)
    with pytest.raises(Conflict) as refused:
        joint_services.joint_proposal_adopt(by=case.consumers[0], proposal_id=proposal.pk)
    assert refused.value.status_code == 409
    assert refused.value.code == joint_services.CONSENT_MISSING
    assert "Art. 12" in refused.value.message
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OPEN


def test_a_refusal_to_consent_also_blocks_the_settlement(platform):
    case = three_members(platform)
    proposal = settlement(case)
    for consumer, answer in zip(case.consumers, [True, True, False], strict=True):
        joint_services.joint_consent(by=consumer, proposal_id=proposal.pk, consents=answer)
    with pytest.raises(Conflict):
        joint_services.joint_proposal_adopt(by=case.consumers[1], proposal_id=proposal.pk)


def test_a_settlement_with_every_consent_is_adopted_on_every_chain(platform):
    case = three_members(platform)
    proposal = settlement(case)
    for consumer in case.consumers:
        joint_services.joint_consent(by=consumer, proposal_id=proposal.pk, consents=True)
    joint_services.joint_proposal_adopt(by=case.consumers[0], proposal_id=proposal.pk)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ADOPTED
    assert MemberConsent.objects.filter(proposal=proposal, consents=True).count() == 3
    for complaint in fresh(case):
        events = kinds(complaint)
        assert events[-1] == EventKind.JOINT_PROPOSAL_ADOPTED
        assert EventKind.MEMBER_CONSENT_RECORDED in events
        assert verify_chain(complaint) is None


def test_a_member_consents_once(platform):
    case = three_members(platform)
    proposal = settlement(case)
    joint_services.joint_consent(by=case.consumers[2], proposal_id=proposal.pk, consents=False)
    with pytest.raises(Conflict):
        joint_services.joint_consent(by=case.consumers[2], proposal_id=proposal.pk, consents=True)


def test_a_stranger_cannot_consent(platform):
    case = three_members(platform)
    proposal = settlement(case)
    with pytest.raises(Http404):
        joint_services.joint_consent(by=ConsumerFactory(), proposal_id=proposal.pk, consents=True)


def test_a_platform_answer_reaches_all_three_members(platform, agent):
    case = three_members(platform)
    OutboxMessage.objects.all().delete()
    responses = joint_services.joint_answer(
        by=agent,
        joint_id=case.joint.pk,
        outcome="refunded",
        message="已原路退款。",
        refund_amount=Decimal("199.00"),
        refund_reference="RF-JOINT",
    )
    assert len(responses) == 3
    assert Response.objects.filter(complaint__in=case.complaints).count() == 3
    for complaint in fresh(case):
        complaint.refresh_from_db()
        assert complaint.status == Status.AWAITING_CONSUMER
        assert kinds(complaint)[-1] == EventKind.ANSWERED
        assert verify_chain(complaint) is None
    answered = OutboxMessage.objects.filter(template="complaint_answered")
    assert sorted(answered.values_list("complaint_id", flat=True)) == sorted(c.pk for c in case.complaints)


def test_after_a_joint_answer_each_member_accepts_or_disputes_alone(platform, agent):
    case = three_members(platform)
    joint_services.joint_answer(
        by=agent, joint_id=case.joint.pk, outcome="compensated", message="补偿", compensation="10元"
    )
    services.complaint_accept(complaint_id=case.complaints[0].pk, by=case.consumers[0], rating=5)
    services.complaint_dispute(complaint_id=case.complaints[1].pk, by=case.consumers[1], reason="补偿太少")
    statuses = [Complaint.objects.get(pk=c.pk).status for c in case.complaints]
    assert statuses == [Status.RESOLVED, Status.DISPUTED, Status.AWAITING_CONSUMER]


def test_the_joint_answer_is_given_once(platform, agent):
    case = three_members(platform)
    joint_services.joint_answer(
        by=agent, joint_id=case.joint.pk, outcome="compensated", message="补偿", compensation="10元"
    )
    with pytest.raises(Conflict):
        joint_services.joint_answer(
            by=agent, joint_id=case.joint.pk, outcome="compensated", message="补偿", compensation="10元"
        )


def test_a_joint_answer_is_all_or_nothing(platform, agent):
    case = three_members(platform)
    services.complaint_withdraw(complaint_id=case.complaints[2].pk, by=case.consumers[2])
    with pytest.raises(IllegalTransition) as refused:
        joint_services.joint_answer(
            by=agent, joint_id=case.joint.pk, outcome="compensated", message="补偿", compensation="10元"
        )
    assert getattr(refused.value, "status_code", None) == 409
    assert not Response.objects.filter(complaint__in=case.complaints).exists()


def test_a_refund_over_a_members_amount_is_refused_for_the_whole_answer(platform, agent):
    case = three_members(platform)
    with pytest.raises(ValidationError) as refused:
        joint_services.joint_answer(
            by=agent,
            joint_id=case.joint.pk,
            outcome="refunded",
            message="退款",
            refund_amount=Decimal("500.00"),
            refund_reference="RF",
        )
    assert "refund_amount" in refused.value.message_dict
    assert not Response.objects.filter(complaint__in=case.complaints).exists()


def test_another_platforms_staff_cannot_answer(platform, other_agent):
    case = three_members(platform)
    with pytest.raises(Http404):
        joint_services.joint_answer(
            by=other_agent, joint_id=case.joint.pk, outcome="compensated", message="x", compensation="y"
        )


def test_a_member_who_leaves_stops_counting(platform):
    case = three_members(platform)
    joint_services.joint_leave(by=case.consumers[0], joint_id=case.joint.pk)
    assert joint_services.active_members(case.joint).count() == 2
    assert joint_services.representative_names(case.joint) == ["李四"]
    assert kinds(Complaint.objects.get(pk=case.complaints[0].pk))[-1] == EventKind.LEFT_JOINT_COMPLAINT


def test_visibility_of_joint_complaints(platform, other_agent, agent, regulator):
    case = three_members(platform)
    outsider = ConsumerFactory()
    assert list(joint_services.joint_complaints_visible_to(case.consumers[2])) == [case.joint]
    assert list(joint_services.joint_complaints_visible_to(agent)) == [case.joint]
    assert list(joint_services.joint_complaints_visible_to(regulator)) == [case.joint]
    assert not joint_services.joint_complaints_visible_to(outsider).exists()
    assert not joint_services.joint_complaints_visible_to(other_agent).exists()


def test_the_timeline_says_what_each_joint_event_recorded(platform):
    from complaints.timeline import event_summary

    case = three_members(platform)
    proposal = settlement(case)
    joint_services.joint_consent(by=case.consumers[0], proposal_id=proposal.pk, consents=True)
    events = {e.kind: e for e in fresh(case)[0].events.all()}
    assert event_summary(events[EventKind.JOINED_JOINT_COMPLAINT]) == f"Joint complaint JC-{case.joint.pk}"
    assert event_summary(events[EventKind.MEMBER_CONSENT_RECORDED]).endswith(": consents")
