"""The regulators' records: penalty decisions and the daily statistics rollup.

Both tables were created by the platforms app and keep their names (``Meta.db_table``): the models moved here
without moving a row.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from complaints.models import NoticeKind
from platforms.models import Platform


class PenaltyKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    FINE = "fine", _("Fine")
    RECTIFICATION = "rectification", _("Rectification order")
    SUSPENSION = "suspension", _("Suspension of listing")
    REVOCATION_REFERRAL = "revocation_referral", _("Licence-revocation referral")


class PenaltyStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    APPEALED = "appealed", _("Appealed")
    UPHELD = "upheld", _("Upheld on appeal")
    OVERTURNED = "overturned", _("Overturned")
    PAID = "paid", _("Paid")
    RECTIFIED = "rectified", _("Rectified")


class Penalty(models.Model):
    """An administrative penalty decision of an office against a platform, with a gap-free official number per
    office and year (the office's prefix, e.g. 沪浦市监处罚〔2026〕12号)."""

    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="penalties", verbose_name=_("platform")
    )
    # The office that decided, in whose name the notice is issued and whose series numbers it.
    office = models.ForeignKey(
        "portal.Office", verbose_name=_("issuing office"), on_delete=models.PROTECT, related_name="penalties"
    )
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    sequence = models.PositiveIntegerField(verbose_name=_("sequence"))
    number = models.CharField(_("decision number"), max_length=60)
    kind = models.CharField(_("kind"), max_length=30, choices=PenaltyKind.choices)
    fine_amount = models.DecimalField(_("fine (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True)
    rectification_deadline = models.DateField(_("rectify by"), null=True, blank=True)
    legal_basis = models.TextField(_("legal basis"))
    facts = models.TextField(_("facts"))
    decision = models.TextField(_("decision"))
    complaints = models.ManyToManyField(
        "complaints.Complaint", related_name="penalties", blank=True, verbose_name=_("complaints")
    )
    decided_on = models.DateField(_("decided on"))
    appeal_deadline = models.DateField(_("appeal by"))
    status = models.CharField(_("status"), max_length=20, choices=PenaltyStatus.choices, default=PenaltyStatus.ISSUED)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("issued by")
    )
    status_note = models.TextField(_("note on the last status change"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        db_table = "platforms_penalty"
        ordering = ["-decided_on", "-sequence"]
        verbose_name = _("penalty")
        verbose_name_plural = _("penalties")
        constraints = [
            models.UniqueConstraint(fields=["office", "year", "sequence"], name="penalty_office_year_sequence"),
            # Prefixes tell offices' numbers apart; two offices without one could both have 〔2026〕第0001号.
            models.UniqueConstraint(fields=["office", "number"], name="penalty_office_number"),
            models.CheckConstraint(
                name="penalty_fine_has_amount",
                condition=~models.Q(kind="fine") | models.Q(fine_amount__gt=0),
            ),
        ]
        indexes = [
            models.Index(fields=["platform", "decided_on"]),
            models.Index(fields=["office", "-decided_on"], name="penalty_office_recent"),
        ]

    def __str__(self) -> str:
        return self.number


class PlatformDailyStats(models.Model):
    """Additive figures of the complaints filed against one platform on one day (Asia/Shanghai filing date) and
    handled by one office.

    A rollup maintained by ``regulation.rollup.refresh_daily_stats`` so the statistics of a window are a sum
    over at most (platforms × days) rows instead of an aggregate over every complaint filed in it. Only sums
    live here: a window's rates and mean rating are ratios of sums, and stay exactly equal to a direct count.
    ``platform`` is empty for the complaints against unregistered platforms, which the market totals include;
    ``office`` is the office handling the complaints at the refresh (empty for complaints without one), so an
    office's figures are a sum over its own rows.
    """

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, null=True, related_name="+", verbose_name=_("platform")
    )
    office = models.ForeignKey(
        "portal.Office", on_delete=models.CASCADE, null=True, related_name="+", verbose_name=_("office")
    )
    day = models.DateField(_("filing date"))
    complaints = models.PositiveIntegerField(default=0, verbose_name=_("complaints"))
    upheld = models.PositiveIntegerField(default=0, verbose_name=_("upheld"))
    overdue = models.PositiveIntegerField(default=0, verbose_name=_("overdue"))
    final_answers = models.PositiveIntegerField(default=0, verbose_name=_("final answers"))
    accepted = models.PositiveIntegerField(default=0, verbose_name=_("accepted"))
    rating_sum = models.PositiveIntegerField(default=0, verbose_name=_("rating sum"))
    rating_count = models.PositiveIntegerField(default=0, verbose_name=_("rating count"))
    compensation_breaches = models.PositiveIntegerField(default=0, verbose_name=_("compensation breaches"))
    first_response_on_time = models.PositiveIntegerField(default=0, verbose_name=_("first response on time"))
    first_response_decided = models.PositiveIntegerField(default=0, verbose_name=_("first response decided"))
    resolution_on_time = models.PositiveIntegerField(default=0, verbose_name=_("resolution on time"))
    resolution_decided = models.PositiveIntegerField(default=0, verbose_name=_("resolution decided"))

    class Meta:
        db_table = "platforms_platformdailystats"
        verbose_name = _("daily platform statistics")
        verbose_name_plural = _("daily platform statistics")
        constraints = [
            # One row per (platform, office, day), the rows without a platform or an office included: the
            # expression is what the refresh's ON CONFLICT names.
            models.UniqueConstraint(
                Coalesce("platform", models.Value(0)),
                Coalesce("office", models.Value(0)),
                "day",
                name="daily_stats_platform_office_day",
            )
        ]
        indexes = [
            models.Index(fields=["day", "platform"], name="daily_stats_day_platform"),
            # An office's figures: its own rows of the window.
            models.Index(fields=["office", "day"], name="daily_stats_office_day"),
        ]

    def __str__(self) -> str:
        return f"{self.platform_id or '-'} {self.office_id or '-'} {self.day}"


class DailyStatsRefresh(models.Model):
    """When the daily rollup was last refreshed, and from which filing day on it holds every day.

    A single row (pk 1), written by every refresh. Its presence is what makes the statistics read the rollup:
    kept in the database, not only in the cache, so a flushed cache never sends them back to counting every
    complaint. ``generation`` changes at every refresh and names the figures cached from it.
    """

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK)
    refreshed_at = models.DateTimeField(_("refreshed at"))
    covers_from = models.DateField(_("holds every filing day from"))
    generation = models.BigIntegerField(verbose_name=_("generation"))

    class Meta:
        db_table = "platforms_dailystatsrefresh"
        verbose_name = _("daily statistics refresh")
        verbose_name_plural = _("daily statistics refreshes")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="daily_stats_refresh_single_row"),
        ]

    def __str__(self) -> str:
        return f"{self.refreshed_at:%Y-%m-%d %H:%M} (from {self.covers_from})"


