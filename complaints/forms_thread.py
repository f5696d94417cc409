"""The form of a complaint's thread, shown on the complaint page and on the platform's answer page."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .forms import MultipleFileField
from .models import MESSAGE_MAX_LENGTH


class MessageForm(forms.Form):
    """A message and its optional files. Its ids start with ``thread_``: both pages carry other forms."""

    body = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MESSAGE_MAX_LENGTH}),
        help_text=_("A message does not change the complaint's status or its deadlines."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "thread_%s")
        super().__init__(*args, **kwargs)
        # Built per instance: the limits in the help text follow the settings.
        self.fields["files"] = MultipleFileField(
            label=_("Attach files (optional)"),
            required=False,
            help_text=_(
                "Screenshots, PDF, plain text or audio, up to %(count)d files of %(megabytes)d MB each. "
                "Attached files become evidence of the complaint."
            )
            % {
                "count": settings.PORTAL_MESSAGE_MAX_FILES,
                "megabytes": settings.PORTAL_EVIDENCE_MAX_BYTES // (1024 * 1024),
            },
        )
