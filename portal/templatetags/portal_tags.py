import math
from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from portal import access

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


@register.filter
def clock_time(value: datetime | None) -> str:
    """HH:MM of a moment in local time, with its date when that was not today: an old time must not pass for
    today's (a statistics refresh that stopped days ago)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return local.strftime("%H:%M" if local.date() == timezone.localdate() else "%Y-%m-%d %H:%M")


@register.filter(name="can")
def can_filter(user, right: str) -> bool:
    """``{% if user|can:"see_penalties" %}``: templates ask the rules in ``portal.access``, never a role."""
    return access.can(user, right)
