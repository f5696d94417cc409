import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from platforms.models import WEBHOOK_TEST_EVENT, WebhookEvent


class Status(models.TextChoices):
    TRIAGE = "triage", _("Awaiting regulator triage")
    AWAITING_PLATFORM = "awaiting_platform", _("Awaiting platform")
    INFO_REQUESTED = "info_requested", _("Information requested")
    AWAITING_CONSUMER = "awaiting_consumer", _("Awaiting consumer")
    DISPUTED = "disputed", _("Disputed")
    RESOLVED = "resolved", _("Resolved")
    ESCALATED = "escalated", _("Escalated to regulator")
    # Accepted (受理, Order 121 Art. 15), awaiting both parties' consent to mediation (Art. 18).
    ACCEPTED = "accepted", _("Accepted by regulator")
    MEDIATION = "mediation", _("In mediation")
    # An appraisal or test runs; its time is not counted in the mediation period (Art. 22).
    TESTING = "testing", _("Mediation paused (test)")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (
    Status.TRIAGE,
    Status.AWAITING_PLATFORM,
    Status.INFO_REQUESTED,
    Status.AWAITING_CONSUMER,
    Status.DISPUTED,
    Status.ESCALATED,
    Status.ACCEPTED,
    Status.MEDIATION,
    Status.TESTING,
)
# States in which the platform still owes an answer.
PLATFORM_TURN_STATUSES = (Status.AWAITING_PLATFORM, Status.DISPUTED)


class PaymentChannel(models.TextChoices):
    ALIPAY = "alipay", _("Alipay")
    WECHAT = "wechat", _("WeChat Pay")
    BANK_CARD = "bank_card", _("Bank card")
    OTHER = "other", _("Other")


class Problem(models.TextChoices):
    CARD_KEY_MISSING = "card_key_missing", _("Card key not received")
    MEMBERSHIP_NOT_ACTIVATED = "membership_not_activated", _("Membership not activated")
    TOPUP_NOT_CREDITED = "topup_not_credited", _("Top-up not credited")
    WRONG_ITEM = "wrong_item", _("Wrong item delivered")
    OTHER = "other", _("Other")


class PlatformOrderStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    AWAITING_DELIVERY = "awaiting_delivery", _("Awaiting delivery")
    ABNORMAL = "abnormal", _("Abnormal")
    UNKNOWN = "unknown", _("Unknown")


class DesiredOutcome(models.TextChoices):
    DELIVERY = "delivery", _("Deliver the goods")
    REFUND = "refund", _("Refund")
    COMPENSATION = "compensation", _("Compensation")


