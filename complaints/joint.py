"""Joint complaints (共同投诉), SAMR Order 121 Art. 12:

    投诉人为两人以上，基于同一消费者权益争议投诉同一经营者的，经投诉人同意，市场监督管理部门可以按共同投诉处理。
    共同投诉可以由投诉人书面推选两名代表人进行投诉。代表人的投诉行为对其代表的投诉人发生效力，但代表人变更、放弃
    投诉请求或者与被投诉人达成调解协议的，应当经被代表的投诉人同意。

How the article is applied:
- Joining takes the consumer's explicit consent, recorded with the text agreed to and its SHA-256.
- "The same dispute": the same platform and a problem of the same group (``models.JointDispute``).
- Representatives: each member records a written choice of up to two members. The article does not say how the
  members choose; here a member is elected when the written choices of more than half of the current members
  name them, and there are never more than two (once two are elected, a choice naming anyone else is refused).
- A representative's acts bind the members (``joint_representative_act`` records it on every member's chain),
  except changing or abandoning the claim and settling: those are proposals that are adopted only when every
  member has consented, each consent recorded per member (``joint_proposal_adopt`` refuses with 409 otherwise).
- The platform answers the joint complaint once; the answer is recorded on every member's complaint through the
  same service as a single answer (``services.answer_locked_complaint``), and each member accepts or disputes
  their own complaint.
- "市场监督管理部门可以按共同投诉处理": whether the group is handled as a joint complaint is the office's decision,
  taken once by a regulator in the joint complaint's office scope (``joint_handling_decide``) and recorded on every
  member's chain. Before it the consumers' acts and the platform's single answer go on (the platform's
  negotiation comes before the office). Declined: each member's complaint goes on alone and the joint complaint
  takes no new members, representatives, statements, proposals, consents or answers (409).

Every service locks the joint complaint row, then the member complaints in id order (one order for every
writer, so two services never wait on each other), and appends a chained event to each complaint it affects.
"""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import acts_as_regulator, is_consumer, is_platform_staff, office_scope, owns_complaint
from portal.errors import Conflict
from portal.names import full_name

from .events import record_event
from .models import (
    OPEN_STATUSES,
    PROBLEM_DISPUTE,
    Complaint,
    EventKind,
    JointComplaint,
    JointMembership,
    JointProposal,
    MemberConsent,
    ProposalKind,
    ProposalStatus,
    RepresentativeChoice,
    Response,
)
from .selectors import MissingUserContext, complaints_visible_to
from .services import RESPONSE_FIELDS, answer_locked_complaint

MAX_REPRESENTATIVES = 2  # Order 121 Art. 12: 书面推选两名代表人
REPRESENTATIVES_FULL = "representatives_full"
CONSENT_MISSING = "consent_missing"
JOINT_DECLINED = "joint_declined"
JOINT_DECIDED = "joint_decided"
REASON_MAX = 2000


def join_consent_text() -> str:
    """The text a consumer agrees to when joining (shown next to the checkbox, stored with its hash)."""
    return _(
        "I agree that my complaint is handled together with the other complaints of this joint complaint "
        "(SAMR Order 121 Art. 12). I understand that the representatives elected by the members act for me, "
        "except that changing or abandoning my claim or settling with the platform needs my own consent."
    )


def choice_text(candidate_ids: list[int]) -> str:
    """The written choice a member makes, as hashed: who is chosen, by member number."""
    return "共同投诉代表人书面推选 / written choice of representatives: " + ",".join(map(str, sorted(candidate_ids)))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def art12_consent_message() -> str:
    return _(
        "Under SAMR Order 121 Art. 12, a representative who changes or abandons the claim or settles with the "
        "platform needs the consent of every member represented. %(missing)d member(s) have not consented yet."
    )


# --- reads ---------------------------------------------------------------------------------------------


