"""Amounts of yuan as forms and the API take them: fen precision, a plausible maximum, and plain messages."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

MAX_DIGITS = 12
DECIMAL_PLACES = 2


def too_large_message(maximum: int):
    return format_lazy(_("The amount cannot exceed {maximum} yuan."), maximum=f"{maximum:,}")


def yuan_error_messages(maximum: int) -> dict:
    """Error messages for a Django or DRF decimal field of yuan: a number too long for the column gets the same
    message as one over the plausible ``maximum``, not a count of digits."""
    too_large = too_large_message(maximum)
    return {
        "max_value": too_large,
        "max_digits": too_large,
        "max_whole_digits": too_large,
        "min_value": _("The amount must be more than 0 yuan."),
        "max_decimal_places": _("The amount has at most two decimals (fen)."),
    }
