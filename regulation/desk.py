"""The regulators' case desk: every move a regulator makes on a complaint, one service each.

The moves follow 《市场监督管理投诉举报处理办法》 (SAMR Order 121): forward a complaint filed against an unregistered
platform, accept (受理) or refuse (不予受理) it within the acceptance clock (Art. 15, Art. 16), ask for identity proof
or missing material (Art. 10, Art. 11), mediate with the parties' consent (Art. 18, Art. 19), pause the mediation
period for an appraisal or test (Art. 22), end mediation with an agreement (Art. 24) or a termination (Art. 23),
refer to the police (Art. 42), and close with a finding.

Each move locks the complaint through the caller's scope (``complaints_visible_to``), checks the status, makes its
clock changes, appends one chained event and tells the parties after commit. A refusal or a termination cites a
ground of the rulebook by code; the free-text reason adds detail, it never stands in for the ground.
"""

from collections.abc import Sequence
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints import notifications, rulebook
from complaints.calendar import SHANGHAI
from complaints.deadlines import meet_clocks, pause_clocks, resume_clocks, start_clocks, sync_complaint_platform_due
from complaints.events import record_event
from complaints.models import (
    PLATFORM_CLOCKS,
    ClockKind,
    Complaint,
    Deadline,
    EventKind,
    Finding,
    GroundKind,
    NoticeKind,
    Party,
    Status,
    WebhookEvent,
)
from complaints.selectors import unscoped_complaints_for_system
from complaints.services import (
    forwarding_data,
    lock_complaint,
    open_complaint_for_order,
    require_status,
    save_complaint,
)
from complaints.unreachable import complaint_back_to_unreachable_platform
from platforms.models import Platform
from portal.access import acts_as_regulator
from portal.errors import Conflict

from .models import MaterialRequest, MaterialRequestKind
from .notices import notice_decide
from .signals import signals_snapshot

# Where each move may start from. A complaint reaches the desk by triage (unregistered platform) or escalation.
REFUSABLE = (Status.TRIAGE, Status.ESCALATED)
ACCEPTABLE = (Status.ESCALATED,)
AWAITING_DECISION = (Status.TRIAGE, Status.ESCALATED)
MEDIATING = (Status.ACCEPTED, Status.MEDIATION, Status.TESTING)
CLOSABLE = (Status.TRIAGE, Status.ESCALATED, *MEDIATING)
REFERABLE = (Status.ESCALATED, *MEDIATING)

# What a regulator's closing finds; refusal, agreement, termination and police referral are moves of their own.
CLOSING_FINDINGS = (Finding.UPHELD, Finding.NOT_UPHELD, Finding.WITHDRAWN, Finding.REFERRED)
# A lapsed request is proposed for refusal on the ground that matches what was asked for (Art. 16(5), (6)).
PROPOSED_GROUND = {MaterialRequestKind.IDENTITY: "art16_6", MaterialRequestKind.MATERIAL: "art16_5"}
# Art. 42 found after acceptance ends mediation on Art. 23(1)(6).
POLICE_TERMINATION_GROUND = "art23_6"


class AgreementKind(models.TextChoices):
    """How a mediation agreement is kept (Art. 24): a signed 调解书, or a 调解记录 when none is made."""

    DOCUMENT = "document", gettext_lazy("Mediation document (调解书)")
    RECORD = "record", gettext_lazy("Mediation record (调解记录)")


# --- helpers ---------------------------------------------------------------------------------------------


def _require_regulator(by) -> None:
    if not acts_as_regulator(by):
        raise PermissionDenied(_("Only regulators can do that."))


def _lock(by, complaint_id) -> Complaint:
    _require_regulator(by)
    return lock_complaint(by, complaint_id)


def _clean_reason(reason: str | None) -> str:
    return (reason or "").strip()


def _parties(complaint: Complaint, *, platform: bool = True) -> list[str]:
    """E-mail addresses of the consumer and (unless ``platform`` is False) the platform's staff."""
    recipients = notifications.platform_recipients(complaint.platform_id) if platform else []
    if complaint.consumer.email:
        recipients.append(complaint.consumer.email)
    return recipients


def _tell_parties(complaint: Complaint, what: str, *, message: str = "", platform: bool = True) -> None:
    notifications.queue_email(
        "complaint_desk_update",
        _parties(complaint, platform=platform),
        complaint,
        extra={"what": what, "message": message},
    )


