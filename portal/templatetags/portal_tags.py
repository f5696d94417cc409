import math
from datetime import timedelta

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def current_page(context: template.Context, prefix: str, *, exact: bool = False) -> str:
    """``aria-current="page"`` when the request path is (or starts with) ``prefix``; nothing otherwise."""
    request = context.get("request")
    if request is None:
        return ""
    path = request.path
    if path == prefix or (not exact and prefix != "/" and path.startswith(prefix)):
        return mark_safe('aria-current="page"')
    return ""


@register.filter
def in_minutes(value: timedelta | None) -> int:
    """Whole minutes of a timedelta, rounded up, so "0 minutes" is never shown while still locked."""
    if not value:
        return 0
    return max(1, math.ceil(value.total_seconds() / 60))