class Finding(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    NOT_UPHELD = "not_upheld", _("Not upheld")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REFERRED = "referred", _("Referred")
    REFUSED = "refused", _("Refused (not accepted)")
    AGREEMENT = "agreement", _("Settled by a mediation agreement")
    TERMINATED = "terminated", _("Mediation terminated")
    REFERRED_POLICE = "referred_police", _("Referred to the police")


class Complaint(models.Model):
    """One consumer's complaint about one undelivered order. ``status`` changes only through services."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consumer"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    platform = models.ForeignKey(
        "platforms.Platform",
        verbose_name=_("platform"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    unregistered_platform_name = models.CharField(_("platform name (unregistered)"), max_length=200, blank=True)
    unregistered_platform_url = models.URLField(_("platform website (unregistered)"), blank=True)

    order_number = models.CharField(_("order number"), max_length=64)
    paid_at = models.DateTimeField(_("time paid"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    payment_channel = models.CharField(_("payment channel"), max_length=20, choices=PaymentChannel.choices)
    payment_reference = models.CharField(_("payment transaction number"), max_length=64)
    product_name = models.CharField(_("product"), max_length=200)
    problem = models.CharField(_("problem"), max_length=30, choices=Problem.choices)
    platform_order_status = models.CharField(
        _("order status shown by the platform"), max_length=20, choices=PlatformOrderStatus.choices
    )
    description = models.TextField(_("what happened"), max_length=5000)
    desired_outcome = models.CharField(_("what you want"), max_length=20, choices=DesiredOutcome.choices)
    support_agent_id = models.CharField(_("support agent ID"), max_length=64, blank=True)
    support_contacted_at = models.DateTimeField(_("time of contact with support"), null=True, blank=True)
    support_promise = models.CharField(_("what support promised"), max_length=500, blank=True)
    support_promised_by = models.DateTimeField(_("promised by"), null=True, blank=True)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.AWAITING_PLATFORM)
    finding = models.CharField(_("finding"), max_length=20, choices=Finding.choices, blank=True)
    finding_note = models.TextField(_("finding note"), blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    # Due time of the earliest running, unpaused platform clock (NULL when none): the inbox order, stored rather
    # than computed per row so that a platform's inbox is one index range scan however many complaints it has.
    # Written with the clocks at filing, then by ``deadlines.sync_platform_due`` after every clock change.
    platform_due_at = models.DateTimeField(_("next platform deadline"), null=True, blank=True, editable=False)
    compensation_breach = models.BooleanField(_("breaches the platform's compensation standard"), default=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_complaints",
    )
    rating = models.PositiveSmallIntegerField(_("consumer rating"), null=True, blank=True)
    dispute_reason = models.TextField(_("dispute reason"), blank=True)
    accepted_automatically = models.BooleanField(default=False, verbose_name=_("accepted automatically"))

    publish_consent = models.BooleanField(_("consent to publish the narrative"), default=False)
    public_narrative = models.TextField(_("published narrative (redacted)"), blank=True)

    created_at = models.DateTimeField(_("filed at"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    forwarded_at = models.DateTimeField(_("forwarded at"), null=True, blank=True)
    first_answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    final_answered_at = models.DateTimeField(_("final answer at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    event_count = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("event count"))
    last_event_hash = models.CharField(max_length=64, blank=True, editable=False, verbose_name=_("last event hash"))
    # When the chain head first changed after its last anchor; None once anchored (portal/anchoring.py). A
    # partial index keeps the backlog a lookup however many complaints there are.
    anchor_pending_since = models.DateTimeField(_("anchor pending since"), null=True, blank=True, editable=False)

    # Jurisdiction (Order 121 Art. 13, 14, 41): the office handling the complaint now, and the office that received
    # it first (on filing: the county office of the platform's domicile, or the receiving centre's triage). NULL
    # only for rows written before offices existed or by bulk loaders; only the national scope reads those.
    office = models.ForeignKey(
        "portal.Office",
        verbose_name=_("handling office"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        db_index=False,  # complaint_office_recent leads with it
    )
    office_since = models.DateTimeField(_("handled by this office since"), null=True, blank=True)
    first_received_by = models.ForeignKey(
        "portal.Office",
        verbose_name=_("first received by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.UniqueConstraint(
                fields=["consumer", "platform", "order_number"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="complaint_one_open_per_order",
            ),
            models.CheckConstraint(name="complaint_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="complaint_platform_or_unregistered",
                condition=Q(platform__isnull=False) | ~Q(unregistered_platform_name=""),
            ),
            models.CheckConstraint(
                name="complaint_rating_1_to_5",
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
            ),
        ]
        indexes = [
            models.Index(fields=["consumer", "-created_at"], name="complaint_consumer_recent"),
            models.Index(fields=["platform", "status", "-created_at"], name="complaint_platform_status"),
            models.Index(fields=["platform", "-created_at"], name="complaint_platform_recent"),
            models.Index(fields=["status", "-created_at"], name="complaint_status_recent"),
            models.Index(fields=["order_number"], name="complaint_order_number"),
            # The list searches (complaints/search.py) have PostgreSQL-only indexes besides these: prefixes of the
            # order and payment numbers, trigrams of the product name. The search_indexes migration makes them.
            # An office's desk, newest first; the office scope is ``office_id`` equal to, or in, a few ids.
            models.Index(fields=["office", "-created_at"], name="complaint_office_recent"),
            # An office's desk filtered by status (open, awaiting the platform…), newest first: without it the
            # planner intersects the office's and the status's whole index ranges (a county can hold 100 000).
            models.Index(fields=["office", "status", "-created_at"], name="complaint_office_status"),
            # The platform inbox, most urgent first: ``platform_due_at ASC NULLS LAST, id DESC`` (PostgreSQL's
            # ascending order puts NULLs last), read forwards for the next pages and backwards for the previous.
            # It carries the columns the inbox filters on, so the web page's count of a filtered inbox reads the
            # index alone instead of every complaint of the platform.
            models.Index(
                fields=["platform", "platform_due_at", "-id"],
                include=["status", "problem", "is_overdue", "assigned_to"],
                name="complaint_platform_inbox",
            ),
            # The anchoring backlog (portal/anchoring.py): chains changed since their last anchor, oldest first.
            models.Index(
                fields=["anchor_pending_since"],
                name="complaint_anchor_pending",
                condition=Q(anchor_pending_since__isnull=False),
            ),
            # The public registry lists a platform's consented narratives, newest first, on every page view.
            models.Index(
                fields=["platform", "-created_at"],
                name="complaint_published_narrative",
                condition=Q(publish_consent=True) & ~Q(public_narrative=""),
            ),
            # The statistics window (filed in the last N days) with every column its aggregates read, so they
            # scan this index only, never the wide complaint rows.
            models.Index(
                fields=["created_at"],
                include=[
                    "platform",
                    "status",
                    "finding",
                    "is_overdue",
                    "compensation_breach",
                    "rating",
                    "forwarded_at",
                    "first_answered_at",
                    "final_answered_at",
                ],
                name="complaint_stats_window",
            ),
            # The weekly follow-up sample (Order 121 Art. 26) draws from the complaints closed in one week.
            models.Index(fields=["closed_at"], name="complaint_closed", condition=Q(closed_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def platform_display_name(self) -> str:
        return self.platform.name if self.platform_id else self.unregistered_platform_name


class ResponseOutcome(models.TextChoices):
    DELIVERED = "delivered", _("Delivered")
    REFUNDED = "refunded", _("Refunded")
    COMPENSATED = "compensated", _("Compensated")
    REJECTED = "rejected", _("Rejected")
    IN_PROGRESS = "in_progress", _("In progress")


FINAL_OUTCOMES = (
    ResponseOutcome.DELIVERED,
    ResponseOutcome.REFUNDED,
    ResponseOutcome.COMPENSATED,
    ResponseOutcome.REJECTED,
)


class RejectionReason(models.TextChoices):
    ALREADY_DELIVERED = "already_delivered", _("Goods were already delivered")
    NOT_OUR_ORDER = "not_our_order", _("No such order on this platform")
    PAYMENT_NOT_RECEIVED = "payment_not_received", _("Payment never reached the platform")
    WRONG_ACCOUNT_GIVEN = "wrong_account_given", _("Consumer gave a wrong account")
    ABUSE = "abuse", _("Abusive or fraudulent claim")
    OTHER = "other", _("Other")


class Response(models.Model):
    """A platform's answer. Outcome-specific fields are validated by the respond service."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="responses", verbose_name=_("complaint")
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=ResponseOutcome.choices)
    message = models.TextField(_("message"), max_length=5000)
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responder"),
    )
    api_key = models.ForeignKey(
        "platforms.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("api key")
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivery_method = models.CharField(_("delivery method"), max_length=200, blank=True)
    delivery_record = models.CharField(_("masked card key or activation record"), max_length=200, blank=True)
    refund_amount = models.DecimalField(_("refund amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    refund_reference = models.CharField(_("refund reference"), max_length=64, blank=True)
    compensation = models.CharField(_("compensation given"), max_length=500, blank=True)
    rejection_reason = models.CharField(
        _("rejection reason"), max_length=30, choices=RejectionReason.choices, blank=True
    )
    promised_by = models.DateTimeField(_("promised by"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("platform response")
        verbose_name_plural = _("platform responses")
        indexes = [models.Index(fields=["complaint", "created_at"])]

    def __str__(self) -> str:
        return f"{self.complaint_id}:{self.outcome}"


class EvidenceKind(models.TextChoices):
    ORDER_SCREENSHOT = "order_screenshot", _("Order screenshot")
    PAYMENT_VOUCHER = "payment_voucher", _("Payment voucher")
    CHAT_LOG = "chat_log", _("Chat log")
    RECORDING = "recording", _("Recording")
    DELIVERY_PROOF = "delivery_proof", _("Delivery proof")
    OTHER = "other", _("Other")


class Party(models.TextChoices):
    CONSUMER = "consumer", _("Consumer")
    PLATFORM = "platform", _("Platform")
    REGULATOR = "regulator", _("Regulator")


def evidence_upload_to(instance: "Evidence", filename: str) -> str:
    # Random names: the stored path reveals nothing and cannot be guessed or traversed.
    now = datetime.now()
    return f"evidence/{now:%Y/%m}/{secrets.token_hex(16)}"


def thumbnail_upload_to(instance: "Evidence", filename: str) -> str:
    now = datetime.now()
    return f"thumbnails/{now:%Y/%m}/{secrets.token_hex(16)}.png"


class Evidence(models.Model):
    """A file backing a complaint. The bytes are kept exactly as received; their SHA-256 is in the chain."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("complaint")
    )
    party = models.CharField(_("submitted by"), max_length=20, choices=Party.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=EvidenceKind.choices)
    file = models.FileField(upload_to=evidence_upload_to, max_length=200, verbose_name=_("file"))
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, max_length=200, blank=True, verbose_name=_("thumbnail"))
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("type"), max_length=100)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        indexes = [
            models.Index(fields=["complaint", "received_at"]),
            models.Index(fields=["sha256"], name="evidence_sha256"),  # the public check (/verify/)
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class EventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    TRIAGED = "triaged", _("Triaged by regulator")
    FORWARDED = "forwarded", _("Forwarded to platform")
    EVIDENCE_ADDED = "evidence_added", _("Evidence added")
    INFO_REQUESTED = "info_requested", _("Platform asked for information")
    INFO_SUPPLIED = "info_supplied", _("Consumer supplied information")
    ANSWERED = "answered", _("Platform answered")
    ACCEPTED = "accepted", _("Consumer accepted")
    DISPUTED = "disputed", _("Consumer disputed")
    DEADLINE_REMINDED = "deadline_reminded", _("Deadline reminder sent")
    DEADLINE_BREACHED = "deadline_breached", _("Deadline missed")
    ESCALATED = "escalated", _("Escalated to regulator")
    MEDIATION_ACCEPTED = "mediation_accepted", _("Accepted for mediation")
    REFUSED = "refused", _("Refused by regulator")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    PENALTY_LINKED = "penalty_linked", _("Penalty linked")
    PUBLICATION_CHANGED = "publication_changed", _("Publication consent changed")
    TRANSFERRED = "transferred", _("Transferred to another office")
    TAKEN_OVER = "taken_over", _("Taken over by a higher office")
    JURISDICTION_DISPUTED = "jurisdiction_disputed", _("Jurisdiction disputed")
    DESIGNATED = "designated", _("Handling office designated")
    FOLLOW_UP_REQUESTED = "follow_up_requested", _("Follow-up survey sent")
    FOLLOW_UP_ANSWERED = "follow_up_answered", _("Follow-up survey answered")
    MATERIAL_REQUESTED = "material_requested", _("Regulator asked for identity proof or material")
    REFUSAL_PROPOSED = "refusal_proposed", _("Refusal proposed: requested material not supplied")
    MEDIATION_CONSENTED = "mediation_consented", _("Consent to mediation recorded")
    TESTING_STARTED = "testing_started", _("Appraisal or test started")
    TESTING_ENDED = "testing_ended", _("Appraisal or test ended")
    AGREEMENT_RECORDED = "agreement_recorded", _("Mediation agreement recorded")
    MEDIATION_TERMINATED = "mediation_terminated", _("Mediation terminated")
    POLICE_REFERRED = "police_referred", _("Referred to the police")
    NOTICE_ISSUED = "notice_issued", _("Notice issued")
    # A regulator confirmed that the platform can no longer be reached (跑路): its clocks stop, the complaint
    # goes to the regulator's desk and the consumer is pointed to the payment channel (regulation/vanishing.py).
    PLATFORM_UNREACHABLE = "platform_unreachable", _("Platform confirmed unreachable")
    JOINED_JOINT_COMPLAINT = "joint_joined", _("Joined a joint complaint")
    LEFT_JOINT_COMPLAINT = "joint_left", _("Left the joint complaint")
    REPRESENTATIVE_CHOSEN = "joint_representative_chosen", _("Written choice of representatives recorded")
    REPRESENTATIVE_ELECTED = "joint_representative_elected", _("Representative of the joint complaint elected")
    REPRESENTATIVE_ACTED = "joint_representative_acted", _("Representative acted for the joint complaint")
    JOINT_PROPOSAL_MADE = "joint_proposal_made", _("Settlement or claim change proposed")
    MEMBER_CONSENT_RECORDED = "joint_consent_recorded", _("Member's consent recorded")
    JOINT_PROPOSAL_ADOPTED = "joint_proposal_adopted", _("Proposal adopted with every member's consent")
    REFUND_RECORDED = "refund_recorded", _("Refund recorded by the regulator")
    MESSAGE_POSTED = "message_posted", _("Message posted")
    JOINT_HANDLING_DECIDED = "joint_handling_decided", _("Regulator decided on joint handling")


class Event(models.Model):
    """One immutable entry of a complaint's timeline, chained by SHA-256 to the entry before it."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="events", verbose_name=_("complaint")
    )
    sequence = models.PositiveIntegerField(verbose_name=_("sequence"))
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    prev_hash = models.CharField(max_length=64, blank=True, verbose_name=_("prev hash"))
    hash = models.CharField(max_length=64, verbose_name=_("hash"))

    class Meta:
        ordering = ["complaint_id", "sequence"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        constraints = [models.UniqueConstraint(fields=["complaint", "sequence"], name="event_complaint_sequence")]

    def __str__(self) -> str:
        return f"{self.complaint_id}#{self.sequence} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Timeline events are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Timeline events are immutable.")


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
    HARD_LIMIT = "hard_limit", _("Negotiation limit")
    CONSUMER_REPLY = "consumer_reply", _("Consumer reply")
    REGULATOR_ACCEPTANCE = "regulator_acceptance", _("Regulator acceptance decision")
    MEDIATION = "mediation", _("Mediation")
    TERMINATION_NOTICE = "termination_notice", _("Termination notice")
    CLUE_CHECK = "clue_check", _("Violation clue check")


PLATFORM_CLOCKS = (ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION, ClockKind.HARD_LIMIT)
# The regulator's own duties (the rulebook's clocks that end with a step the regulator owes): their reminders go
# to the regulators, and missing one is never a platform's breach.
REGULATOR_DUTY_CLOCKS = (ClockKind.REGULATOR_ACCEPTANCE, ClockKind.TERMINATION_NOTICE, ClockKind.CLUE_CHECK)


class DeadlineQuerySet(models.QuerySet):
    def running(self):
        """Clocks still counting: not met, not missed, not cancelled (paused ones included)."""
        return self.filter(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True)


class Deadline(models.Model):
    """One clock of one complaint. Running clocks (not met, missed or cancelled) are what the sweep scans.

    A clock is cancelled, not met, when the complaint ends for another reason (withdrawal, a regulator's
    closure): counting it as met would credit the platform with an answer it never gave.
    """

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="deadlines", verbose_name=_("complaint")
    )
    kind = models.CharField(_("clock"), max_length=30, choices=ClockKind.choices)
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"))
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("missed at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("time paused (s)"), default=0)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Why a cancelled clock stopped, when that matters to the statistics: "platform_unreachable" (a regulator
    # confirmed the platform vanished) is neither met nor missed, and is counted on its own. Empty otherwise.
    cancelled_reason = models.CharField(_("cancelled because"), max_length=30, blank=True, db_default="")
    explanation = models.JSONField(_("how it was computed"), default=dict)
    # The rulebook edition in force when the clock started, and the article its length comes from: the clock
    # keeps them for its whole life, whatever edition is in force later. Empty for the platform-side clocks,
    # whose lengths are the portal's own settings.
    edition = models.ForeignKey(
        "RuleEdition",
        on_delete=models.PROTECT,
        to_field="code",
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rulebook edition"),
    )
    article = models.CharField(_("article"), max_length=100, blank=True, db_default="")

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [models.UniqueConstraint(fields=["complaint", "kind"], name="deadline_complaint_kind")]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="deadline_open_due",
                condition=Q(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True),
            ),
            # The statistics' clock aggregates read only these columns: answered from the index alone.
            models.Index(
                fields=["kind", "started_at"],
                include=["complaint", "due_at", "met_at", "breached_at"],
                name="deadline_kind_started",
            ),
            # "Next due" per complaint (inbox order, consumer list): one probe per complaint into a small index
            # of running clocks only, answered from the index alone.
            models.Index(
                fields=["complaint", "due_at"],
                include=["kind", "paused_at"],
                name="deadline_running_by_complaint",
                condition=Q(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True),
            ),
            # The clocks stopped for a reason the statistics count on their own (a platform confirmed
            # unreachable): a few rows among millions.
            models.Index(
                fields=["cancelled_reason", "complaint"],
                name="deadline_cancelled_reason",
                condition=~Q(cancelled_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}:{self.kind} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def state(self) -> str:
        if self.met_at:
            return "met" if self.met_at <= self.due_at else "late"
        if self.breached_at:
            return "breached"
        if self.cancelled_at:
            return "cancelled"
        if self.paused_at:
            return "paused"
        return "running"


class CalendarException(models.Model):
    """A regulator's correction to the holiday calendar: a date that is (or is not) a working day."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("is a working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")

    def __str__(self) -> str:
        return f"{self.date}: {'working' if self.is_working_day else 'holiday'}"


class InternalNote(models.Model):
    """A platform's or regulator's note on a complaint. Never shown to the consumer."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="internal_notes", verbose_name=_("complaint")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    text = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return f"note on {self.complaint_id}"


class IdempotencyKey(models.Model):
    """Remembers an API client's ``Idempotency-Key`` so a retried filing returns the first result."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(max_length=100, verbose_name=_("key"))
    request_fingerprint = models.CharField(max_length=64, verbose_name=_("request fingerprint"))
    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, null=True, related_name="+", verbose_name=_("complaint")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]

    def __str__(self) -> str:
        return self.key


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", pgettext_lazy("webhook delivery", "Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(
        "platforms.WebhookEndpoint", on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event = models.CharField(
        max_length=40,
        choices=[*WebhookEvent.choices, (WEBHOOK_TEST_EVENT, WEBHOOK_TEST_EVENT)],
        verbose_name=_("event"),
    )
    payload = models.JSONField(verbose_name=_("payload"))
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("last status code"))
    last_error = models.CharField(max_length=500, blank=True, verbose_name=_("last error"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_pending", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"


class DossierExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


def dossier_upload_to(instance: "DossierExport", filename: str) -> str:
    now = datetime.now()
    return f"dossiers/{now:%Y/%m}/{secrets.token_hex(16)}.pdf"


class PreparedFile(models.Model):
    """What the files prepared in the background for a complaint's requester share (a dossier export, a
    chargeback pack): who asked, the status and progress the waiting page polls, and why one failed."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DossierExportStatus.choices, default=DossierExportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    # Failures the requester is told about in plain words, kept in ``error`` (any other failure keeps the
    # exception's text there, for whoever reads the logs, and shows the general message).
    TIMED_OUT = "timed_out"
    NOT_QUEUED = "not_queued"
    FAILURE_MESSAGES: dict = {}
    GENERAL_FAILURE_MESSAGE = ""

    class Meta:
        abstract = True

    @property
    def is_unfinished(self) -> bool:
        return self.status in (DossierExportStatus.PENDING, DossierExportStatus.RUNNING)

    @property
    def failure_message(self) -> str:
        """Why it failed, for its requester; empty unless it failed."""
        if self.status != DossierExportStatus.FAILED:
            return ""
        return str(self.FAILURE_MESSAGES.get(self.error, self.GENERAL_FAILURE_MESSAGE))


class DossierExport(PreparedFile):
    """A rendered dossier PDF: prepared in the background for a complaint with many evidence files, or kept
    after a download so the next one, while the chain head has not moved, is served without rendering."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="dossier_exports", verbose_name=_("complaint")
    )
    file = models.FileField(upload_to=dossier_upload_to, max_length=200, blank=True, verbose_name=_("file"))
    # The complaint's last_event_hash the PDF was rendered from (and prints): a finished export with the current
    # head is the dossier as it stands, so it is served again instead of rendered.
    head_hash = models.CharField(_("chain head"), max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dossier export")
        verbose_name_plural = _("dossier exports")
        constraints = [
            models.CheckConstraint(name="dossier_export_progress_0_100", condition=Q(progress__lte=100)),
        ]

    FAILURE_MESSAGES = {
        PreparedFile.TIMED_OUT: _(
            "Preparing the dossier took longer than allowed and was stopped. Please try again; if it stops "
            "again, contact us."
        ),
        PreparedFile.NOT_QUEUED: _("The dossier could not be queued just now. Please try again in a minute."),
    }
    GENERAL_FAILURE_MESSAGE = _("The dossier could not be prepared. Please try again; if it fails again, contact us.")

    def __str__(self) -> str:
        return f"dossier {self.complaint_id} ({self.status})"


# --- The rulebook: the legal rules as data, versioned by effective date ------------------------------------


class RuleEdition(models.Model):
    """One edition of the rules the regulator applies, e.g. SAMR Order 121 from 2026-04-15.

    A new edition is a new row (and a data migration), never a change to the code that reads the rules: callers
    ask ``complaints.rulebook`` for the rule in force at an instant.
    """

    code = models.SlugField(_("code"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    # 国家市场监督管理总局令第121号; the abbreviation (令第121号) starts every article citation.
    citation = models.CharField(_("official citation"), max_length=100)
    abbreviation = models.CharField(_("abbreviation"), max_length=30)
    abbreviation_en = models.CharField(_("abbreviation (English)"), max_length=30)
    effective_from = models.DateField(_("in force from"))
    effective_until = models.DateField(_("in force until"), null=True, blank=True)

    class Meta:
        ordering = ["effective_from"]
        verbose_name = _("rulebook edition")
        verbose_name_plural = _("rulebook editions")
        constraints = [
            models.CheckConstraint(
                name="rule_edition_period_ordered",
                condition=Q(effective_until__isnull=True) | Q(effective_until__gte=models.F("effective_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.abbreviation} ({self.effective_from}–{self.effective_until or ''})"

    def is_in_force_on(self, day) -> bool:
        return self.effective_from <= day and (self.effective_until is None or day <= self.effective_until)


class ClockUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_DAYS = "calendar_days", _("calendar days")


class ClockCounting(models.TextChoices):
    # The portal's counting before Order 121: the clock ends at the same time of day on its last day.
    ELAPSED = "elapsed", _("from the starting moment")
    # Order 121 Art. 45: the starting day is not counted; the period ends with its last day, and a last day that
    # is a statutory holiday gives way to the first day after the holiday.
    ARTICLE_45 = "article_45", _("whole days (Order 121 Art. 45)")


class ClockPause(models.TextChoices):
    NONE = "", _("nothing")
    APPRAISAL = "appraisal", _("an appraisal or test")


class CitedArticle(models.Model):
    """A rule's article in its edition, and the citation made of both: 令第121号第二十三条第一款第（五）项 /
    SAMR Order 121, Art. 23(1)(5). Subclasses have an ``edition``."""

    article = models.CharField(_("article"), max_length=60)
    article_en = models.CharField(_("article (English)"), max_length=60)

    class Meta:
        abstract = True

    @property
    def citation(self) -> str:
        return f"{self.edition.abbreviation}{self.article}"

    @property
    def citation_en(self) -> str:
        return f"{self.edition.abbreviation_en}, {self.article_en}"


class ClockRule(CitedArticle):
    """How long one clock of an edition runs, how it counts, what pauses it, and the article it comes from."""

    edition = models.ForeignKey(
        RuleEdition, on_delete=models.CASCADE, related_name="clock_rules", verbose_name=_("edition")
    )
    kind = models.CharField(_("clock"), max_length=30, choices=ClockKind.choices)
    length = models.PositiveSmallIntegerField(_("length"))
    unit = models.CharField(_("unit"), max_length=20, choices=ClockUnit.choices)
    counting = models.CharField(_("counting"), max_length=20, choices=ClockCounting.choices)
    paused_by = models.CharField(_("paused by"), max_length=20, choices=ClockPause.choices, blank=True)
    # How many working days one recorded approval may add, once (Order 121 Art. 27); 0 when it cannot be extended.
    extension_length = models.PositiveSmallIntegerField(_("extension (once)"), default=0)

    class Meta:
        ordering = ["edition__effective_from", "kind"]
        verbose_name = _("clock rule")
        verbose_name_plural = _("clock rules")
        constraints = [models.UniqueConstraint(fields=["edition", "kind"], name="clock_rule_edition_kind")]

    def __str__(self) -> str:
        return f"{self.edition.abbreviation} {self.kind}: {self.length} {self.unit}"


class GroundKind(models.TextChoices):
    REFUSAL = "refusal", _("Refusal to accept")
    TERMINATION = "termination", _("Termination of mediation")


class Ground(CitedArticle):
    """A legal ground for refusing a complaint or terminating mediation, with its article text in both
    languages. A decision names its ground by code; the decision's free text adds detail, never replaces it."""

    edition = models.ForeignKey(
        RuleEdition, on_delete=models.CASCADE, related_name="grounds", verbose_name=_("edition")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=GroundKind.choices)
    code = models.SlugField(_("code"), max_length=20)
    text_zh = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"))

    class Meta:
        ordering = ["edition__effective_from", "kind", "code"]
        verbose_name = _("ground")
        verbose_name_plural = _("grounds")
        constraints = [models.UniqueConstraint(fields=["edition", "code"], name="ground_edition_code")]

    def __str__(self) -> str:
        return f"{self.edition.abbreviation} {self.code}"

    @property
    def text(self) -> str:
        """The ground's text in the active language (Chinese unless the reader chose English)."""
        return self.text_en if (get_language() or "").startswith("en") else self.text_zh


class NoticeKind(models.TextChoices):
    REFUSAL = "refusal", _("Refusal notice")
    ACCEPTANCE = "acceptance", _("Acceptance notice")
    TERMINATION = "termination", _("Termination of mediation notice")


class NoticeTemplate(CitedArticle):
    """Which template renders a notice of an edition, its Chinese title and the article that requires it."""

    edition = models.ForeignKey(
        RuleEdition, on_delete=models.CASCADE, related_name="notice_templates", verbose_name=_("edition")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    title = models.CharField(_("title"), max_length=60)
    template_name = models.CharField(_("template"), max_length=200)

    class Meta:
        ordering = ["edition__effective_from", "kind"]
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        constraints = [models.UniqueConstraint(fields=["edition", "kind"], name="notice_template_edition_kind")]

    def __str__(self) -> str:
        return f"{self.edition.abbreviation} {self.title}"


class FollowUp(models.Model):
    """A 回访 (Order 121 Art. 26): a closed complaint drawn by the weekly sample, and the consumer's answer.

    At most one per complaint, ever (the unique key is what makes a repeated draw harmless). Created by
    ``follow_up.follow_ups_request``, answered once by ``follow_up.follow_up_answer``.
    """

    complaint = models.OneToOneField(
        Complaint, on_delete=models.PROTECT, related_name="follow_up", verbose_name=_("complaint")
    )
    # ISO week of the closings the sample was drawn from, e.g. "2026-W48".
    week = models.CharField(_("sampled week"), max_length=8)
    requested_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("open until"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    resolved = models.BooleanField(_("was the problem resolved?"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("follow-up survey")
        verbose_name_plural = _("follow-up surveys")
        constraints = [
            models.CheckConstraint(
                name="follow_up_rating_1_to_5",
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
            ),
            models.CheckConstraint(
                name="follow_up_answer_complete",
                condition=Q(answered_at__isnull=True, resolved__isnull=True, rating__isnull=True)
                | Q(answered_at__isnull=False, resolved__isnull=False, rating__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["week"], name="follow_up_week"),
            # The satisfaction statistics read the answers given in a window.
            models.Index(fields=["answered_at"], name="follow_up_answered", condition=Q(answered_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"follow-up {self.complaint_id} ({self.week})"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    def is_open_at(self, moment: datetime) -> bool:
        return not self.is_answered and moment < self.expires_at


# --- Joint complaints (共同投诉, SAMR Order 121 Art. 12) -------------------------------------------------------


class JointDispute(models.TextChoices):
    """What "the same consumer-rights dispute" (同一消费者权益争议, Order 121 Art. 12) means here: complaints
    against the same platform whose problems fall in the same group. The three kinds of goods never arriving
    (a card key, a membership, a top-up) are one dispute; a wrong item is another; anything else a third."""

    UNDELIVERED = "undelivered", _("Goods paid for but not delivered")
    WRONG_ITEM = "wrong_item", _("Wrong item delivered")
    OTHER = "other", _("Other dispute")


PROBLEM_DISPUTE = {
    Problem.CARD_KEY_MISSING: JointDispute.UNDELIVERED,
    Problem.MEMBERSHIP_NOT_ACTIVATED: JointDispute.UNDELIVERED,
    Problem.TOPUP_NOT_CREDITED: JointDispute.UNDELIVERED,
    Problem.WRONG_ITEM: JointDispute.WRONG_ITEM,
    Problem.OTHER: JointDispute.OTHER,
}


def new_join_code() -> str:
    return secrets.token_urlsafe(9)


class JointComplaint(models.Model):
    """Complaints of two or more consumers about the same dispute with the same platform, handled together with
    each member's consent (Order 121 Art. 12). Every member keeps their own complaint, evidence and chain; this
    row groups them. Created by ``joint.joint_create``; members join with the ``join_code``."""

    platform = models.ForeignKey(
        "platforms.Platform", on_delete=models.PROTECT, related_name="joint_complaints", verbose_name=_("platform")
    )
    dispute = models.CharField(_("dispute"), max_length=20, choices=JointDispute.choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("what the dispute is"), max_length=2000)
    # The founding complaint's handling office: regulators read joint complaints through it (fail closed).
    office = models.ForeignKey(
        "portal.Office",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="joint_complaints",
        verbose_name=_("handling office"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    join_code = models.CharField(_("join code"), max_length=20, unique=True, default=new_join_code)
    created_at = models.DateTimeField(_("created at"))
    # The platform answers the joint complaint once; later answers (after a member disputes) are per complaint.
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # Order 121 Art. 12: 市场监督管理部门可以按共同投诉处理 — the office decides, once, whether it handles the group
    # as a joint complaint (``joint.joint_handling_decide``). None until decided; False: declined, each member's
    # complaint goes on alone.
    handled_jointly = models.BooleanField(_("handled jointly"), null=True, blank=True)
    decided_at = models.DateTimeField(_("handling decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handling decided by"),
    )
    decision_reason = models.TextField(_("reason for the decision"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("joint complaint")
        verbose_name_plural = _("joint complaints")
        indexes = [
            models.Index(fields=["platform", "-created_at"], name="joint_platform_recent"),
            models.Index(fields=["office", "-created_at"], name="joint_office_recent"),
        ]

    def __str__(self) -> str:
        return f"JC-{self.pk}: {self.title}"


class JointMembership(models.Model):
    """One member's complaint in a joint complaint, with the consent they gave to join (who, when, the text)."""

    joint = models.ForeignKey(
        JointComplaint, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("joint complaint")
    )
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="joint_memberships", verbose_name=_("complaint")
    )
    consented_at = models.DateTimeField(_("consented at"))
    consent_text = models.TextField(_("consent text"))
    consent_sha256 = models.CharField(_("consent text SHA-256"), max_length=64)
    is_representative = models.BooleanField(_("representative"), default=False)
    representative_since = models.DateTimeField(_("representative since"), null=True, blank=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        ordering = ["consented_at", "pk"]
        verbose_name = _("joint complaint member")
        verbose_name_plural = _("joint complaint members")
        constraints = [
            models.UniqueConstraint(fields=["joint", "complaint"], name="joint_member_once"),
            # A complaint belongs to one joint complaint at a time.
            models.UniqueConstraint(
                fields=["complaint"], condition=Q(left_at__isnull=True), name="joint_member_one_active"
            ),
            models.CheckConstraint(
                name="joint_representative_is_member",
                condition=Q(is_representative=False) | Q(left_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"JC-{self.joint_id} / {self.complaint_id}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class RepresentativeChoice(models.Model):
    """A member's written choice (书面推选, Order 121 Art. 12) of one member as representative."""

    voter = models.ForeignKey(
        JointMembership, on_delete=models.PROTECT, related_name="choices_made", verbose_name=_("member choosing")
    )
    candidate = models.ForeignKey(
        JointMembership, on_delete=models.PROTECT, related_name="choices_received", verbose_name=_("member chosen")
    )
    chosen_at = models.DateTimeField(_("chosen at"))
    text_sha256 = models.CharField(_("SHA-256 of the written choice"), max_length=64)

    class Meta:
        ordering = ["chosen_at", "pk"]
        verbose_name = _("written choice of a representative")
        verbose_name_plural = _("written choices of representatives")
        constraints = [models.UniqueConstraint(fields=["voter", "candidate"], name="joint_choice_once")]

    def __str__(self) -> str:
        return f"{self.voter_id} → {self.candidate_id}"


class ProposalKind(models.TextChoices):
    # The acts of a representative that bind a member only with that member's consent (Order 121 Art. 12).
    SETTLEMENT = "settlement", _("Settle with the platform (mediation agreement)")
    CLAIM_CHANGE = "claim_change", _("Change the claim")
    CLAIM_ABANDON = "claim_abandon", _("Abandon the claim")


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the members' consent")
    ADOPTED = "adopted", _("Adopted with every member's consent")


class JointProposal(models.Model):
    """A representative's proposal to settle, change or abandon the claim: it binds only the members who consent."""

    joint = models.ForeignKey(
        JointComplaint, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("joint complaint")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ProposalKind.choices)
    text = models.TextField(_("terms"), max_length=5000)
    proposed_by = models.ForeignKey(
        JointMembership, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    status = models.CharField(_("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    adopted_at = models.DateTimeField(_("adopted at"), null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("joint proposal")
        verbose_name_plural = _("joint proposals")

    def __str__(self) -> str:
        return f"JC-{self.joint_id} {self.kind} ({self.status})"


class MemberConsent(models.Model):
    """One member's recorded yes or no to a proposal (Order 121 Art. 12: 应当经被代表的投诉人同意)."""

    proposal = models.ForeignKey(
        JointProposal, on_delete=models.PROTECT, related_name="consents", verbose_name=_("proposal")
    )
    membership = models.ForeignKey(
        JointMembership, on_delete=models.PROTECT, related_name="consents", verbose_name=_("member")
    )
    consents = models.BooleanField(_("consents"))
    text_sha256 = models.CharField(_("SHA-256 of the terms consented to"), max_length=64)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name = _("member's consent")
        verbose_name_plural = _("members' consents")
        constraints = [models.UniqueConstraint(fields=["proposal", "membership"], name="joint_consent_once")]

    def __str__(self) -> str:
        return f"{self.proposal_id} / {self.membership_id}: {self.consents}"
#: Longest message on a complaint's thread, in characters.
MESSAGE_MAX_LENGTH = 2000


class Message(models.Model):
    """One message on a complaint's thread: the consumer, the platform and the regulators talk without moving the
    complaint's status or clocks (``complaints.thread``). The body's SHA-256 is in the chained
    ``message_posted`` event; attachments are evidence like any other, so they are in the dossier and the
    evidence list."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="messages", verbose_name=_("complaint")
    )
    party = models.CharField(_("from"), max_length=20, choices=Party.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    # A platform's API key posts as the platform; the key is kept so the platform knows which integration wrote.
    api_key = models.ForeignKey(
        "platforms.ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("api key"),
    )
    body = models.TextField(_("text"), max_length=MESSAGE_MAX_LENGTH)
    attachments = models.ManyToManyField(
        Evidence, blank=True, related_name="messages", verbose_name=_("attachments")
    )
    created_at = models.DateTimeField(_("posted at"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("thread message")
        verbose_name_plural = _("thread messages")
        # A thread reads in order, newest pages by cursor over (created_at, id).
        indexes = [models.Index(fields=["complaint", "created_at", "id"], name="message_complaint_thread")]

    def __str__(self) -> str:
        return f"message {self.pk} on {self.complaint_id}"


# --- Chargeback packs: what a consumer sends to the payment channel -----------------------------------------


def chargeback_upload_to(instance: "ChargebackPack", filename: str) -> str:
    now = datetime.now()
    return f"chargeback/{now:%Y/%m}/{secrets.token_hex(16)}.zip"


class ChargebackPack(PreparedFile):
    """A ZIP for the consumer's payment channel (交易争议 / 交易仲裁 / 拒付): the dossier, the payment vouchers, a
    signed one-page statement in Chinese and a manifest of every file's SHA-256. Built in the background by
    ``complaints.chargeback``; its progress is shown like a dossier export's."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="chargeback_packs", verbose_name=_("complaint")
    )
    file = models.FileField(upload_to=chargeback_upload_to, max_length=200, blank=True, verbose_name=_("file"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("chargeback pack")
        verbose_name_plural = _("chargeback packs")
        constraints = [
            models.CheckConstraint(name="chargeback_pack_progress_0_100", condition=Q(progress__lte=100)),
        ]

    FAILURE_MESSAGES = {
        PreparedFile.TIMED_OUT: _(
            "Preparing the chargeback pack took longer than allowed and was stopped. Please try again."
        ),
        PreparedFile.NOT_QUEUED: _(
            "The chargeback pack could not be queued just now. Please try again in a minute."
        ),
    }
    GENERAL_FAILURE_MESSAGE = _("The chargeback pack could not be prepared. Please try again.")

    def __str__(self) -> str:
        return f"chargeback pack {self.complaint_id} ({self.status})"