def joint_complaints_visible_to(user) -> QuerySet[JointComplaint]:
    """Joint complaints ``user`` may see: regulators those handled in their office scope, platform staff (and
    keys) those against their platform, consumers those they are an active member of. Fails closed."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise MissingUserContext("joint_complaints_visible_to needs an authenticated user")
    if not user.is_active:
        return JointComplaint.objects.none()
    if acts_as_regulator(user):
        return JointComplaint.objects.filter(office_scope(user).filter("office"))
    if is_platform_staff(user):
        return JointComplaint.objects.filter(platform_id=user.platform_id)
    if is_consumer(user):
        return JointComplaint.objects.filter(
            pk__in=JointMembership.objects.filter(complaint__consumer_id=user.pk, left_at__isnull=True).values(
                "joint_id"
            )
        )
    return JointComplaint.objects.none()


def joint_get_for(user, joint_id) -> JointComplaint:
    try:
        return joint_complaints_visible_to(user).select_related("platform").get(pk=joint_id)
    except (JointComplaint.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such joint complaint.")) from None


def active_members(joint: JointComplaint) -> QuerySet[JointMembership]:
    return joint.memberships.filter(left_at__isnull=True)


def my_membership(user, joint: JointComplaint) -> JointMembership | None:
    """``user``'s active membership of ``joint``, if they are a member."""
    if not is_consumer(user):
        return None
    return active_members(joint).filter(complaint__consumer_id=user.pk).select_related("complaint").first()


def representatives_by_member(joint: JointComplaint) -> dict[int, str]:
    """``{membership id: display name}`` of the representatives: the only personal data a member is shown of
    another member (portal/names.py)."""
    rows = (
        active_members(joint)
        .filter(is_representative=True)
        .order_by("pk")
        .values_list("pk", "complaint__consumer__first_name", "complaint__consumer__last_name")
    )
    return {pk: full_name(given, family) or _("Member %(number)d") % {"number": pk} for pk, given, family in rows}


def representative_names(joint: JointComplaint) -> list[str]:
    return list(representatives_by_member(joint).values())


