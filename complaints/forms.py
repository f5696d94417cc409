"""Web forms of the complaint pages. They parse input only; every business rule is checked by the services."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform
from portal.forms import yuan_field

from .calendar import SHANGHAI
from .models import DesiredOutcome, EvidenceKind, PaymentChannel, PlatformOrderStatus, Problem
from .services import FILING_FIELDS
from .verification import both_given_error, clean_sha256, missing_input_error, too_large_error

UNLISTED_PLATFORM = "unlisted"


class ShanghaiDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read and shown in Asia/Shanghai, whatever time zone the request runs in.

    Order and payment apps show Beijing time, so that is what the consumer copies into the form.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value):
        with timezone.override(SHANGHAI):
            return super().to_python(value)

    def prepare_value(self, value):
        with timezone.override(SHANGHAI):
            return super().prepare_value(value)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; cleaned to a list (empty when optional)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        cleaned = super().clean(data, initial)
        return [cleaned] if cleaned else []


def evidence_files_field(*, required: bool) -> MultipleFileField:
    return MultipleFileField(
        label=_("Evidence files"),
        required=required,
        help_text=_(
            "Screenshots of the order and the payment, chat logs with support, recordings. You can choose "
            "several files at once. Photos, PDF, plain text and audio are accepted, "
            "up to %(megabytes)d MB each."
        ) % {"megabytes": settings.PORTAL_EVIDENCE_MAX_BYTES // (1024 * 1024)},
        widget=MultipleFileInput(
            attrs={
                "data-max-bytes": settings.PORTAL_EVIDENCE_MAX_BYTES,
                "data-too-big": _("One of the files is larger than the limit."),
                "accept": "image/*,application/pdf,text/plain,audio/*",
            }
        ),
    )


class EvidenceUploadForm(forms.Form):
    """Several files of one kind, as ``complaint_add_evidence`` takes them."""

    evidence_required = True
    evidence_kind = forms.ChoiceField(
        label=_("What the files show"),
        choices=EvidenceKind.choices,
        initial=EvidenceKind.ORDER_SCREENSHOT,
        help_text=_("Applies to all files chosen together; upload different kinds in separate rounds."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per instance: the size limit in the help text follows the settings.
        self.fields["evidence_files"] = evidence_files_field(required=self.evidence_required)

    def evidence(self) -> list[tuple]:
        kind = self.cleaned_data["evidence_kind"]
        return [(upload, kind) for upload in self.cleaned_data["evidence_files"]]


def platform_choices() -> list:
    """Verified platforms first (licences checked), then the other registered ones, then 'not listed'."""
    verified, unverified = [], []
    for pk, name, is_verified in Platform.objects.order_by("name").values_list("pk", "name", "is_verified"):
        (verified if is_verified else unverified).append((str(pk), name))
    choices: list = [("", _("Choose the platform…"))]
    if verified:
        choices.append((_("Verified platforms"), verified))
    if unverified:
        choices.append((_("Registered, licences not yet verified"), unverified))
    choices.append((UNLISTED_PLATFORM, _("My platform is not listed")))
    return choices


class ComplaintFilingForm(EvidenceUploadForm):
    """Steps 1–3 of the guide (verify, contact support, gather evidence) as one form; filing is step 4."""

    evidence_required = False

    platform = forms.ChoiceField(label=_("Platform"), choices=())
    unregistered_platform_name = forms.CharField(
        label=_("Name of the platform"), max_length=200, required=False,
        help_text=_("Only if your platform is not listed: the name shown on its website or app."),
    )
    unregistered_platform_url = forms.URLField(
        label=_("Website of the platform"), required=False, assume_scheme="https",
        help_text=_("Only if your platform is not listed, e.g. https://example.cn"),
    )

    order_number = forms.CharField(
        label=_("Order number"), max_length=64,
        help_text=_("As shown in the platform's order centre."),
    )
    paid_at = ShanghaiDateTimeField(
        label=_("Time paid"), help_text=_("Beijing time, as in your payment app.")
    )
    amount = yuan_field(label=_("Amount paid (CNY)"), maximum=settings.PORTAL_AMOUNT_MAX)
    payment_channel = forms.ChoiceField(label=_("Paid with"), choices=PaymentChannel.choices)
    payment_reference = forms.CharField(
        label=_("Payment transaction number"), max_length=64,
        help_text=_("In Alipay or WeChat Pay: open the bill and copy the transaction number (交易单号)."),
    )
    product_name = forms.CharField(
        label=_("Product"), max_length=200,
        help_text=_("For example: 王者荣耀 648 点券, or a video membership."),
    )
    problem = forms.ChoiceField(label=_("What went wrong"), choices=Problem.choices)
    platform_order_status = forms.ChoiceField(
        label=_("Order status shown by the platform"), choices=PlatformOrderStatus.choices
    )
    description = forms.CharField(
        label=_("What happened"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 5000, "data-counter": ""}),
        help_text=_(
            "Stick to the facts: what you bought, when, what you received (or did not) and what you tried."
        ),
    )

    support_agent_id = forms.CharField(label=_("Support agent ID"), max_length=64, required=False)
    support_contacted_at = ShanghaiDateTimeField(label=_("When you contacted support"), required=False)
    support_promise = forms.CharField(
        label=_("What support promised"), max_length=500, required=False,
        help_text=_("For example: “we will re-send the card key within 24 hours”."),
    )
    support_promised_by = ShanghaiDateTimeField(label=_("Promised by"), required=False)

    desired_outcome = forms.ChoiceField(
        label=_("What you want"), choices=DesiredOutcome.choices, widget=forms.RadioSelect,
    )
    publish_consent = forms.BooleanField(
        label=_("Publish my description on the platform's public page"), required=False,
        help_text=_(
            "Helps other buyers judge the platform. Before publishing we remove names, phone numbers, "
            "e-mail addresses, ID and bank card numbers, order and transaction numbers. "
            "You can withdraw consent later."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["platform"].choices = platform_choices()

    def clean_platform(self) -> Platform | None:
        value = self.cleaned_data["platform"]
        if value == UNLISTED_PLATFORM:
            return None
        return Platform.objects.get(pk=value)  # the choices held only existing platforms

    def filing_data(self) -> dict:
        """The cleaned values under the names ``complaint_file`` takes."""
        data = {name: self.cleaned_data[name] for name in FILING_FIELDS}
        if data["platform"] is not None:
            # Typed in while the fields were visible (no JavaScript), then a listed platform was chosen.
            data["unregistered_platform_name"] = data["unregistered_platform_url"] = ""
        return data


class OwnIdsMixin:
    """For forms shown together on one page: ids of their own (``id_dispute_reason``), so that each label names
    its field, while the field names the views read stay as they are."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class WithdrawForm(OwnIdsMixin, forms.Form):
    id_prefix = "withdraw"
    reason = forms.CharField(label=_("Why you withdraw (optional)"), max_length=1000, required=False)


