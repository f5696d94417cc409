"""The case desk's moves (Order 121): each service's happy path, its guard and its validation."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from complaints.events import verify_chain
from complaints.models import PLATFORM_CLOCKS, ClockKind, Deadline, EventKind, Finding, NoticeKind, Status
from portal.errors import IllegalTransition
from portal.models import OutboxMessage
from regulation import desk
from regulation.models import MaterialRequest, MaterialRequestKind, Notice
from tests.factories import PlatformFactory, add_evidence, file_complaint, image_upload
from tests.regulation.desk_helpers import accepted_complaint, escalated_complaint, mediated_complaint, triaged_complaint

pytestmark = pytest.mark.django_db


def last_event(complaint):
    return complaint.events.order_by("-sequence").first()


def running_clock(complaint, kind):
    return Deadline.objects.running().get(complaint=complaint, kind=kind)


# --- forwarding ------------------------------------------------------------------------------------------


def test_forward_hands_a_triaged_complaint_to_the_platform_and_starts_its_clocks(regulator, platform):
    complaint = triaged_complaint()
    desk.complaint_forward(complaint_id=complaint.pk, by=regulator, platform=platform)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.platform) == (Status.AWAITING_PLATFORM, platform)
    assert set(Deadline.objects.running().filter(complaint=complaint).values_list("kind", flat=True)) == set(
        PLATFORM_CLOCKS
    )
    assert complaint.platform_due_at is not None
    assert last_event(complaint).kind == EventKind.FORWARDED
    assert verify_chain(complaint) is None


def test_forward_is_a_conflict_unless_the_complaint_is_in_triage(regulator, complaint, other_platform):
    with pytest.raises(IllegalTransition):
        desk.complaint_forward(complaint_id=complaint.pk, by=regulator, platform=other_platform)


def test_register_and_forward_creates_the_platform_then_forwards(regulator):
    complaint = triaged_complaint()
    desk.platform_register_and_forward(
        complaint_id=complaint.pk, by=regulator, name="星辰卡盟", slug="xingchen", website="https://xingchen.example.cn"
    )
    complaint.refresh_from_db()
    assert complaint.platform.slug == "xingchen" and complaint.status == Status.AWAITING_PLATFORM


def test_register_and_forward_refuses_a_slug_already_registered(regulator, platform):
    complaint = triaged_complaint()
    with pytest.raises(ValidationError) as raised:
        desk.platform_register_and_forward(complaint_id=complaint.pk, by=regulator, name="重名", slug=platform.slug)
    assert "slug" in raised.value.message_dict


def test_consumer_cannot_forward(platform):
    complaint = triaged_complaint()
    with pytest.raises(PermissionDenied):
        desk.complaint_forward(complaint_id=complaint.pk, by=complaint.consumer, platform=platform)


# --- acceptance and refusal ----------------------------------------------------------------------------------


def test_accept_meets_the_acceptance_clock_starts_mediation_period_and_decides_a_notice(regulator):
    complaint = escalated_complaint()
    desk.complaint_accept_for_mediation(complaint_id=complaint.pk, by=regulator)
    complaint.refresh_from_db()
    assert complaint.status == Status.ACCEPTED
    assert Deadline.objects.get(complaint=complaint, kind=ClockKind.REGULATOR_ACCEPTANCE).met_at is not None
    assert running_clock(complaint, ClockKind.MEDIATION)
    notice = Notice.objects.get(complaint=complaint)
    assert notice.kind == NoticeKind.ACCEPTANCE and notice.addressed_to_platform
    assert last_event(complaint).data["notice"] == notice.number


def test_accept_is_a_conflict_before_escalation(regulator, complaint):
    with pytest.raises(IllegalTransition):
        desk.complaint_accept_for_mediation(complaint_id=complaint.pk, by=regulator)


def test_refuse_closes_with_the_ground_and_keeps_the_reason_as_detail(regulator):
    complaint = escalated_complaint()
    desk.complaint_refuse(complaint_id=complaint.pk, by=regulator, ground="art16_2", reason="已由消协处理")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.finding) == (Status.CLOSED, Finding.REFUSED)
    assert complaint.finding_note == "已由消协处理"
    assert last_event(complaint).data["ground"] == "art16_2"
    notice = Notice.objects.get(complaint=complaint)
    assert (notice.kind, notice.ground_code, notice.addressed_to_platform) == (NoticeKind.REFUSAL, "art16_2", False)


@pytest.mark.parametrize("ground", ["", "art23_1", "art16_9"])
def test_refuse_needs_a_refusal_ground_in_force(regulator, ground):
    complaint = escalated_complaint()
    with pytest.raises(ValidationError) as raised:
        desk.complaint_refuse(complaint_id=complaint.pk, by=regulator, ground=ground, reason="理由写得再详细也不行")
    assert "ground" in raised.value.message_dict
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED


def test_refuse_is_a_conflict_once_accepted(regulator):
    complaint = accepted_complaint(regulator)
    with pytest.raises(IllegalTransition):
        desk.complaint_refuse(complaint_id=complaint.pk, by=regulator, ground="art16_1")


def test_a_triaged_complaint_may_be_refused(regulator):
    complaint = triaged_complaint()
    desk.complaint_refuse(complaint_id=complaint.pk, by=regulator, ground="art16_1")
    complaint.refresh_from_db()
    assert complaint.finding == Finding.REFUSED


def test_refusal_tells_the_consumer(regulator):
    complaint = escalated_complaint()
    desk.complaint_refuse(complaint_id=complaint.pk, by=regulator, ground="art16_1")
    assert OutboxMessage.objects.filter(complaint_id=complaint.pk, template="complaint_closed").exists()


# --- identity proof and missing material ------------------------------------------------------------------


def request_identity(complaint, regulator, days=3):
    return desk.complaint_request_material(
        complaint_id=complaint.pk,
        by=regulator,
        kind=MaterialRequestKind.IDENTITY,
        message="请上传身份证明",
        deadline=timezone.localdate() + timedelta(days=days),
    )


def test_request_for_identity_proof_is_recorded_with_its_deadline(regulator):
    complaint = escalated_complaint()
    request = request_identity(complaint, regulator)
    assert last_event(complaint).kind == EventKind.MATERIAL_REQUESTED
    assert request.due_at > timezone.now()
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED


def test_request_needs_a_deadline_in_the_future(regulator):
    complaint = escalated_complaint()
    with pytest.raises(ValidationError) as raised:
        request_identity(complaint, regulator, days=-1)
    assert "deadline" in raised.value.message_dict


def test_request_is_a_conflict_once_accepted(regulator):
    complaint = accepted_complaint(regulator)
    with pytest.raises(IllegalTransition):
        request_identity(complaint, regulator)


def test_lapsed_identity_request_proposes_refusal_and_never_refuses(regulator):
    complaint = escalated_complaint()
    request = request_identity(complaint, regulator)
    assert desk.material_requests_propose_refusals(now=request.due_at + timedelta(seconds=1)) == 1
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED and complaint.finding == ""
    proposal = last_event(complaint)
    assert (proposal.kind, proposal.data["ground"], proposal.data["automatic"]) == (
        EventKind.REFUSAL_PROPOSED,
        "art16_6",
        True,
    )
    assert not Notice.objects.filter(complaint=complaint).exists()


def test_lapsed_material_request_proposes_art16_5(regulator):
    complaint = escalated_complaint()
    request = desk.complaint_request_material(
        complaint_id=complaint.pk,
        by=regulator,
        kind=MaterialRequestKind.MATERIAL,
        message="请补充被投诉人地址",
        deadline=timezone.localdate() + timedelta(days=2),
    )
    desk.material_requests_propose_refusals(now=request.due_at + timedelta(seconds=1))
    assert last_event(complaint).data["ground"] == "art16_5"


def test_a_lapsed_request_is_proposed_once(regulator):
    complaint = escalated_complaint()
    request = request_identity(complaint, regulator)
    later = request.due_at + timedelta(seconds=1)
    desk.material_requests_propose_refusals(now=later)
    assert desk.material_requests_propose_refusals(now=later) == 0


def test_a_request_answered_with_evidence_is_not_proposed(regulator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    complaint = escalated_complaint()
    request = request_identity(complaint, regulator)
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        add_evidence(complaint, complaint.consumer, image_upload("身份证.png"), kind="other")
    assert desk.material_requests_propose_refusals(now=request.due_at + timedelta(seconds=1)) == 0
    assert MaterialRequest.objects.get().proposed_at is not None


def test_a_request_not_yet_due_is_left_alone(regulator):
    complaint = escalated_complaint()
    request_identity(complaint, regulator)
    assert desk.material_requests_propose_refusals() == 0


# --- mediation ----------------------------------------------------------------------------------------------


def test_mediation_starts_once_both_parties_consented(regulator):
    complaint = accepted_complaint(regulator)
    desk.complaint_record_mediation_consent(complaint_id=complaint.pk, by=regulator, parties=["consumer"])
    complaint.refresh_from_db()
    assert complaint.status == Status.ACCEPTED
    desk.complaint_record_mediation_consent(
        complaint_id=complaint.pk, by=regulator, parties=["platform"], delegated_to="市消费者协会"
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.MEDIATION
    assert last_event(complaint).data == {"parties": ["platform"], "delegated_to": "市消费者协会"}


def test_consent_needs_named_parties(regulator):
    complaint = accepted_complaint(regulator)
    with pytest.raises(ValidationError):
        desk.complaint_record_mediation_consent(complaint_id=complaint.pk, by=regulator, parties=["regulator"])


def test_consent_is_a_conflict_before_acceptance(regulator):
    complaint = escalated_complaint()
    with pytest.raises(IllegalTransition):
        desk.complaint_record_mediation_consent(complaint_id=complaint.pk, by=regulator, parties=["consumer"])


def test_testing_pauses_and_resumes_the_mediation_period_pushing_its_end_back(regulator):
    complaint = mediated_complaint(regulator)
    due_before = running_clock(complaint, ClockKind.MEDIATION).due_at
    desk.complaint_start_testing(complaint_id=complaint.pk, by=regulator, note="送检")
    complaint.refresh_from_db()
    assert complaint.status == Status.TESTING
    assert running_clock(complaint, ClockKind.MEDIATION).paused_at is not None
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        desk.complaint_end_testing(complaint_id=complaint.pk, by=regulator)
    complaint.refresh_from_db()
    clock = running_clock(complaint, ClockKind.MEDIATION)
    assert complaint.status == Status.MEDIATION and clock.paused_at is None
    assert clock.due_at - due_before >= timedelta(days=10) - timedelta(minutes=1)


def test_testing_is_a_conflict_outside_mediation(regulator):
    complaint = accepted_complaint(regulator)
    with pytest.raises(IllegalTransition):
        desk.complaint_start_testing(complaint_id=complaint.pk, by=regulator)
    with pytest.raises(IllegalTransition):
        desk.complaint_end_testing(complaint_id=complaint.pk, by=regulator)


def test_agreement_closes_the_complaint_and_meets_the_mediation_period(regulator):
    complaint = mediated_complaint(regulator)
    desk.complaint_record_agreement(complaint_id=complaint.pk, by=regulator, kind="document", terms="平台退款199元")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.finding) == (Status.CLOSED, Finding.AGREEMENT)
    assert Deadline.objects.get(complaint=complaint, kind=ClockKind.MEDIATION).met_at is not None
    assert last_event(complaint).data["kind"] == "document"


def test_agreement_needs_its_terms(regulator):
    complaint = mediated_complaint(regulator)
    with pytest.raises(ValidationError) as raised:
        desk.complaint_record_agreement(complaint_id=complaint.pk, by=regulator, kind="minutes", terms="")
    assert set(raised.value.message_dict) == {"kind", "terms"}


def test_agreement_is_a_conflict_before_mediation(regulator):
    complaint = accepted_complaint(regulator)
    with pytest.raises(IllegalTransition):
        desk.complaint_record_agreement(complaint_id=complaint.pk, by=regulator, kind="record", terms="和解")


def test_terminate_closes_and_starts_the_termination_notice_clock(regulator):
    complaint = mediated_complaint(regulator)
    desk.complaint_terminate_mediation(complaint_id=complaint.pk, by=regulator, ground="art23_3", reason="平台拒绝")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.finding) == (Status.CLOSED, Finding.TERMINATED)
    clock = running_clock(complaint, ClockKind.TERMINATION_NOTICE)
    assert clock.edition_id == "order121"
    notice = Notice.objects.get(complaint=complaint, kind=NoticeKind.TERMINATION)
    assert notice.ground_code == "art23_3" and notice.addressed_to_platform


def test_terminate_needs_a_termination_ground(regulator):
    complaint = mediated_complaint(regulator)
    with pytest.raises(ValidationError) as raised:
        desk.complaint_terminate_mediation(complaint_id=complaint.pk, by=regulator, ground="art16_1")
    assert "ground" in raised.value.message_dict


def test_terminate_is_a_conflict_before_acceptance(regulator):
    complaint = escalated_complaint()
    with pytest.raises(IllegalTransition):
        desk.complaint_terminate_mediation(complaint_id=complaint.pk, by=regulator, ground="art23_2")


# --- police and closing -----------------------------------------------------------------------------------


def test_police_referral_before_acceptance_closes_without_a_notice(regulator):
    complaint = escalated_complaint()
    desk.complaint_refer_to_police(complaint_id=complaint.pk, by=regulator, reason="伪造支付凭证索赔")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.finding) == (Status.CLOSED, Finding.REFERRED_POLICE)
    assert last_event(complaint).kind == EventKind.POLICE_REFERRED
    assert not Notice.objects.filter(complaint=complaint).exclude(kind=NoticeKind.ACCEPTANCE).exists()


def test_police_referral_in_mediation_terminates_on_art23_6(regulator):
    complaint = mediated_complaint(regulator)
    desk.complaint_refer_to_police(complaint_id=complaint.pk, by=regulator, reason="敲诈勒索经营者")
    complaint.refresh_from_db()
    assert complaint.finding == Finding.REFERRED_POLICE
    assert Notice.objects.get(complaint=complaint, kind=NoticeKind.TERMINATION).ground_code == "art23_6"
    kinds = list(complaint.events.order_by("-sequence").values_list("kind", flat=True)[:2])
    assert kinds == [EventKind.POLICE_REFERRED, EventKind.MEDIATION_TERMINATED]
    assert verify_chain(complaint) is None


def test_police_referral_needs_a_reason(regulator):
    complaint = escalated_complaint()
    with pytest.raises(ValidationError):
        desk.complaint_refer_to_police(complaint_id=complaint.pk, by=regulator, reason=" ")


def test_police_referral_is_a_conflict_in_triage(regulator):
    with pytest.raises(IllegalTransition):
        desk.complaint_refer_to_police(complaint_id=triaged_complaint().pk, by=regulator, reason="涉嫌诈骗")


def test_close_from_mediation_with_a_finding(regulator):
    complaint = mediated_complaint(regulator)
    desk.complaint_close(complaint_id=complaint.pk, by=regulator, finding=Finding.UPHELD, note="属实")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.finding) == (Status.CLOSED, Finding.UPHELD)
    assert not Deadline.objects.running().filter(complaint=complaint).exists()


def test_close_refuses_a_finding_that_is_a_move_of_its_own(regulator):
    complaint = escalated_complaint()
    with pytest.raises(ValidationError):
        desk.complaint_close(complaint_id=complaint.pk, by=regulator, finding=Finding.REFUSED)


def test_close_is_a_conflict_while_the_platform_still_answers(regulator):
    with pytest.raises(IllegalTransition):
        desk.complaint_close(complaint_id=file_complaint(platform=PlatformFactory()).pk, by=regulator, finding="upheld")


def test_platform_staff_cannot_make_desk_moves(agent):
    complaint = escalated_complaint(platform=agent.platform)
    with pytest.raises(PermissionDenied):
        desk.complaint_accept_for_mediation(complaint_id=complaint.pk, by=agent)