def proposal_get_for(user, proposal_id) -> JointProposal:
    """A proposal of a joint complaint ``user`` may see; otherwise as missing as a wrong id."""
    try:
        return JointProposal.objects.filter(joint__in=joint_complaints_visible_to(user)).get(pk=proposal_id)
    except (JointProposal.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such proposal.")) from None


@dataclass
class JointTotals:
    members: int
    amount: Decimal
    refunded: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.refunded


def joint_with_counts(queryset: QuerySet[JointComplaint]) -> QuerySet[JointComplaint]:
    """Annotates ``member_count`` and ``representative_count`` (active members only)."""
    active = Q(memberships__left_at__isnull=True)
    return queryset.annotate(
        member_count=Count("memberships", filter=active, distinct=True),
        representative_count=Count(
            "memberships", filter=active & Q(memberships__is_representative=True), distinct=True
        ),
    )


def member_amounts(joint: JointComplaint) -> JointTotals:
    """Members and the total amount their complaints claim (refunds are summed by the regulation app)."""
    totals = active_members(joint).aggregate(members=Count("pk"), amount=Sum("complaint__amount"))
    return JointTotals(members=totals["members"], amount=totals["amount"] or Decimal("0"), refunded=Decimal("0"))


# --- guards --------------------------------------------------------------------------------------------


def _lock_joint(joint_id) -> JointComplaint:
    try:
        return JointComplaint.objects.select_for_update().get(pk=joint_id)
    except (JointComplaint.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such joint complaint.")) from None


def _lock_member_complaints(joint: JointComplaint) -> list[Complaint]:
    """Every active member's complaint, row-locked in id order (no scope: the caller checked who acts)."""
    ids = active_members(joint).values("complaint_id")
    return list(Complaint.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def _refuse_if_declined(joint: JointComplaint) -> None:
    """A joint complaint the office declined to handle jointly (Order 121 Art. 12) is closed to joint acts."""
    if joint.handled_jointly is False:
        raise Conflict(
            _(
                "The market regulation office declined to handle this joint complaint jointly (SAMR Order 121 "
                "Art. 12): each member's complaint goes on alone."
            ),
            code=JOINT_DECLINED,
        )


def _require_member(by, joint: JointComplaint) -> JointMembership:
    membership = my_membership(by, joint)
    if membership is None:
        # A stranger learns nothing: exactly as missing as a wrong id.
        raise Http404(_("No such joint complaint."))
    return membership


def _require_representative(by, joint: JointComplaint) -> JointMembership:
    membership = _require_member(by, joint)
    if not membership.is_representative:
        raise PermissionDenied(_("Only a representative of the joint complaint can do that."))
    return membership


def dispute_of(complaint: Complaint) -> str:
    return PROBLEM_DISPUTE.get(complaint.problem, "")


def _validate_joinable(complaint: Complaint, *, platform_id: int, dispute: str) -> None:
    """Same platform, same dispute (Order 121 Art. 12), still open, not in another joint complaint."""
    errors = []
    if complaint.platform_id is None or complaint.platform_id != platform_id:
        errors.append(_("A joint complaint groups complaints against the same platform; yours is against another."))
    elif dispute_of(complaint) != dispute:
        errors.append(_("Your complaint is about a different problem, so it is not the same dispute."))
    if complaint.status not in OPEN_STATUSES:
        errors.append(_("Only an open complaint can join a joint complaint."))
    if complaint.joint_memberships.filter(left_at__isnull=True).exists():
        errors.append(_("This complaint is already part of a joint complaint."))
    if errors:
        raise ValidationError({"complaint": errors})


def _join(joint: JointComplaint, complaint: Complaint, *, by, consent: bool, now) -> JointMembership:
    if not consent:
        raise ValidationError({"consent": [_("Joining needs your explicit consent: tick the box.")]})
    text = join_consent_text()
    membership = JointMembership.objects.create(
        joint=joint, complaint=complaint, consented_at=now, consent_text=text, consent_sha256=sha256_text(text)
    )
    record_event(
        complaint,
        kind=EventKind.JOINED_JOINT_COMPLAINT,
        actor=by,
        at=now,
        data={"joint_complaint": joint.pk, "member": membership.pk, "consent_sha256": membership.consent_sha256},
    )
    return membership


def _own_complaint_locked(by, complaint_id) -> Complaint:
    try:
        complaint = complaints_visible_to(by).select_for_update().get(pk=complaint_id)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise ValidationError({"complaint": [_("Choose one of your own complaints.")]}) from None
    if not owns_complaint(by, complaint):
        raise ValidationError({"complaint": [_("Choose one of your own complaints.")]})
    return complaint


# --- the consumers' acts -------------------------------------------------------------------------------


def joint_create(*, by, complaint_id: int, title: str, summary: str, consent: bool) -> JointComplaint:
    """A consumer starts a joint complaint from their own complaint and becomes its first member."""
    if not is_consumer(by):
        raise PermissionDenied(_("Only consumers start joint complaints."))
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the joint complaint a short title.")]
    if len((summary or "").strip()) < 5:
        errors["summary"] = [_("Describe the dispute the members share in at least 5 characters.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        complaint = _own_complaint_locked(by, complaint_id)
        if complaint.platform_id is None:
            raise ValidationError({"complaint": [_("A joint complaint needs a registered platform.")]})
        dispute = dispute_of(complaint)
        _validate_joinable(complaint, platform_id=complaint.platform_id, dispute=dispute)
        if not consent:
            raise ValidationError({"consent": [_("Joining needs your explicit consent: tick the box.")]})
        joint = JointComplaint.objects.create(
            platform_id=complaint.platform_id,
            dispute=dispute,
            title=title.strip(),
            summary=summary.strip(),
            office_id=complaint.office_id,
            created_by=by,
            created_at=now,
        )
        _join(joint, complaint, by=by, consent=consent, now=now)
    return joint


def joint_join(*, by, join_code: str, complaint_id: int, consent: bool) -> JointMembership:
    """Another consumer joins with the code, their own complaint against the same platform and their consent."""
    if not is_consumer(by):
        raise PermissionDenied(_("Only consumers join joint complaints."))
    now = timezone.now()
    with transaction.atomic():
        joint = JointComplaint.objects.select_for_update().filter(join_code=(join_code or "").strip()[:20]).first()
        if joint is None:
            raise ValidationError({"join_code": [_("No joint complaint has this code.")]})
        _refuse_if_declined(joint)
        complaint = _own_complaint_locked(by, complaint_id)
        _validate_joinable(complaint, platform_id=joint.platform_id, dispute=joint.dispute)
        if joint.answered_at is not None:
            raise Conflict(
                _("The platform has already answered this joint complaint; it takes no new members."),
                code="joint_answered",
            )
        return _join(joint, complaint, by=by, consent=consent, now=now)


def joint_leave(*, by, joint_id: int) -> JointMembership:
    """A member leaves; their complaint goes on alone. A representative who leaves stops representing."""
    now = timezone.now()
    with transaction.atomic():
        joint = _lock_joint(joint_id)
        membership = _require_member(by, joint)
        complaint = Complaint.objects.select_for_update().get(pk=membership.complaint_id)
        membership.left_at = now
        membership.is_representative = False
        membership.save(update_fields=["left_at", "is_representative"])
        record_event(
            complaint, kind=EventKind.LEFT_JOINT_COMPLAINT, actor=by, at=now, data={"joint_complaint": joint.pk}
        )
    return membership


def joint_choose_representatives(*, by, joint_id: int, candidate_ids: list[int]) -> list[JointMembership]:
    """A member's written choice of one or two members as representatives (书面推选, Order 121 Art. 12).

    A choice is final (one per member and candidate, at most two per member). A candidate named by more than
    half of the current members is elected, on every member's chain; once two are elected, a choice naming
    anyone else is refused (409). Returns the representatives elected by this choice.
    """
    try:
        candidate_ids = sorted({int(pk) for pk in candidate_ids or []})
    except (TypeError, ValueError):
        raise ValidationError({"candidates": [_("Choose members of this joint complaint.")]}) from None
    if not 1 <= len(candidate_ids) <= MAX_REPRESENTATIVES:
        raise ValidationError({"candidates": [_("Choose one or two members.")]})
    now = timezone.now()
    with transaction.atomic():
        joint = _lock_joint(joint_id)
        voter = _require_member(by, joint)
        _refuse_if_declined(joint)
        complaints = _lock_member_complaints(joint)
        members = {m.pk: m for m in active_members(joint)}
        if any(pk not in members for pk in candidate_ids):
            raise ValidationError({"candidates": [_("Choose members of this joint complaint.")]})
        already = set(voter.choices_made.values_list("candidate_id", flat=True))
        if len(already | set(candidate_ids)) > MAX_REPRESENTATIVES:
            raise ValidationError({"candidates": [_("Each member chooses at most two representatives.")]})
        new = [pk for pk in candidate_ids if pk not in already]
        if not new:
            raise ValidationError({"candidates": [_("You have already chosen these members.")]})
        seated = {pk for pk, m in members.items() if m.is_representative}
        if any(pk not in seated for pk in new) and len(seated) >= MAX_REPRESENTATIVES:
            raise Conflict(
                _("A joint complaint has at most two representatives (SAMR Order 121 Art. 12); both are elected."),
                code=REPRESENTATIVES_FULL,
            )
        text_hash = sha256_text(choice_text(candidate_ids))
        RepresentativeChoice.objects.bulk_create(
            [RepresentativeChoice(voter=voter, candidate_id=pk, chosen_at=now, text_sha256=text_hash) for pk in new]
        )
        by_complaint = {c.pk: c for c in complaints}
        record_event(
            by_complaint[voter.complaint_id],
            kind=EventKind.REPRESENTATIVE_CHOSEN,
            actor=by,
            at=now,
            data={"joint_complaint": joint.pk, "candidates": new, "text_sha256": text_hash},
        )
        votes = dict(
            RepresentativeChoice.objects.filter(candidate_id__in=new, voter__left_at__isnull=True, voter__joint=joint)
            .values("candidate_id")
            .annotate(n=Count("pk"))
            .values_list("candidate_id", "n")
        )
        elected = []
        for pk in new:
            if pk in seated or votes.get(pk, 0) * 2 <= len(members):
                continue
            if len(seated) >= MAX_REPRESENTATIVES:
                raise Conflict(
                    _("A joint complaint has at most two representatives (SAMR Order 121 Art. 12); both are elected."),
                    code=REPRESENTATIVES_FULL,
                )
            member = members[pk]
            member.is_representative = True
            member.representative_since = now
            member.save(update_fields=["is_representative", "representative_since"])
            seated.add(pk)
            elected.append(member)
            for complaint in complaints:
                record_event(
                    complaint,
                    kind=EventKind.REPRESENTATIVE_ELECTED,
                    actor=by,
                    at=now,
                    data={
                        "joint_complaint": joint.pk,
                        "representative": pk,
                        "votes": votes[pk],
                        "members": len(members),
                    },
                )
    return elected


def joint_representative_act(*, by, joint_id: int, message: str) -> JointComplaint:
    """A representative acts for all members (supplies information, states the members' position, agrees to
    mediation): it binds them (Order 121 Art. 12) and is recorded on every member's chain."""
    if len((message or "").strip()) < 2:
        raise ValidationError({"message": [_("Write what you state for the members.")]})
    now = timezone.now()
    with transaction.atomic():
        joint = _lock_joint(joint_id)
        representative = _require_representative(by, joint)
        _refuse_if_declined(joint)
        for complaint in _lock_member_complaints(joint):
            record_event(
                complaint,
                kind=EventKind.REPRESENTATIVE_ACTED,
                actor=by,
                at=now,
                data={"joint_complaint": joint.pk, "representative": representative.pk, "message": message},
            )
    return joint


def joint_propose(*, by, joint_id: int, kind: str, text: str) -> JointProposal:
    """A representative proposes to settle, change or abandon the claim; every member must then consent."""
    errors = {}
    if kind not in ProposalKind.values:
        errors["kind"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(ProposalKind.values)}]
    if len((text or "").strip()) < 5:
        errors["text"] = [_("State the terms in at least 5 characters.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        joint = _lock_joint(joint_id)
        representative = _require_representative(by, joint)
        _refuse_if_declined(joint)
        if joint.proposals.filter(status=ProposalStatus.OPEN).exists():
            raise Conflict(_("A proposal is already waiting for the members' consent."), code="proposal_open")
        proposal = JointProposal.objects.create(
            joint=joint, kind=kind, text=text.strip(), proposed_by=representative, proposed_at=now
        )
        for complaint in _lock_member_complaints(joint):
            record_event(
                complaint,
                kind=EventKind.JOINT_PROPOSAL_MADE,
                actor=by,
                at=now,
                data={
                    "joint_complaint": joint.pk,
                    "proposal": proposal.pk,
                    "kind": kind,
                    "text_sha256": sha256_text(proposal.text),
                },
            )
    return proposal


def _lock_proposal(proposal_id) -> tuple[JointComplaint, JointProposal]:
    try:
        joint_id = JointProposal.objects.values_list("joint_id", flat=True).get(pk=proposal_id)
    except (JointProposal.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such proposal.")) from None
    joint = _lock_joint(joint_id)
    return joint, JointProposal.objects.get(pk=proposal_id)


def joint_consent(*, by, proposal_id: int, consents: bool) -> MemberConsent:
    """A member records their own yes or no to a proposal, once, on their own chain."""
    now = timezone.now()
    with transaction.atomic():
        joint, proposal = _lock_proposal(proposal_id)
        membership = _require_member(by, joint)
        _refuse_if_declined(joint)
        if proposal.status != ProposalStatus.OPEN:
            raise Conflict(_("This proposal is no longer waiting for consent."), code="proposal_closed")
        if proposal.consents.filter(membership=membership).exists():
            raise Conflict(_("You have already answered this proposal."), code="consent_recorded")
        complaint = Complaint.objects.select_for_update().get(pk=membership.complaint_id)
        consent = MemberConsent.objects.create(
            proposal=proposal,
            membership=membership,
            consents=bool(consents),
            text_sha256=sha256_text(proposal.text),
            recorded_at=now,
        )
        record_event(
            complaint,
            kind=EventKind.MEMBER_CONSENT_RECORDED,
            actor=by,
            at=now,
            data={
                "joint_complaint": joint.pk,
                "proposal": proposal.pk,
                "kind": proposal.kind,
                "consents": consent.consents,
                "text_sha256": consent.text_sha256,
            },
        )
    return consent


def missing_consents(proposal: JointProposal) -> int:
    """Active members who have not said yes to ``proposal``."""
    return active_members(proposal.joint).exclude(consents__proposal=proposal, consents__consents=True).count()


def joint_proposal_adopt(*, by, proposal_id: int) -> JointProposal:
    """A representative concludes a proposal. Refused (409) unless every active member consented (Art. 12)."""
    now = timezone.now()
    with transaction.atomic():
        joint, proposal = _lock_proposal(proposal_id)
        _require_representative(by, joint)
        _refuse_if_declined(joint)
        if proposal.status != ProposalStatus.OPEN:
            raise Conflict(_("This proposal is no longer waiting for consent."), code="proposal_closed")
        complaints = _lock_member_complaints(joint)
        missing = missing_consents(proposal)
        if missing:
            raise Conflict(art12_consent_message() % {"missing": missing}, code=CONSENT_MISSING)
        proposal.status = ProposalStatus.ADOPTED
        proposal.adopted_at = now
        proposal.save(update_fields=["status", "adopted_at"])
        for complaint in complaints:
            record_event(
                complaint,
                kind=EventKind.JOINT_PROPOSAL_ADOPTED,
                actor=by,
                at=now,
                data={"joint_complaint": joint.pk, "proposal": proposal.pk, "kind": proposal.kind},
            )
    return proposal


# --- the platform's answer -----------------------------------------------------------------------------


def joint_answer(*, by, joint_id: int, outcome: str, message: str, **fields) -> list[Response]:
    """The platform answers the joint complaint once: the same answer on every member's complaint, each through
    ``services.answer_locked_complaint`` (its guards, clocks, chained event and e-mail), all or none."""
    unknown = set(fields) - set(RESPONSE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    if not is_platform_staff(by):
        raise PermissionDenied(_("Only staff of the platform concerned can do that."))
    now = timezone.now()
    with transaction.atomic():
        if not joint_complaints_visible_to(by).filter(pk=joint_id).exists():
            raise Http404(_("No such joint complaint."))
        joint = _lock_joint(joint_id)
        if joint.answered_at is not None:
            raise Conflict(
                _("This joint complaint was answered already; answer a member's dispute on their complaint."),
                code="joint_answered",
            )
        _refuse_if_declined(joint)
        responses = [
            answer_locked_complaint(complaint, by=by, outcome=outcome, message=message, fields=fields, now=now)
            for complaint in _lock_member_complaints(joint)
        ]
        joint.answered_at = now
        joint.save(update_fields=["answered_at"])
    return responses


# --- the office's decision -----------------------------------------------------------------------------


def joint_handling_decide(*, by, joint_id: int, accept: bool, reason: str = "") -> JointComplaint:
    """A regulator decides, once, whether the office handles the group as a joint complaint.

    SAMR Order 121 Art. 12: 经投诉人同意，市场监督管理部门可以按共同投诉处理. The members consented when joining;
    the decision is the office's. Only a regulator whose office scope covers the joint complaint decides (anyone
    else's lookup is a 404, fail closed). Declining needs a reason; then each member's complaint goes on alone.
    Handling jointly needs two or more members (投诉人为两人以上). A second decision is refused (409). Recorded on
    every active member's chain.
    """
    if not acts_as_regulator(by):
        raise PermissionDenied(_("Only regulators decide how a joint complaint is handled."))
    reason = (reason or "").strip()
    if not accept and len(reason) < 5:
        raise ValidationError({"reason": [_("Give the reason for declining in at least 5 characters.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("Use at most %(max)d characters.") % {"max": REASON_MAX}]})
    now = timezone.now()
    with transaction.atomic():
        if not joint_complaints_visible_to(by).filter(pk=joint_id).exists():
            raise Http404(_("No such joint complaint."))
        joint = _lock_joint(joint_id)
        if joint.decided_at is not None:
            raise Conflict(_("The handling of this joint complaint was decided already."), code=JOINT_DECIDED)
        complaints = _lock_member_complaints(joint)
        if accept and len(complaints) < 2:
            raise Conflict(
                _("A joint complaint is handled jointly only with two or more complainants (SAMR Order 121 Art. 12)."),
                code="joint_too_few",
            )
        joint.handled_jointly = bool(accept)
        joint.decided_at = now
        joint.decided_by = by
        joint.decision_reason = reason
        joint.save(update_fields=["handled_jointly", "decided_at", "decided_by", "decision_reason"])
        for complaint in complaints:
            record_event(
                complaint,
                kind=EventKind.JOINT_HANDLING_DECIDED,
                actor=by,
                at=now,
                data={
                    "joint_complaint": joint.pk,
                    "handled_jointly": joint.handled_jointly,
                    "reason": reason,
                    "members": len(complaints),
                },
            )
    return joint
