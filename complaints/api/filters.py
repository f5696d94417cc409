"""Query-string filters of the complaint lists. They narrow an already scoped queryset, never widen it."""

from datetime import UTC, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from complaints.models import Problem, Status
from complaints.search import SEARCH_TERM_MAX_LENGTH, complaints_matching


def in_utc(moment: datetime) -> datetime:
    """Python accepts UTC offsets up to ±23:59, PostgreSQL only up to ±15:59: bounds are compared in UTC."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise forms.ValidationError(
            _("Enter a date-time between the years 1 and 9999."), code="out_of_range"
        ) from None


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        return None if moment is None else in_utc(moment)


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class DateOrDateTimeField(forms.Field):
    """An ISO date (``2026-05-01``) or date-time (``2026-05-01T08:00:00+08:00``); naive times are local."""

    default_error_messages = {"invalid": _("Enter an ISO date (YYYY-MM-DD) or date-time.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip()
        try:
            # Date first: parse_datetime would read a bare date as midnight, losing "the whole day".
            day = parse_date(value)
            moment = None if day else parse_datetime(value)
        except ValueError:
            moment = day = None
        if moment is None and day is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if moment is not None:
            return in_utc(moment if timezone.is_aware(moment) else timezone.make_aware(moment))
        return day


class DateOrDateTimeFilter(django_filters.Filter):
    """A bound on a date-time field. A bare date covers its whole (local) day, at either end of the range."""

    field_class = DateOrDateTimeField

    def __init__(self, *args, end_of_day: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.end_of_day = end_of_day

    def filter(self, qs: QuerySet, value):
        if value is None:
            return qs
        if isinstance(value, datetime):
            return qs.filter(**{f"{self.field_name}__{'lte' if self.end_of_day else 'gte'}": value})
        if self.end_of_day:
            next_midnight = timezone.make_aware(datetime.combine(value + timedelta(days=1), time.min))
            return qs.filter(**{f"{self.field_name}__lt": next_midnight})
        midnight = timezone.make_aware(datetime.combine(value, time.min))
        return qs.filter(**{f"{self.field_name}__gte": midnight})


class SearchFilter(django_filters.CharFilter):
    """``?q=``: the text search of every complaint list (complaints/search.py), applied to the caller's scope."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", SEARCH_TERM_MAX_LENGTH)
        kwargs.setdefault(
            "help_text",
            _(
                "Text search: the start of a complaint reference, order number or payment transaction number, or "
                "a word of the product name (for consumers and regulators also of the platform's name). Narrows "
                "the list; never shows more than it."
            ),
        )
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        return complaints_matching(qs, value, user=self.parent.request.user) if value else qs


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    platform = django_filters.CharFilter(field_name="platform__slug", help_text=_("Platform slug."))
    created_after = DateOrDateTimeFilter(
        field_name="created_at", help_text=_("Filed at or after this ISO date (whole day) or date-time.")
    )
    created_before = DateOrDateTimeFilter(
        field_name="created_at",
        end_of_day=True,
        help_text=_("Filed at or before this ISO date (whole day) or date-time."),
    )
    overdue = django_filters.BooleanFilter(field_name="is_overdue", help_text=_("Missed a platform deadline"))
    problem = django_filters.ChoiceFilter(choices=Problem.choices)
    search = django_filters.CharFilter(
        method="filter_search", help_text=_("A complaint reference (KM-2026-000123) or exact order number.")
    )
    q = SearchFilter()

    class Meta:
        fields = ["status", "platform", "created_after", "created_before", "overdue", "problem", "search", "q"]

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return qs.filter(Q(reference__iexact=value) | Q(order_number=value)) if value else qs


class InboxFilter(django_filters.FilterSet):
    """Filters of the platform inbox."""

    status = django_filters.ChoiceFilter(choices=Status.choices)
    due_before = UtcIsoDateTimeFilter(
        field_name="platform_due_at",
        lookup_expr="lte",
        help_text=_("A running platform deadline falls due by then."),
    )
    due_soon = django_filters.NumberFilter(
        method="filter_due_soon",
        min_value=0,
        max_value=24 * 365,
        help_text=_("A running platform deadline falls due within this many hours."),
    )
    overdue = django_filters.BooleanFilter(field_name="is_overdue", help_text=_("Missed a platform deadline"))
    problem = django_filters.ChoiceFilter(choices=Problem.choices)
    assigned_to_me = django_filters.BooleanFilter(
        method="filter_assigned_to_me",
        help_text=_("Only complaints assigned to you (staff accounts)."),
    )

    q = SearchFilter()

    class Meta:
        fields = ["status", "due_before", "due_soon", "overdue", "problem", "assigned_to_me", "q"]

    def filter_due_soon(self, qs: QuerySet, name: str, value) -> QuerySet:
        return qs.filter(platform_due_at__lte=timezone.now() + timedelta(hours=float(value)))

    def filter_assigned_to_me(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        # An API key is nobody: nothing is assigned to it.
        user_id = getattr(self.request.user, "pk", None)
        if value:
            return qs.filter(assigned_to_id=user_id) if user_id else qs.none()
        return qs.exclude(assigned_to_id=user_id) if user_id else qs
