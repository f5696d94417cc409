from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from portal.models import Role, User


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
