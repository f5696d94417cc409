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
        label=_("Platform"), queryset=Platform.objects.all(), to_field_name="slug", widget=forms.TextInput,
        help_text=_("The platform's short name (slug), as in its registry address."),
        error_messages={"invalid_choice": _("No registered platform has this short name.")},
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
    facts = forms.CharField(label=_("Facts found"), widget=forms.Textarea(attrs={"rows": 6}))
    legal_basis = forms.CharField(label=_("Legal basis"), widget=forms.Textarea(attrs={"rows": 3}))
    decision = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, cited_complaints, **kwargs):
        """``cited_complaints``: the complaints the regulator chose, already scoped to what they may see."""
        super().__init__(*args, **kwargs)
        self.fields["complaints"].queryset = cited_complaints
        self.fields["complaints"].label_from_instance = lambda complaint: (
            f"{complaint.reference} · {complaint.product_name} · ¥{complaint.amount}"
        )
        self.fields["decided_on"].initial = timezone.localdate()
