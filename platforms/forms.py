"""Workspace forms. They parse input; platforms.services validates and decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from platforms.models import WebhookEvent
from portal.models import StaffRole


class StaffInviteForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail"),
                             help_text=_("The invitation with a link to set a password goes here."))
    # Family name first, as Chinese names are written (portal.names).
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    staff_role = forms.ChoiceField(label=_("Role"), choices=StaffRole.choices, initial=StaffRole.AGENT,
                                   widget=forms.RadioSelect,
                                   help_text=_("Managers also manage staff, API keys and webhooks."))


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("Which system uses the key, e.g. “order system (production)”."))


class WebhookForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500,
                          widget=forms.URLInput(attrs={"placeholder": "https://"}),
                          help_text=_("Must be https://. We POST JSON signed with a secret shown once."))
    events = forms.MultipleChoiceField(label=_("Events"), choices=WebhookEvent.choices,
                                       widget=forms.CheckboxSelectMultiple)