class AcceptForm(OwnIdsMixin, forms.Form):
    id_prefix = "accept"
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the platform's handling?"),
        choices=[(n, str(n)) for n in range(5, 0, -1)], coerce=int, widget=forms.RadioSelect,
        help_text=_("5 = very satisfied, 1 = very dissatisfied."),
    )
    comment = forms.CharField(label=_("Comment (optional)"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class DisputeForm(OwnIdsMixin, forms.Form):
    id_prefix = "dispute"
    reason = forms.CharField(
        label=_("Why the answer does not settle it"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000, "data-counter": ""}),
    )


class EscalateForm(OwnIdsMixin, forms.Form):
    id_prefix = "escalate"
    reason = forms.CharField(
        label=_("Why the regulator should step in"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000, "data-counter": ""}),
    )


class SupplyInfoForm(OwnIdsMixin, forms.Form):
    id_prefix = "supply_info"
    message = forms.CharField(
        label=_("Your answer to the platform"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 5000, "data-counter": ""}),
    )


class PublicationForm(forms.Form):
    consent = forms.BooleanField(label=_("Publish my redacted description"), required=False)


class FollowUpForm(forms.Form):
    """The follow-up survey (回访, Order 121 Art. 26). The service checks the same rules again."""

    resolved = forms.TypedChoiceField(
        label=_("Was your problem resolved?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with how your complaint was handled?"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("5 = very satisfied, 1 = very dissatisfied."),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=settings.PORTAL_FOLLOW_UP_COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class VerifyForm(forms.Form):
    """The public check: a file, or the SHA-256 of one (complaints/verification.py)."""

    file = forms.FileField(
        label=_("File"), required=False,
        help_text=_("A piece of evidence, a dossier, a penalty notice, or a complaint's evidence bundle (ZIP)."),
    )
    sha256 = forms.CharField(
        label=_("or its SHA-256"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )

    def __init__(self, *args, too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large

    def clean_sha256(self) -> str:
        value = self.cleaned_data.get("sha256", "")
        return clean_sha256(value) if value.strip() else ""

    def clean(self):
        cleaned = super().clean()
        if self.too_large:
            self.add_error("file", too_large_error())
        elif cleaned.get("file") and cleaned.get("sha256"):
            self.add_error("sha256", both_given_error())
        elif not cleaned.get("file") and not cleaned.get("sha256") and "sha256" not in self.errors:
            self.add_error("sha256", missing_input_error())
        return cleaned
