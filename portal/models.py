from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
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
        # Accounts sharing a phone number or e-mail address are a profit-seeking signal (Order 121 Art. 17(4)):
        # looked up by value.
        indexes = [
            models.Index(fields=["phone"], name="user_phone", condition=~Q(phone="")),
            models.Index(fields=["email"], name="user_email", condition=~Q(email="")),
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
    path = models.CharField(max_length=70, unique=True, editable=False, verbose_name=_("path"))

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


# --- audit trail of acts -----------------------------------------------------------------------------------


class AuditAction(models.TextChoices):
    """Every act the audit trail records. Codes are part of the hashed record: never rename one."""

    STAFF_INVITED = "staff_invited", _("Staff member invited")
    STAFF_DEACTIVATED = "staff_deactivated", _("Staff member deactivated")
    USER_CHANGED = "user_changed", _("Account changed in the admin")
    API_KEY_CREATED = "api_key_created", _("API key created")
    API_KEY_REVOKED = "api_key_revoked", _("API key revoked")
    WEBHOOK_REGISTERED = "webhook_registered", _("Webhook registered")
    WEBHOOK_DEACTIVATED = "webhook_deactivated", _("Webhook deactivated")
    PLATFORM_VERIFIED = "platform_verified", _("Platform licences verified")
    PLATFORM_CHANGED = "platform_changed", _("Platform registry details changed")
    CALENDAR_EXCEPTION_SAVED = "calendar_exception_saved", _("Calendar exception saved")
    CALENDAR_EXCEPTION_DELETED = "calendar_exception_deleted", _("Calendar exception deleted")
    PENALTY_ISSUED = "penalty_issued", _("Penalty decision issued")
    PENALTY_STATUS_CHANGED = "penalty_status_changed", _("Penalty status changed")
    REGULATOR_LOGIN = "regulator_login", _("Regulator signed in")
    COMPLAINT_OFFICE_CHANGED = "complaint_office_changed", _("Complaint moved to another office")
    VANISHING_CONFIRMED = "vanishing_confirmed", _("Platform confirmed unreachable")
    VANISHING_DISMISSED = "vanishing_dismissed", _("Unreachable-platform alert dismissed")
    CHARGEBACK_MANIFEST_EXPORTED = "chargeback_manifest_exported", _("Chargeback manifest of a platform exported")


class ActorKind(models.TextChoices):
    REGULATOR = "regulator", _("Regulator")
    PLATFORM_STAFF = "platform_staff", _("Platform staff")
    API_KEY = "api_key", _("API key")
    CONSUMER = "consumer", _("Consumer")
    SYSTEM = "system", _("System")


class ImmutableRecord(ValueError):
    """Something tried to change or delete a row of an append-only record."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecord("audit entries are never changed")

    def delete(self):
        raise ImmutableRecord("audit entries are never deleted")


class AuditChainHead(models.Model):
    """The one row (pk 1) holding the audit chain's last sequence and hash.

    Every writer locks it (``select_for_update``) before appending, so two concurrent acts are chained one after
    the other and the chain never forks.
    """

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK)
    sequence = models.PositiveBigIntegerField(default=0, verbose_name=_("sequence"))
    hash = models.CharField(max_length=64, blank=True, verbose_name=_("hash"))
    # The last sequence under an anchor (portal.anchoring): the entries after it wait for the next one.
    anchored_sequence = models.PositiveBigIntegerField(default=0, verbose_name=_("anchored sequence"))

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")
        constraints = [models.CheckConstraint(name="audit_chain_head_singleton", condition=Q(id=1))]

    def __str__(self) -> str:
        return f"audit head #{self.sequence} {self.hash[:12]}"


class AuditEntry(models.Model):
    """One act (not a read: reads go to ``AccessLog``), hash-chained to the act before it.

    ``hash = SHA-256(prev_hash + canonical JSON)`` (``portal.audit.canonical_entry``; docs/audit-trail.md):
    altering, removing or reordering a stored entry breaks every later link. Rows are never updated or deleted
    (``save``/``delete`` refuse, and on PostgreSQL a trigger refuses too).
    """

    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("at"), db_index=True)
    # No database constraint: an entry outlives the account it names, and is never rewritten when it goes.
    actor = models.ForeignKey(
        User,
        verbose_name=_("actor"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=200)
    actor_kind = models.CharField(_("actor kind"), max_length=20, choices=ActorKind.choices)
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=60)
    object_repr = models.CharField(_("object"), max_length=200)
    data = models.JSONField(_("data"), default=dict)
    prev_hash = models.CharField(max_length=64, blank=True, verbose_name=_("prev hash"))
    hash = models.CharField(max_length=64, unique=True, verbose_name=_("hash"))

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_entry_object"),
            models.Index(fields=["action", "at"], name="audit_entry_action_at"),
            models.Index(fields=["actor_label", "at"], name="audit_entry_actor_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecord("audit entries are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord("audit entries are never deleted")


class IssuedDocumentKind(models.TextChoices):
    DOSSIER = "dossier", _("Complaint dossier")
    PENALTY_NOTICE = "penalty_notice", _("Penalty decision notice")
    STATISTICS_REPORT = "statistics_report", _("Monthly complaint statistics report")
    CHARGEBACK_STATEMENT = "chargeback_statement", _("Chargeback statement")


class IssuedDocument(models.Model):
    """The SHA-256 of every PDF the portal hands out, so that anyone holding one can have it recognised at
    /verify/ later, even after the stored copy was replaced by a newer render."""

    kind = models.CharField(_("kind"), max_length=20, choices=IssuedDocumentKind.choices)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    # The complaint reference or the decision number (shown masked at /verify/); the object by a plain id,
    # since the apps that own dossiers and penalties stand on this one.
    reference = models.CharField(_("reference"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=60)
    signed = models.BooleanField(_("electronically signed"))
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        indexes = [models.Index(fields=["object_type", "object_id"], name="issued_document_object")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} ({self.sha256[:12]})"


class Anchor(models.Model):
    """One RFC 3161 timestamp over a Merkle tree whose leaves are chain heads (docs/evidence-format.md, "Anchors").

    The token proves the root existed at ``gen_time``; each leaf's path proves its head is under the root.
    """

    format_version = models.PositiveSmallIntegerField(default=1, verbose_name=_("format version"))
    root = models.CharField(_("Merkle root"), max_length=64, db_index=True)
    tree_size = models.PositiveIntegerField(verbose_name=_("tree size"))
    token = models.BinaryField(_("timestamp token (DER TimeStampResp)"))
    gen_time = models.DateTimeField(_("timestamped at"))
    tsa_name = models.CharField(_("time-stamping authority"), max_length=300, blank=True)
    tsa_serial = models.CharField(max_length=50, blank=True, verbose_name=_("tsa serial"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-gen_time", "-pk"]
        verbose_name = _("anchor")
        verbose_name_plural = _("anchors")

    def __str__(self) -> str:
        return f"{self.root[:12]} @ {self.gen_time:%Y-%m-%d %H:%M:%S}"


class AnchorLeaf(models.Model):
    """A chain head under an anchor, with the Merkle path (siblings, leaf to root) that proves it."""

    anchor = models.ForeignKey(Anchor, on_delete=models.PROTECT, related_name="leaves", verbose_name=_("anchor"))
    source = models.CharField(max_length=30, verbose_name=_("source"))  # a registered leaf source: "complaint", ...
    chain = models.CharField(
        max_length=64, verbose_name=_("chain")
    )  # the chain's name within its source: a complaint's reference
    sequence = models.PositiveIntegerField(verbose_name=_("sequence"))  # the head event's sequence number
    head = models.CharField(max_length=64, verbose_name=_("head"))  # the head event's hash
    leaf_index = models.PositiveIntegerField(verbose_name=_("leaf index"))
    path = models.JSONField(default=list, verbose_name=_("path"))  # sibling hashes, hex, from the leaf up

    class Meta:
        verbose_name = _("anchor leaf")
        verbose_name_plural = _("anchor leaves")
        ordering = ["anchor_id", "leaf_index"]
        constraints = [models.UniqueConstraint(fields=["anchor", "leaf_index"], name="anchor_leaf_index")]
        indexes = [models.Index(fields=["source", "chain", "sequence"], name="anchor_leaf_chain")]

    def __str__(self) -> str:
        return f"{self.source}:{self.chain}#{self.sequence}"


# --- In-app notifications -----------------------------------------------------------------------------------


class NotificationKind(models.TextChoices):
    """What a notification (or e-mail) tells: one kind per e-mail template in ``templates/emails/``."""

    COMPLAINT_FILED_CONSUMER = "complaint_filed_consumer", _("Your complaint was received")
    COMPLAINT_NEW_PLATFORM = "complaint_new_platform", _("A new complaint against your platform")
    COMPLAINT_TRIAGE = "complaint_triage", _("A new complaint needs triage")
    COMPLAINT_ANSWERED = "complaint_answered", _("The platform answered a complaint")
    COMPLAINT_INFO_REQUESTED = "complaint_info_requested", _("The platform asks for information")
    COMPLAINT_INFO_SUPPLIED = "complaint_info_supplied", _("The consumer supplied information")
    COMPLAINT_DISPUTED = "complaint_disputed", _("The consumer disputed an answer")
    COMPLAINT_ESCALATED = "complaint_escalated", _("A complaint was escalated to the regulator")
    COMPLAINT_WITHDRAWN = "complaint_withdrawn", _("A complaint was withdrawn")
    COMPLAINT_MEDIATION = "complaint_mediation", _("The regulator accepted a complaint for mediation")
    COMPLAINT_DESK_UPDATE = "complaint_desk_update", _("The regulator recorded a step")
    COMPLAINT_CLOSED = "complaint_closed", _("A complaint was closed")
    DEADLINE_REMINDER = "deadline_reminder", _("A deadline is near")
    DEADLINE_OVERDUE = "deadline_overdue", _("A deadline was missed")
    FOLLOW_UP_SURVEY = "follow_up_survey", _("How did your complaint go?")
    PENALTY_ISSUED = "penalty_issued", _("A penalty decision was issued")
    STAFF_INVITATION = "staff_invitation", _("Invitation to a platform's staff")
    COMPLAINT_MESSAGE = "complaint_message", _("A new message on a complaint's thread")
    PLATFORM_UNREACHABLE = "platform_unreachable", _("A platform was confirmed unreachable")


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("By e-mail")
    IN_APP = "in_app", _("In the portal")
    BOTH = "both", _("Both: e-mail and in the portal")


class Notification(models.Model):
    """A message shown to a user in the portal, written in the same transaction as the e-mail it stands beside.

    It keeps the e-mail's kind and context and is put into words when read, in the reader's language, so that a
    user who switches language reads every notification in it. ``complaint_id`` is a plain column, as on
    ``OutboxMessage``: the complaints app stands on this one. ``link`` is the site path the e-mail pointed to.
    """

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=60, choices=NotificationKind.choices)
    context = models.JSONField(_("context"), default=dict)
    complaint_id = models.BigIntegerField(_("complaint id"), null=True, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient_recent"),
            # The header's unread count on every page: an index-only count of a small partial index.
            models.Index(fields=["recipient"], name="notification_unread", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How a user wants to hear of one kind of event. No row means both channels."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notification_preferences", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=60, choices=NotificationKind.choices)
    channel = models.CharField(
        _("channel"), max_length=10, choices=NotificationChannel.choices, default=NotificationChannel.BOTH
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once"),
            models.CheckConstraint(
                name="notification_preference_channel", condition=Q(channel__in=["email", "in_app", "both"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.channel}"
