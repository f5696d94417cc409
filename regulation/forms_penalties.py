"""The regulator's penalty issuance form; ``penalty_issue`` does the checking, the form only parses."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint
from platforms.models import Platform
from portal.forms import yuan_field
from regulation.models import PenaltyKind


def date_input() -> forms.DateInput:
    # <input type="date"> only takes ISO dates: the locale's format ("2026/11/25" in zh-hans) leaves it empty.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PenaltyIssueForm(forms.Form):
    platform = forms.ModelChoiceField(
        label=_("Platform"), queryset=Platform.objects.none(), to_field_name="slug",
        help_text=_("Registered platforms domiciled in your jurisdiction or complained about in it."),
        error_messages={"invalid_choice": _("Choose a registered platform of your jurisdiction from the list.")},
    )
    kind = forms.ChoiceField(label=_("Kind of penalty"), choices=PenaltyKind.choices)
    fine_amount = yuan_field(
        label=_("Fine (CNY)"), maximum=settings.PORTAL_FINE_MAX, required=False, help_text=_("Only for a fine.")
    )
    rectification_deadline = forms.DateField(
        label=_("Rectify by"), required=False, widget=date_input(),
        help_text=_("Only for a rectification order."),
    )
    decided_on = forms.DateField(label=_("Decided on"), widget=date_input())
    complaints = forms.ModelMultipleChoiceField(
        label=_("Complaints cited"), queryset=Complaint.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    facts = forms.CharField(label=_("Facts found"), widget=forms.Textarea(attrs={"rows": 10}))
    legal_basis = forms.CharField(label=_("Legal basis"), widget=forms.Textarea(attrs={"rows": 3}))
    decision = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, cited_complaints, platforms, platform_choices=None, **kwargs):
        """``cited_complaints``: the complaints the regulator chose, already scoped to what they may see;
        ``platforms``: the platforms they may choose (what the form accepts), ``platform_choices`` the same as
        grouped <option>s (what the list shows)."""
        super().__init__(*args, **kwargs)
        self.fields["platform"].queryset = platforms
        if platform_choices is not None:
            self.fields["platform"].choices = platform_choices
        self.fields["complaints"].queryset = cited_complaints
        self.fields["complaints"].label_from_instance = lambda complaint: (
            f"{complaint.reference} · {complaint.product_name} · ¥{complaint.amount}"
        )
        self.fields["decided_on"].initial = timezone.localdate()
