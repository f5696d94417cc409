"""The regulators' records: penalty decisions and the daily statistics rollup.

Both tables were created by the platforms app and keep their names (``Meta.db_table``): the models moved here
without moving a row.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

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

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="penalties")
    # The office that decided, in whose name the notice is issued and whose series numbers it.
    office = models.ForeignKey(
        "portal.Office", verbose_name=_("issuing office"), on_delete=models.PROTECT, related_name="penalties"
    )
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("decision number"), max_length=60)
    kind = models.CharField(_("kind"), max_length=30, choices=PenaltyKind.choices)
    fine_amount = models.DecimalField(_("fine (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True)
    rectification_deadline = models.DateField(_("rectify by"), null=True, blank=True)
    legal_basis = models.TextField(_("legal basis"))
    facts = models.TextField(_("facts"))
    decision = models.TextField(_("decision"))
    complaints = models.ManyToManyField("complaints.Complaint", related_name="penalties", blank=True)
    decided_on = models.DateField(_("decided on"))
    appeal_deadline = models.DateField(_("appeal by"))
    status = models.CharField(
        _("status"), max_length=20, choices=PenaltyStatus.choices, default=PenaltyStatus.ISSUED
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    status_note = models.TextField(_("note on the last status change"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

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

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, null=True, related_name="+")
    office = models.ForeignKey("portal.Office", on_delete=models.CASCADE, null=True, related_name="+")
    day = models.DateField(_("filing date"))
    complaints = models.PositiveIntegerField(default=0)
    upheld = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    final_answers = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    compensation_breaches = models.PositiveIntegerField(default=0)
    first_response_on_time = models.PositiveIntegerField(default=0)
    first_response_decided = models.PositiveIntegerField(default=0)
    resolution_on_time = models.PositiveIntegerField(default=0)
    resolution_decided = models.PositiveIntegerField(default=0)

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
    generation = models.BigIntegerField()

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
        "complaints.Complaint", verbose_name=_("complaint"), on_delete=models.PROTECT,
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
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.SET_NULL, null=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"))
    # Seven working days from ``opened_at`` (Art. 33), counted by complaints.calendar.add_working_days.
    settle_by = models.DateTimeField(_("to be settled by"))
    designated_office = models.ForeignKey(
        "portal.Office", verbose_name=_("designated office"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("designated by"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+",
    )
    designated_at = models.DateTimeField(_("designated at"), null=True, blank=True)

    class Meta:
        ordering = ["settle_by"]
        verbose_name = _("jurisdiction dispute")
        verbose_name_plural = _("jurisdiction disputes")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=models.Q(designated_at__isnull=True),
                name="jurisdiction_dispute_one_open_per_complaint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.raised_by_office_id} ↔ {self.other_office_id}"

    @property
    def is_open(self) -> bool:
        return self.designated_at is None
