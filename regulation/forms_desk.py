"""Forms of the case desk's admin actions: what a move needs besides the complaint. They parse input only;
the services in ``regulation.desk`` validate and decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import GroundKind, Party
from complaints.rulebook import grounds
from platforms.models import Platform

from .desk import CLOSING_FINDINGS, AgreementKind
from .models import MaterialRequestKind


def _ground_choices(kind: str):
    """The grounds of ``kind`` in force now, read when the form is shown (a new edition needs no code change)."""

    def choices():
        in_force = grounds(kind, timezone.now())
        labelled = [(ground.code, f"{ground.code} · {ground.citation} {ground.text}") for ground in in_force]
        return [("", "---------"), *labelled]

    return choices


class ForwardForm(forms.Form):
    """Forward to a registered platform, or register the platform first (name and short name)."""

    platform = forms.ModelChoiceField(
        label=_("Registered platform"), queryset=Platform.objects.order_by("name"), required=False
    )
    new_platform_name = forms.CharField(label=_("Or register a new platform: name"), max_length=200, required=False)
    new_platform_slug = forms.SlugField(label=_("Short name (slug)"), max_length=80, required=False)
    new_platform_website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    def clean(self):
        data = super().clean()
        if not data.get("platform") and not data.get("new_platform_name"):
            raise forms.ValidationError(_("Choose a registered platform or give the new platform's name."))
        if data.get("platform") and data.get("new_platform_name"):
            raise forms.ValidationError(_("Choose a registered platform or register a new one, not both."))
        return data


class RefuseForm(forms.Form):
    ground = forms.TypedChoiceField(label=_("Ground (Order 121 Art. 16)"), choices=_ground_choices(GroundKind.REFUSAL))
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Details of the case; the ground is what the notice cites."),
    )


class MaterialRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is missing"), choices=MaterialRequestKind.choices)
    message = forms.CharField(label=_("What the consumer must provide"), widget=forms.Textarea(attrs={"rows": 4}))
    deadline = forms.DateField(label=_("Answer by"), widget=forms.DateInput(attrs={"type": "date"}))


class MediationConsentForm(forms.Form):
    parties = forms.MultipleChoiceField(
        label=_("Consenting parties (Art. 18)"),
        choices=[(Party.CONSUMER, Party.CONSUMER.label), (Party.PLATFORM, Party.PLATFORM.label)],
        widget=forms.CheckboxSelectMultiple,
    )
    delegated_to = forms.CharField(
        label=_("Delegated to (Art. 19)"),
        max_length=200,
        required=False,
        help_text=_("The consumer association or mediation body both parties agreed to, if any."),
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AgreementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kept as (Art. 24)"), choices=AgreementKind.choices)
    terms = forms.CharField(label=_("What the parties agreed"), widget=forms.Textarea(attrs={"rows": 4}))


class TerminateForm(forms.Form):
    ground = forms.TypedChoiceField(
        label=_("Ground (Order 121 Art. 23)"), choices=_ground_choices(GroundKind.TERMINATION)
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Details of the case; the ground is what the notice cites."),
    )


class PoliceReferralForm(forms.Form):
    reason = forms.CharField(
        label=_("What the complainant is suspected of (Art. 42)"), widget=forms.Textarea(attrs={"rows": 4})
    )


class CloseForm(forms.Form):
    finding = forms.ChoiceField(
        label=_("Finding"),
        choices=[(finding, finding.label) for finding in CLOSING_FINDINGS],
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
