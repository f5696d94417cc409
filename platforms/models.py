from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import validate_division_code


class Operator(models.Model):
    """The company behind one or more platforms, found by shared licence, domain or payment data."""

    name = models.CharField(_("name"), max_length=200)
    business_licence_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")

    def __str__(self) -> str:
        return self.name


class Platform(models.Model):
    """A 卡盟 platform: the tenant whose staff answer complaints against it."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    website = models.URLField(_("website"), blank=True)
    domain = models.CharField(_("domain"), max_length=200, blank=True, db_index=True)
    icp_filing_number = models.CharField(_("ICP filing number"), max_length=60, blank=True, db_index=True)
    telecom_licence_number = models.CharField(_("value-added telecom licence number"), max_length=60, blank=True)
    business_licence_code = models.CharField(_("unified social credit code"), max_length=18, blank=True, db_index=True)
    payment_account = models.CharField(_("settlement payment account"), max_length=100, blank=True)
    # The platform operator's domicile decides which office handles complaints about it (Order 121 Art. 13).
    domicile_code = models.CharField(
        _("domicile division code"),
        max_length=6,
        blank=True,
        validators=[validate_division_code],
        help_text=_(
            "Administrative division code (GB/T 2260, six digits) of the registered domicile on the business "
            "licence; complaints go to that county's market-regulation office (Order 121 Art. 13)."
        ),
    )
    operator = models.ForeignKey(
        Operator,
        verbose_name=_("operator"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="platforms",
    )
    is_verified = models.BooleanField(_("licences verified"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    contact_email = models.EmailField(_("complaints contact e-mail"), blank=True)
    compensation_standard = models.CharField(
        _("declared timeout-compensation standard"),
        max_length=300,
        blank=True,
        help_text=_('What the platform promises when it is late, e.g. "auto refund if not delivered in 2 hours".'),
    )
    compensation_hours = models.PositiveIntegerField(
        _("delivery promise (hours)"),
        null=True,
        blank=True,
        help_text=_("Hours after payment by which the standard promises delivery or compensation."),
    )
    reported_monthly_orders = models.PositiveIntegerField(_("reported orders per month"), null=True, blank=True)
    # A regulator's confirmation that the platform can no longer be reached (跑路): its platform clocks stop, a
    # consumer warning is shown (消费者权益保护法实施条例 Art. 27; Order 121 Art. 38) and new complaints are
    # pointed to the payment channel first. Empty while the platform is reachable.
    unreachable_confirmed_at = models.DateTimeField(_("confirmed unreachable at"), null=True, blank=True)
    unreachable_reference = models.CharField(_("unreachability confirmation reference"), max_length=60, blank=True)
    unreachable_office = models.ForeignKey(
        "portal.Office",
        verbose_name=_("confirmed unreachable by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")

    def __str__(self) -> str:
        return self.name

    @property
    def is_unreachable(self) -> bool:
        return self.unreachable_confirmed_at is not None


class ApiKey(models.Model):
    """A platform's machine credential. Only a SHA-256 of the secret is stored; it is shown once."""

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("platform")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True, verbose_name=_("prefix"))
    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("key hash"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.platform.slug}:{self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookEvent(models.TextChoices):
    CREATED = "complaint.created", "complaint.created"
    DISPUTED = "complaint.disputed", "complaint.disputed"
    ESCALATED = "complaint.escalated", "complaint.escalated"
    OVERDUE = "complaint.overdue", "complaint.overdue"


# What a delivery sent from the workspace to check an endpoint carries; receivers should simply answer 2xx. Not an
# event anyone subscribes to, so not a WebhookEvent.
WEBHOOK_TEST_EVENT = "ping"


class WebhookEndpoint(models.Model):
    """A URL a platform manager registered; deliveries are signed with its secret (HMAC-SHA256)."""

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("platform")
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(max_length=64, editable=False, verbose_name=_("secret"))
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        db_table = "complaints_webhookendpoint"  # created by the complaints app; moved here without its rows moving
        ordering = ["-created_at"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.url
