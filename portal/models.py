from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .names import full_name


class Role(models.TextChoices):
    CONSUMER = "consumer", _("Consumer")
    PLATFORM_STAFF = "platform_staff", _("Platform staff")
    REGULATOR = "regulator", _("Regulator")


class StaffRole(models.TextChoices):
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")


class PortalUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # Whoever runs the site oversees it: as a consumer, the superuser would see only complaints of their own.
        extra_fields.setdefault("role", Role.REGULATOR)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person using the portal. Platform staff belong to exactly one platform; nobody else belongs to one."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CONSUMER)
    platform = models.ForeignKey(
        "platforms.Platform",
        verbose_name=_("platform"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    staff_role = models.CharField(_("staff role"), max_length=10, choices=StaffRole.choices, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    preferred_language = models.CharField(_("language"), max_length=10, default="zh-hans")

    objects = PortalUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_platform_iff_staff",
                condition=(Q(role="platform_staff", platform__isnull=False) & ~Q(staff_role=""))
                | (~Q(role="platform_staff") & Q(platform__isnull=True, staff_role="")),
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @property
    def is_consumer(self) -> bool:
        return self.role == Role.CONSUMER

    @property
    def is_regulator(self) -> bool:
        return self.role == Role.REGULATOR

    @property
    def is_platform_staff(self) -> bool:
        return self.role == Role.PLATFORM_STAFF and self.platform_id is not None

    @property
    def is_platform_manager(self) -> bool:
        return self.is_platform_staff and self.staff_role == StaffRole.MANAGER


class NumberSequence(models.Model):
    """Gap-free counters (complaint references, penalty numbers), one row per scope and year.

    The row is locked while a number is taken, so two transactions never get the same number and a
    rolled-back transaction gives its number back.
    """

    scope = models.CharField(max_length=30, verbose_name=_("scope"))
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    last_value = models.PositiveIntegerField(default=0, verbose_name=_("last value"))

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [models.UniqueConstraint(fields=["scope", "year"], name="number_sequence_scope_year")]

    def __str__(self) -> str:
        return f"{self.scope}/{self.year}: {self.last_value}"


class AccessLog(models.Model):
    """Who read personal data or downloaded evidence, and when. Regulators can review it in the admin."""

    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("user"))
    actor_label = models.CharField(max_length=150, verbose_name=_("actor label"))
    action = models.CharField(max_length=40, verbose_name=_("action"))
    object_type = models.CharField(max_length=40, verbose_name=_("object type"))
    object_id = models.CharField(max_length=40, verbose_name=_("object id"))
    detail = models.CharField(max_length=255, blank=True, verbose_name=_("detail"))
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("ip address"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_type}#{self.object_id}"


class OutboxMessage(models.Model):
    """An e-mail written in the same transaction as the change it reports, sent after commit.

    If the broker is down the row waits; the periodic flush sends it once the broker is back. ``complaint_id``
    names the complaint an e-mail is about, if any: a plain indexed column, not a foreign key, because the
    complaints app stands on this one (complaints are never deleted, so the id never dangles).
    """

    template = models.CharField(max_length=60, verbose_name=_("template"))
    recipients = models.JSONField(verbose_name=_("recipients"))
    context = models.JSONField(default=dict, verbose_name=_("context"))
    language = models.CharField(max_length=10, default="zh-hans", verbose_name=_("language"))
    complaint_id = models.BigIntegerField(null=True, blank=True, db_index=True, verbose_name=_("complaint id"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))

    class Meta:
        verbose_name = _("outbox e-mail")
        verbose_name_plural = _("outbox e-mails")
        db_table = "complaints_outboxmessage"  # created by the complaints app; moved here without its rows moving
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="outbox_unsent", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {', '.join(self.recipients)}"