def _end_running_clocks(complaint: Complaint, now: datetime) -> None:
    """The desk's own clocks are met by the decision; any other clock still running is cancelled."""
    meet_clocks(complaint, [ClockKind.REGULATOR_ACCEPTANCE, ClockKind.MEDIATION], now)
    Deadline.objects.filter(complaint=complaint).running().update(cancelled_at=now, paused_at=None)
    sync_complaint_platform_due(complaint)


def _close_complaint(complaint: Complaint, *, finding: str, note: str, now: datetime) -> None:
    _end_running_clocks(complaint, now)
    complaint.status = Status.CLOSED
    complaint.finding = finding
    complaint.finding_note = note
    complaint.closed_at = now
    save_complaint(complaint, "status", "finding", "finding_note", "closed_at")


# --- forwarding ------------------------------------------------------------------------------------------


def complaint_forward(*, complaint_id: int, by, platform: Platform) -> Complaint:
    """Send a complaint filed against an unregistered platform on to a registered one; its clocks start."""
    if platform is None:
        raise ValidationError({"platform": [_("Choose the registered platform to forward the complaint to.")]})
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(by, complaint_id)
        require_status(complaint, [Status.TRIAGE], _("forwarded"))
        if open_complaint_for_order(complaint.consumer_id, platform, complaint.order_number) is not None:
            raise Conflict(_("The consumer already has an open complaint for this order on that platform."))
        complaint.platform = platform
        complaint.status = Status.AWAITING_PLATFORM
        complaint.forwarded_at = now
        save_complaint(complaint, "platform", "status", "forwarded_at")
        record_event(complaint, kind=EventKind.TRIAGED, actor=by, at=now, data={"platform": platform.slug})
        start_clocks(complaint, PLATFORM_CLOCKS, now)
        record_event(complaint, kind=EventKind.FORWARDED, actor=by, at=now, data=forwarding_data(complaint))
        if complaint_back_to_unreachable_platform(complaint, at=now):
            # Forwarded to a platform confirmed unreachable: its clocks stop and the complaint stays on the desk.
            return complaint
        notifications.queue_email(
            "complaint_new_platform", notifications.platform_recipients(complaint.platform_id), complaint
        )
        notifications.queue_webhooks(
            complaint.platform_id, WebhookEvent.CREATED, notifications.webhook_payload(complaint)
        )
    return complaint


