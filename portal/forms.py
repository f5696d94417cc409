from decimal import Decimal

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from portal import money
from portal.models import Role, User


def yuan_field(*, label, maximum: int, **kwargs) -> forms.DecimalField:
    """An amount of yuan with fen, up to a plausible ``maximum`` (a setting); the services check the same bounds,
    this gives the browser the limits and the messages of ``portal.money``."""
    # No max_digits: below the maximum a number always fits the column, and one message is enough.
    return forms.DecimalField(
        label=label,
        decimal_places=money.DECIMAL_PLACES,
        min_value=Decimal("0.01"),
        max_value=maximum,
        error_messages=money.yuan_error_messages(maximum),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


class ConsumerRegistrationForm(UserCreationForm):
    """Sign-up for consumers only; platform staff and regulators are created by their managers / admins."""

    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send complaint updates and password-reset links here."),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        autocomplete = {"username": "username", "email": "email", "password1": "new-password"}
        autocomplete["password2"] = "new-password"
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        # One account per address keeps password resets unambiguous.
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail address already exists. Log in or reset your password."),
                code="duplicate_email",
            )
        return email

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.role = Role.CONSUMER
        user.platform = None
        user.staff_role = ""
        if commit:
            user.save()
        return user