class JurisdictionDispute(models.Model):
    """Two offices disagree over which of them handles a complaint (Order 121 Art. 33).

    They have seven working days from the day the dispute arises to settle it; failing that, or at any time, the
    common superior office designates the handling office, which ends the dispute.
    """

    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.PROTECT,
        related_name="jurisdiction_disputes",
    )
    raised_by_office = models.ForeignKey(
        "portal.Office", verbose_name=_("raised by office"), on_delete=models.PROTECT, related_name="+"
    )
    other_office = models.ForeignKey(
        "portal.Office", verbose_name=_("other office"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), max_length=2000)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"))
    # Seven working days from ``opened_at`` (Art. 33), counted by complaints.calendar.add_working_days.
    settle_by = models.DateTimeField(_("to be settled by"))
    designated_office = models.ForeignKey(
        "portal.Office",
        verbose_name=_("designated office"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("designated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    designated_at = models.DateTimeField(_("designated at"), null=True, blank=True)

    class Meta:
        ordering = ["settle_by"]
        verbose_name = _("jurisdiction dispute")
        verbose_name_plural = _("jurisdiction disputes")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"],
                condition=models.Q(designated_at__isnull=True),
                name="jurisdiction_dispute_one_open_per_complaint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.raised_by_office_id} ↔ {self.other_office_id}"

    @property
    def is_open(self) -> bool:
        return self.designated_at is None


def notice_upload_to(instance: "Notice", filename: str) -> str:
    return f"notices/{instance.year}/{secrets.token_hex(16)}.pdf"


class Notice(models.Model):
    """A notice the desk issues on a complaint (不予受理告知书, 受理告知书, 终止调解告知书), with its official number
    and the SHA-256 of the stored PDF.

    The row is written with the decision (number, ground, reason); the PDF is rendered from the template of the
    rulebook edition in force at the decision, stored once (``issued_at``): a download serves those exact bytes.
    """

    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.PROTECT, related_name="notices", verbose_name=_("complaint")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    sequence = models.PositiveIntegerField(verbose_name=_("sequence"))
    number = models.CharField(_("notice number"), max_length=40, unique=True)
    ground_code = models.CharField(_("ground"), max_length=20, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # The platform receives the acceptance and termination notices; a refusal is addressed to the consumer only.
    addressed_to_platform = models.BooleanField(_("addressed to the platform"), default=False)
    decided_at = models.DateTimeField(_("decided at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("decided by")
    )
    file = models.FileField(upload_to=notice_upload_to, max_length=200, blank=True, verbose_name=_("file"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    class Meta:
        ordering = ["decided_at", "pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "sequence"], name="notice_kind_year_sequence"),
        ]
        indexes = [models.Index(fields=["complaint", "decided_at"], name="notice_complaint_decided")]

    def __str__(self) -> str:
        return self.number


class MaterialRequestKind(models.TextChoices):
    # Art. 10, last sentence: the regulator may require proof of the complainant's identity.
    IDENTITY = "identity", _("Identity proof")
    # Art. 10(1) and Art. 11: the complainant's details, the respondent, the claim and its facts; a power of
    # attorney when filed on someone's behalf.
    MATERIAL = "material", _("Missing Art. 10 / Art. 11 material")


class MaterialRequest(models.Model):
    """The desk asked the consumer for identity proof or missing material by a deadline.

    When the deadline passes without an answer the desk proposes a refusal (Art. 16(5) or (6)); a regulator
    decides. ``proposed_at`` is set once, so the proposal is made once.
    """

    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.CASCADE, related_name="material_requests", verbose_name=_("complaint")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MaterialRequestKind.choices)
    message = models.TextField(_("what is asked for"), max_length=5000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"))
    due_at = models.DateTimeField(_("answer by"))
    proposed_at = models.DateTimeField(_("refusal proposed at"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("request for material")
        verbose_name_plural = _("requests for material")
        indexes = [
            models.Index(fields=["due_at"], name="material_request_open_due", condition=models.Q(proposed_at=None)),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}:{self.kind} by {self.due_at:%Y-%m-%d}"


class VanishingAlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed: platform unreachable")
    DISMISSED = "dismissed", _("Dismissed")


class VanishingAlert(models.Model):
    """Signals that a platform has gone dark (跑路), for the office with jurisdiction over it to weigh.

    Raised and refreshed by ``regulation.vanishing.vanishing_alerts_refresh``; never a verdict: only a regulator's
    ``vanishing_alert_confirm`` marks the platform unreachable, or ``vanishing_alert_dismiss`` (with a reason)
    closes the alert. At most one open alert per platform (the partial unique constraint).
    """

    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="vanishing_alerts", verbose_name=_("platform")
    )
    # The office of the platform's domicile (Order 121 Art. 13, portal.offices.receiving_office_for).
    office = models.ForeignKey(
        "portal.Office", on_delete=models.PROTECT, related_name="vanishing_alerts", verbose_name=_("office")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=VanishingAlertStatus.choices, default=VanishingAlertStatus.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"))
    refreshed_at = models.DateTimeField(_("evidence refreshed at"))
    # Which signals fired and their figures: counts, baseline, dates, complaint ids (docs/vanished-platforms.md).
    signals = models.JSONField(_("signals"), default=list)
    evidence = models.JSONField(_("evidence"), default=dict)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("unreachable-platform alert")
        verbose_name_plural = _("unreachable-platform alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["platform"],
                condition=models.Q(status="open"),
                name="vanishing_alert_one_open_per_platform",
            ),
            models.CheckConstraint(
                name="vanishing_alert_decided",
                condition=models.Q(status="open", decided_at__isnull=True)
                | (~models.Q(status="open") & models.Q(decided_at__isnull=False)),
            ),
        ]
        indexes = [models.Index(fields=["office", "status", "-opened_at"], name="vanishing_alert_office")]

    def __str__(self) -> str:
        return f"{self.platform} ({self.get_status_display()}, {self.opened_at:%Y-%m-%d})"
class Refund(models.Model):
    """A refund a regulator confirmed to one consumer (remediation), e.g. from a vanished platform or the
    administrator of its assets. Written by ``remediation.refund_record`` with a chained event on the complaint."""

    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.PROTECT, related_name="refunds", verbose_name=_("complaint")
    )
    # The joint complaint the refund was recorded through, if any (the joint case sums its members' refunds).
    joint = models.ForeignKey(
        "complaints.JointComplaint",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
        verbose_name=_("joint complaint"),
    )
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    refunded_on = models.DateField(_("refunded on"))
    channel_reference = models.CharField(_("payment channel reference"), max_length=64)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["refunded_on", "pk"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(name="refund_amount_positive", condition=models.Q(amount__gt=0)),
            models.UniqueConstraint(fields=["complaint", "channel_reference"], name="refund_reference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.amount} ({self.channel_reference})"
class OpenDataRelease(models.Model):
    """One day's open-data export of the public complaint database (Order 121 Art. 38; 消费者权益保护法实施条例
    Art. 29): the same records as ``/api/v1/open/complaints/``, as gzipped CSV and JSON Lines in the default
    storage under stable names (``regulation.open_data``). One row per day; a second run of the day keeps it."""

    day = models.DateField(_("day"), unique=True)
    csv_name = models.CharField(_("CSV file"), max_length=200)
    jsonl_name = models.CharField(_("JSON Lines file"), max_length=200)
    records = models.PositiveIntegerField(_("records"))
    csv_sha256 = models.CharField(_("CSV SHA-256"), max_length=64)
    jsonl_sha256 = models.CharField(_("JSON Lines SHA-256"), max_length=64)
    csv_size = models.PositiveBigIntegerField(_("CSV size (bytes)"))
    jsonl_size = models.PositiveBigIntegerField(_("JSON Lines size (bytes)"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-day"]
        verbose_name = _("open-data release")
        verbose_name_plural = _("open-data releases")

    def __str__(self) -> str:
        return f"open data {self.day}"