def platform_register_and_forward(*, complaint_id: int, by, name: str, slug: str, website: str = "") -> Complaint:
    """Enter the complaint's platform in the registry, then forward the complaint to it, in one transaction."""
    _require_regulator(by)
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("Give the platform's name.")]
    if not (slug or "").strip():
        errors["slug"] = [_("Give the platform's short name (letters, digits and hyphens).")]
    elif Platform.objects.filter(slug=slug).exists():
        errors["slug"] = [_("A platform with this short name is already registered: forward to it instead.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            platform = Platform.objects.create(name=name.strip(), slug=slug.strip(), website=website or "")
            return complaint_forward(complaint_id=complaint_id, by=by, platform=platform)
    except IntegrityError:  # registered meanwhile by someone else
        raise ValidationError(
            {"slug": [_("A platform with this short name is already registered: forward to it instead.")]}
        ) from None


# --- the acceptance decision (Art. 15, Art. 16) ------------------------------------------------------------


def complaint_accept_for_mediation(*, complaint_id: int, by, note: str = "") -> Complaint:
    """Accept (受理) an escalated complaint: the acceptance clock is met, the mediation period starts
    (Art. 23(1)(5)) and both parties get the acceptance notice. Mediation itself waits for their consent."""
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(by, complaint_id)
        require_status(complaint, ACCEPTABLE, _("accepted"))
        meet_clocks(complaint, [ClockKind.REGULATOR_ACCEPTANCE], now)
        (mediation,) = start_clocks(complaint, [ClockKind.MEDIATION], now)
        complaint.status = Status.ACCEPTED
        save_complaint(complaint, "status")
        notice = notice_decide(complaint, kind=NoticeKind.ACCEPTANCE, by=by, at=now, reason=_clean_reason(note))
        record_event(
            complaint,
            kind=EventKind.MEDIATION_ACCEPTED,
            actor=by,
            at=now,
            # Before Order 121 there was no written acceptance notice: an acceptance dated then names none.
            data={"note": _clean_reason(note), "notice": notice.number if notice else None},
        )
        notifications.queue_email(
            "complaint_mediation", _parties(complaint), complaint, extra=notifications.clock_context(mediation)
        )
    return complaint


def complaint_refuse(*, complaint_id: int, by, ground: str = "", reason: str = "") -> Complaint:
    """Refuse (不予受理) on an Art. 16 ground; the complaint closes and the consumer gets the refusal notice,
    which names the ground and the other routes of 消费者权益保护法第三十九条 (Art. 15)."""
    _require_regulator(by)
    now = timezone.now()
    cited = rulebook.ground(ground or "", kind=GroundKind.REFUSAL, at=now)
    reason = _clean_reason(reason)
    with transaction.atomic():
        complaint = _lock(by, complaint_id)
        require_status(complaint, REFUSABLE, _("refused"))
        _close_complaint(complaint, finding=Finding.REFUSED, note=reason, now=now)
        notice = notice_decide(complaint, kind=NoticeKind.REFUSAL, by=by, at=now, ground_code=cited.code, reason=reason)
        record_event(
            complaint,
            kind=EventKind.REFUSED,
            actor=by,
            at=now,
            data={
                "finding": Finding.REFUSED,
                "ground": cited.code,
                "note": reason,
                "notice": notice.number,
                # Art. 16(3) decided with the Art. 17 factors: the refusal records which signals were before the
                # regulator (codes, articles and counts; never another account's complaints).
                **({"signals": signals_snapshot(complaint, by=by)} if cited.code == "art16_3" else {}),
            },
        )
        notifications.queue_email(
            "complaint_closed", _parties(complaint), complaint, extra={"finding": Finding.REFUSED}
        )
    return complaint


# --- identity proof and missing material (Art. 10, Art. 11) ------------------------------------------------


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def complaint_request_material(
    *, complaint_id: int, by, kind: str = MaterialRequestKind.IDENTITY, message: str, deadline: date
) -> MaterialRequest:
    """Ask the consumer for identity proof (Art. 10, last sentence) or missing Art. 10 / 11 material by the end
    of ``deadline`` (Asia/Shanghai). A request left unanswered is proposed for refusal, never refused."""
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if kind not in MaterialRequestKind.values:
        errors["kind"] = [_("Choose identity proof or missing material.")]
    if not (message or "").strip():
        errors["message"] = [_("Say what the consumer must provide.")]
    if deadline is None or _end_of_day(deadline) <= now:
        errors["deadline"] = [_("The deadline must be a date in the future.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = _lock(by, complaint_id)
        require_status(complaint, AWAITING_DECISION, _("asked for material"))
        request = MaterialRequest.objects.create(
            complaint=complaint,
            kind=kind,
            message=message.strip(),
            requested_by=by,
            requested_at=now,
            due_at=_end_of_day(deadline),
        )
        record_event(
            complaint,
            kind=EventKind.MATERIAL_REQUESTED,
            actor=by,
            at=now,
            data={"request": request.pk, "kind": kind, "message": request.message, "due_at": request.due_at},
        )
        _tell_parties(complaint, str(EventKind.MATERIAL_REQUESTED.label), message=request.message, platform=False)
    return request


def material_requests_propose_refusals(*, now: datetime | None = None) -> int:
    """Propose refusal for every request past its deadline that the consumer left unanswered.

    Answered means: the consumer added evidence after the request. Each request is looked at once
    (``proposed_at``); the proposal is an event for the regulators to decide on (Art. 16(5) / (6)), the
    complaint's status does not change. Returns the number of proposals made. Run by beat.
    """
    now = now or timezone.now()
    proposed = 0
    for request in MaterialRequest.objects.filter(due_at__lte=now, proposed_at=None).order_by("pk"):
        with transaction.atomic():
            complaint = unscoped_complaints_for_system().select_for_update().get(pk=request.complaint_id)
            request = MaterialRequest.objects.select_for_update().get(pk=request.pk)
            if request.proposed_at is not None:
                continue
            request.proposed_at = now
            request.save(update_fields=["proposed_at"])
            answered = complaint.evidence.filter(party=Party.CONSUMER, received_at__gt=request.requested_at).exists()
            if answered or complaint.status not in AWAITING_DECISION:
                continue
            record_event(
                complaint,
                kind=EventKind.REFUSAL_PROPOSED,
                at=now,
                data={"request": request.pk, "ground": PROPOSED_GROUND[request.kind], "automatic": True},
            )
            notifications.queue_email(
                "complaint_desk_update",
                notifications.regulator_recipients(complaint.office_id),
                complaint,
                extra={"what": str(EventKind.REFUSAL_PROPOSED.label), "message": PROPOSED_GROUND[request.kind]},
            )
            proposed += 1
    return proposed


# --- mediation (Art. 18 – Art. 24) -----------------------------------------------------------------------------


def _consented_parties(complaint: Complaint) -> set[str]:
    consents = complaint.events.filter(kind=EventKind.MEDIATION_CONSENTED).values_list("data", flat=True)
    return {party for data in consents for party in data.get("parties", [])}


def complaint_record_mediation_consent(
    *, complaint_id: int, by, parties: Sequence[str], delegated_to: str = ""
) -> Complaint:
    """Record the consent of one or both parties to mediation (Art. 18), or to mediation delegated to a
    consumer association or another mediation body (``delegated_to``, Art. 19). Once both have consented the
    complaint is in mediation."""
    wanted = set(parties or ())
    if not wanted or not wanted <= {Party.CONSUMER, Party.PLATFORM}:
        raise ValidationError({"parties": [_("Name the consenting parties: consumer, platform or both.")]})
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(by, complaint_id)
        require_status(complaint, [Status.ACCEPTED], _("given consent to mediation"))
        record_event(
            complaint,
            kind=EventKind.MEDIATION_CONSENTED,
            actor=by,
            at=now,
            data={"parties": sorted(wanted), "delegated_to": (delegated_to or "").strip()},
        )
        if _consented_parties(complaint) >= {Party.CONSUMER, Party.PLATFORM}:
            complaint.status = Status.MEDIATION
            save_complaint(complaint, "status")
            _tell_parties(complaint, str(Status.MEDIATION.label), message=(delegated_to or "").strip())
    return complaint


def complaint_start_testing(*, complaint_id: int, by, note: str = "") -> Complaint:
    """An appraisal or test starts: the mediation period stops counting until it ends (Art. 22)."""
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(by, complaint_id)
        require_status(complaint, [Status.MEDIATION], _("paused for an appraisal or test"))
        pause_clocks(complaint, [ClockKind.MEDIATION], now)
        complaint.status = Status.TESTING
        save_complaint(complaint, "status")
        record_event(
            complaint,
            kind=EventKind.TESTING_STARTED,
            actor=by,
            at=now,
            data={"note": _clean_reason(note), "clocks_paused": [ClockKind.MEDIATION]},
        )
        _tell_parties(complaint, str(EventKind.TESTING_STARTED.label), message=_clean_reason(note))
    return complaint


def complaint_end_testing(*, complaint_id: int, by, note: str = "") -> Complaint:
    """The appraisal or test is over: mediation resumes and its end moves back by the time the test took."""
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(by, complaint_id)
        require_status(complaint, [Status.TESTING], _("resumed after an appraisal or test"))
        resumed = resume_clocks(complaint, [ClockKind.MEDIATION], now)
        complaint.status = Status.MEDIATION
        save_complaint(complaint, "status")
        record_event(
            complaint,
            kind=EventKind.TESTING_ENDED,
            actor=by,
            at=now,
            data={"note": _clean_reason(note), "clocks_resumed": {c.kind: c.due_at.isoformat() for c in resumed}},
        )
        _tell_parties(complaint, str(EventKind.TESTING_ENDED.label), message=_clean_reason(note))
    return complaint


def complaint_record_agreement(*, complaint_id: int, by, kind: str, terms: str) -> Complaint:
    """The parties reached a mediation agreement, kept as a 调解书 or a 调解记录 (Art. 24); the complaint closes."""
    errors: dict[str, list[str]] = {}
    if kind not in AgreementKind.values:
        errors["kind"] = [_("Choose a mediation document or a mediation record.")]
    if not (terms or "").strip():
        errors["terms"] = [_("Write down what the parties agreed.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(by, complaint_id)
        require_status(complaint, [Status.MEDIATION], _("settled by agreement"))
        _close_complaint(complaint, finding=Finding.AGREEMENT, note=terms.strip(), now=now)
        record_event(
            complaint,
            kind=EventKind.AGREEMENT_RECORDED,
            actor=by,
            at=now,
            data={"finding": Finding.AGREEMENT, "kind": kind, "terms": terms.strip()},
        )
        notifications.queue_email(
            "complaint_closed", _parties(complaint), complaint, extra={"finding": Finding.AGREEMENT}
        )
    return complaint


def complaint_terminate_mediation(*, complaint_id: int, by, ground: str = "", reason: str = "") -> Complaint:
    """Terminate mediation on an Art. 23 ground. The complaint closes; the parties must be told within 7 working
    days (Art. 23, last paragraph): that clock starts now and is met when the termination notice is issued."""
    return _terminate(complaint_id=complaint_id, by=by, ground_code=ground, reason=reason)


def _terminate(
    *,
    complaint_id: int,
    by,
    ground_code: str,
    reason: str,
    finding: str = Finding.TERMINATED,
    extra: dict | None = None,
) -> Complaint:
    _require_regulator(by)
    now = timezone.now()
    cited = rulebook.ground(ground_code or "", kind=GroundKind.TERMINATION, at=now)
    reason = _clean_reason(reason)
    with transaction.atomic():
        complaint = _lock(by, complaint_id)
        require_status(complaint, MEDIATING, _("terminated"))
        _close_complaint(complaint, finding=finding, note=reason, now=now)
        start_clocks(complaint, [ClockKind.TERMINATION_NOTICE], now)
        notice = notice_decide(
            complaint, kind=NoticeKind.TERMINATION, by=by, at=now, ground_code=cited.code, reason=reason
        )
        record_event(
            complaint,
            kind=EventKind.MEDIATION_TERMINATED,
            actor=by,
            at=now,
            data={"finding": finding, "ground": cited.code, "note": reason, "notice": notice.number, **(extra or {})},
        )
        notifications.queue_email("complaint_closed", _parties(complaint), complaint, extra={"finding": finding})
    return complaint


# --- police referral and closing ---------------------------------------------------------------------------


def complaint_refer_to_police(*, complaint_id: int, by, reason: str) -> Complaint:
    """Refer to the police a complainant suspected of fraud or extortion against the platform (Art. 42).

    Before acceptance the complaint simply closes; after it, mediation is terminated on Art. 23(1)(6), with
    its notice and notice clock.
    """
    _require_regulator(by)
    reason = _clean_reason(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say what the complainant is suspected of.")]})
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(by, complaint_id)
        require_status(complaint, REFERABLE, _("referred to the police"))
        if complaint.status in MEDIATING:
            _terminate(
                complaint_id=complaint.pk,
                by=by,
                ground_code=POLICE_TERMINATION_GROUND,
                reason=reason,
                finding=Finding.REFERRED_POLICE,
                extra={"police_referral": True},
            )
            complaint.refresh_from_db()
        else:
            _close_complaint(complaint, finding=Finding.REFERRED_POLICE, note=reason, now=now)
            notifications.queue_email(
                "complaint_closed", _parties(complaint), complaint, extra={"finding": Finding.REFERRED_POLICE}
            )
        record_event(complaint, kind=EventKind.POLICE_REFERRED, actor=by, at=now, data={"reason": reason})
    return complaint


def complaint_close(*, complaint_id: int, by, finding: str, note: str = "") -> Complaint:
    """Close a complaint the desk holds with a finding (upheld, not upheld, withdrawn, referred)."""
    if finding not in CLOSING_FINDINGS:
        raise ValidationError({"finding": [_("Choose upheld, not upheld, withdrawn or referred.")]})
    now = timezone.now()
    with transaction.atomic():
        complaint = _lock(by, complaint_id)
        require_status(complaint, CLOSABLE, _("closed"))
        _close_complaint(complaint, finding=finding, note=_clean_reason(note), now=now)
        record_event(
            complaint, kind=EventKind.CLOSED, actor=by, at=now, data={"finding": finding, "note": _clean_reason(note)}
        )
        notifications.queue_email("complaint_closed", _parties(complaint), complaint, extra={"finding": finding})
    return complaint
