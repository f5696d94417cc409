from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _


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
    # The office a regulator works for: it bounds what they see (portal.access.office_scope). A regulator without
    # one sees no complaint at all.
    office = models.ForeignKey(
        "portal.Office",
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="regulators",
    )

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
            models.CheckConstraint(
                name="user_office_only_regulators", condition=Q(office__isnull=True) | Q(role="regulator")
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

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

    scope = models.CharField(max_length=30)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "year"], name="number_sequence_scope_year")]

    def __str__(self) -> str:
        return f"{self.scope}/{self.year}: {self.last_value}"


class AccessLog(models.Model):
    """Who read personal data or downloaded evidence, and when. Regulators can review it in the admin."""

    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    detail = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

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

    template = models.CharField(max_length=60)
    recipients = models.JSONField()
    context = models.JSONField(default=dict)
    language = models.CharField(max_length=10, default="zh-hans")
    complaint_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "complaints_outboxmessage"  # created by the complaints app; moved here without its rows moving
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="outbox_unsent", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {', '.join(self.recipients)}"


class OfficeLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County or district")


# How deep each level sits in the tree; a child is always deeper than its parent.
OFFICE_LEVEL_DEPTH = {OfficeLevel.NATIONAL: 0, OfficeLevel.PROVINCE: 1, OfficeLevel.CITY: 2, OfficeLevel.COUNTY: 3}
# How many leading digits of a division code name the province and the city (GB/T 2260: PPCCDD).
DIVISION_PREFIX_LENGTH = {OfficeLevel.PROVINCE: 2, OfficeLevel.CITY: 4}

validate_division_code = RegexValidator(
    r"^[0-9]{6}\Z", _("An administrative division code has six digits (GB/T 2260), e.g. 310115.")
)


class Office(models.Model):
    """A market-regulation office: national, province, city or county/district level, in one tree.

    ``path`` is the division codes from the national office down to this one (``100000/310000/310100/310115/``),
    kept by ``save()``: "this office and every office below it" is one indexed prefix filter, not a walk.
    """

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent office"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    level = models.CharField(_("level"), max_length=10, choices=OfficeLevel.choices)
    division_code = models.CharField(
        _("administrative division code"),
        max_length=6,
        unique=True,
        validators=[validate_division_code],
        help_text=_("GB/T 2260, six digits; the national office uses 100000."),
    )
    name = models.CharField(_("authority name"), max_length=200, help_text=_("e.g. 上海市浦东新区市场监督管理局"))
    short_name = models.CharField(_("short name"), max_length=60)
    penalty_number_prefix = models.CharField(
        _("penalty number prefix"), max_length=30, blank=True, help_text=_("e.g. 沪浦市监处罚")
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # The office's unified receiving body (Order 121 Art. 41): it dispatches complaints down to the office with
    # jurisdiction, and triages those whose jurisdiction is unknown.
    is_receiving_centre = models.BooleanField(_("receiving centre"), default=False)
    path = models.CharField(max_length=70, unique=True, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            models.CheckConstraint(
                name="office_root_iff_national",
                condition=Q(level="national", parent__isnull=True) | (~Q(level="national") & Q(parent__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The path follows the parent and the code; offices below follow when either changes.
        old_path = self.path
        self.path = f"{self.parent.path if self.parent_id else ''}{self.division_code}/"
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                Office.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(self.path), Substr("path", len(old_path) + 1))
                )

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        parent = self.parent if self.parent_id else None
        if parent is not None:
            if OFFICE_LEVEL_DEPTH[OfficeLevel(parent.level)] >= OFFICE_LEVEL_DEPTH.get(self.level, 0):
                errors["parent"] = _("The parent office must be at a higher level.")
            elif self.pk and parent.path.startswith(self.path):
                errors["parent"] = _("An office cannot sit below itself.")
            prefix_length = DIVISION_PREFIX_LENGTH.get(parent.level)
            code = self.division_code or ""
            if prefix_length and code[:prefix_length] != parent.division_code[:prefix_length]:
                errors["division_code"] = _("The code must lie inside the parent's division (%(prefix)s…).") % {
                    "prefix": parent.division_code[:prefix_length]
                }
        if errors:
            raise ValidationError(errors)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    @property
    def is_national(self) -> bool:
        return self.parent_id is None

    def is_above(self, other: "Office") -> bool:
        """Strictly above ``other`` in the tree (its parent, grandparent, …)."""
        return other.path.startswith(self.path) and other.path != self.path

    def covers(self, other: "Office") -> bool:
        """``other`` is this office or below it."""
        return other.path.startswith(self.path)

    def ancestor_codes(self) -> list[str]:
        return self.path.rstrip("/").split("/")[:-1]

    def ancestors(self) -> models.QuerySet["Office"]:
        """The offices above this one, national first: one query on the codes the path already names."""
        return Office.objects.filter(division_code__in=self.ancestor_codes()).order_by("path")

    def subtree(self) -> models.QuerySet["Office"]:
        """This office and every office below it: one indexed prefix filter."""
        return Office.objects.filter(path__startswith=self.path)

    def descendant_ids(self) -> models.QuerySet:
        """Ids of this office and every office below it, as a subquery to filter on (``office_id__in=…``)."""
        return self.subtree().values("pk")
