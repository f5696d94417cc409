"""Forms of the platform's inbox and answer page. They parse input; the services decide what is allowed."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from portal.forms import yuan_field
from portal.models import Role

from .models import Complaint, EvidenceKind, Problem, RejectionReason, ResponseOutcome, Status
from .search import SearchField
from .selectors import complaints_visible_to
from .services import RESPONSE_REQUIRED_FIELDS

DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def active_staff_of(platform_id: int):
    return get_user_model().objects.filter(
        role=Role.PLATFORM_STAFF, platform_id=platform_id, is_active=True
    ).order_by("username")


class InboxFilterForm(forms.Form):
    """The inbox's GET filters; an invalid value is simply ignored."""

    DUE_SOON, OVERDUE = "soon", "overdue"
    MINE, UNASSIGNED = "me", "none"
    SORT_DUE, SORT_NEWEST = "due", "newest"

    q = SearchField()
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *Status.choices])
    due = forms.ChoiceField(label=_("Deadline"), required=False, choices=[
        ("", _("Any")), (DUE_SOON, _("Due within 24 hours")), (OVERDUE, _("Overdue")),
    ])
    problem = forms.ChoiceField(label=_("Problem"), required=False,
                                choices=[("", _("All problems")), *Problem.choices])
    assigned = forms.ChoiceField(label=_("Assigned"), required=False, choices=[
        ("", _("Anyone")), (MINE, _("Assigned to me")), (UNASSIGNED, _("Unassigned")),
    ])
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        (SORT_DUE, _("Next deadline first")), (SORT_NEWEST, _("Newest first")),
    ])


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=get_user_model().objects.none(), required=False,
        empty_label=_("Nobody (unassign)"),
    )

    def __init__(self, *args, platform_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = active_staff_of(platform_id)


class BulkAssignForm(AssignForm):
    complaints = forms.ModelMultipleChoiceField(
        label=_("Complaints"), queryset=Complaint.objects.none(),
        error_messages={"required": _("Tick at least one complaint.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, platform_id=user.platform_id, **kwargs)
        # Another platform's id is refused like a wrong one; the service scopes the update again anyway.
        self.fields["complaints"].queryset = complaints_visible_to(user).only("pk")


class RespondForm(forms.Form):
    """All outcomes' fields at once: the page shows those of the chosen outcome, the service checks them."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=ResponseOutcome.choices, widget=forms.RadioSelect)
    message = forms.CharField(
        label=_("Message to the consumer"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 5000, "data-counter": ""}),
    )
    delivered_at = forms.DateTimeField(label=_("Delivered at"), required=False, widget=DATETIME_LOCAL)
    delivery_method = forms.CharField(
        label=_("How it was delivered"), max_length=200, required=False,
        help_text=_("E.g. card key re-sent to the order page, top-up credited to game account 12345."),
    )
    delivery_record = forms.CharField(
        label=_("Masked card key or activation record"), max_length=200, required=False,
        help_text=_(
            "Hide the middle with * (e.g. ABCD-****-****-1234). The consumer already has the full key; this "
            "record is kept in the complaint file and may be read by regulators, so never enter a usable key."
        ),
    )
    refund_amount = yuan_field(label=_("Refund amount (CNY)"), maximum=settings.PORTAL_AMOUNT_MAX, required=False)
    refund_reference = forms.CharField(
        label=_("Refund reference"), max_length=64, required=False,
        help_text=_("The transaction number of the refund in the payment channel."),
    )
    compensation = forms.CharField(label=_("Compensation given"), max_length=500, required=False,
                                   help_text=_("E.g. a 20 yuan voucher credited to the account."))
    rejection_reason = forms.ChoiceField(label=_("Reason for rejecting"), required=False,
                                         choices=[("", "—"), *RejectionReason.choices])
    promised_by = forms.DateTimeField(
        label=_("Promised by"), required=False, widget=DATETIME_LOCAL,
        help_text=_("“In progress” can be answered once, with a date inside the resolution window."),
    )

    def outcome_fieldsets(self) -> list[tuple[str, str, list]]:
        """(outcome, label, bound fields) for each outcome that has fields of its own."""
        return [(outcome, label, [self[name] for name in RESPONSE_REQUIRED_FIELDS[outcome]])
                for outcome, label in ResponseOutcome.choices]

    def service_fields(self) -> dict:
        """The chosen outcome's fields only: a hidden, half-filled field of another outcome is ignored."""
        outcome = self.cleaned_data["outcome"]
        return {name: self.cleaned_data.get(name) for name in RESPONSE_REQUIRED_FIELDS[outcome]}


class PlatformEvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices,
                             initial=EvidenceKind.DELIVERY_PROOF)
    file = forms.FileField(label=_("File"), help_text=_("Images, PDF, text or audio."))


class InfoRequestForm(forms.Form):
    """Shown on the answer page next to the answer form, whose ``message`` field would have the same id."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "info_%s")
        super().__init__(*args, **kwargs)

    message = forms.CharField(
        label=_("What do you need from the consumer?"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 5000}),
        help_text=_("The resolution deadlines pause until the consumer answers."),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 5000}),
        help_text=_("Seen only by your platform's staff and regulators, never by the consumer."),
    )
