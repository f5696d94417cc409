"""Statistics API for regulators: per-platform (with the offices below), per-operator figures, repeat offenders, weekly
trend — of the caller's jurisdiction (their office and every office below it; the whole market for the national
supervisor), or of one office of it named with ``office=<division code>``: another office is a 400 on that field,
exactly like one that does not exist.

Everyone else gets 403 (401 without credentials). The serializers here also shape the dashboard's CSV
exports, so the API and the files always agree on names and on which figures are hidden.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from platforms.models import Platform
from portal.access import ActsAsRegulator
from portal.api import NulSafeSlugRelatedField
from portal.pagination import StandardPagination
from regulation.scorecard import SCORECARD_VERSION, is_rated
from regulation.statistics import (
    DEFAULT_REPEAT_OFFENDER_THRESHOLD,
    DEFAULT_TREND_WEEKS,
    DEFAULT_WINDOW_DAYS,
    MAX_TREND_WEEKS,
    MAX_WINDOW_DAYS,
    NextStep,
    OfficeOutOfScope,
    PlatformStats,
    market_totals,
    office_breakdown,
    oldest_as_of,
    operator_statistics,
    platform_satisfaction,
    platform_statistics,
    ranked_by_scorecard,
    repeat_offenders,
    scope_office,
    statistics_scope,
    weekly_trend,
)

RATE_DECIMALS = 4


class IsRegulator(ActsAsRegulator):
    message = _("Only regulators can see market statistics.")


# --- Query parameters -------------------------------------------------------------------------------------


class OfficeQuery(serializers.Serializer):
    """``office``: one office of the caller's jurisdiction; validated into the ``OfficeScope`` to read."""

    office = serializers.CharField(
        required=False,
        max_length=6,
        help_text=_(
            "Division code (GB/T 2260) of an office in your jurisdiction: its figures and those of the offices "
            "below it. Your own jurisdiction when left out."
        ),
    )

    def validate(self, attrs: dict) -> dict:
        try:
            attrs["scope"] = statistics_scope(self.context["user"], attrs.get("office", ""))
        except OfficeOutOfScope:
            raise serializers.ValidationError({"office": [_("No such office in your jurisdiction.")]}) from None
        return attrs


class WindowQuery(OfficeQuery):
    days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_WINDOW_DAYS,
        default=DEFAULT_WINDOW_DAYS,
        help_text=_("Complaints filed in the last N days (1–730)."),
    )


class RepeatOffenderQuery(WindowQuery):
    min_complaints = serializers.IntegerField(
        min_value=1,
        default=DEFAULT_REPEAT_OFFENDER_THRESHOLD,
        help_text=_("Threshold: upheld + overdue complaints in the window."),
    )


class TrendQuery(OfficeQuery):
    weeks = serializers.IntegerField(
        min_value=1,
        max_value=MAX_TREND_WEEKS,
        default=DEFAULT_TREND_WEEKS,
        help_text=_("Number of ISO weeks, the current one included (1–104)."),
    )
    platform = NulSafeSlugRelatedField(
        slug_field="slug",
        queryset=Platform.objects.all(),
        required=False,
        help_text=_("Slug of one platform; the whole market when left out."),
    )


# --- Output -----------------------------------------------------------------------------------------------


def _rate_field(help_text: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, read_only=True, help_text=help_text)


AS_OF_HELP = _(
    "When the figures were counted: the time of the statistics rollup refresh they were read from (ISO 8601, "
    "Asia/Shanghai). Complaints filed or changed since then count from the next refresh (every 10 minutes). Null "
    "when the complaints were counted directly, as before the rollup's first refresh."
)


def as_of_field() -> serializers.DateTimeField:
    return serializers.DateTimeField(allow_null=True, read_only=True, help_text=AS_OF_HELP)


class FiguresSerializer(serializers.Serializer):
    """Counts and rates shared by platforms, operators and the market (docs/scorecard.md "Definitions")."""

    days = serializers.IntegerField()
    complaints = serializers.IntegerField()
    upheld = serializers.IntegerField()
    overdue = serializers.IntegerField()
    compensation_breaches = serializers.IntegerField()
    final_answers = serializers.IntegerField()
    accepted = serializers.IntegerField(help_text=_("Resolved by the consumer's acceptance."))
    first_response_on_time = serializers.IntegerField()
    first_response_decided = serializers.IntegerField(help_text=_("First-response clocks met or breached."))
    resolution_on_time = serializers.IntegerField()
    resolution_decided = serializers.IntegerField()
    first_response_on_time_rate = _rate_field(_("On-time first responses / decided first-response clocks."))
    resolution_on_time_rate = _rate_field(_("On-time resolutions / decided resolution clocks."))
    acceptance_rate = _rate_field(_("Resolved by acceptance / complaints with a final answer."))
    median_first_response_hours = _rate_field(_("Median hours from forwarding to the first answer."))
    mean_rating = _rate_field(_("Mean consumer rating (1–5)."))

    RATED_ONLY_FIELDS = (
        "first_response_on_time_rate",
        "resolution_on_time_rate",
        "acceptance_rate",
        "median_first_response_hours",
        "mean_rating",
        "complaints_per_10k_orders",
        "score",
        "grade",
    )

    def shows_rates(self, instance) -> bool:
        return True

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        rated = self.shows_rates(instance)
        for name in self.RATED_ONLY_FIELDS:
            if name not in data:
                continue
            if not rated:
                data[name] = None
            elif isinstance(data[name], float):
                data[name] = round(data[name], RATE_DECIMALS)
        return data


class MinimumSampleMixin:
    """Below settings.PORTAL_SCORECARD_MIN_COMPLAINTS the rates, medians and score are null."""

    def shows_rates(self, instance) -> bool:
        return is_rated(instance)


class MarketTotalsSerializer(FiguresSerializer):
    platforms = serializers.IntegerField(help_text=_("Registered platforms with complaints in the window."))


class PlatformStatsSerializer(MinimumSampleMixin, FiguresSerializer):
    platform = serializers.CharField(source="platform.name")
    slug = serializers.CharField(source="platform.slug")
    operator = serializers.CharField(source="platform.operator.name", default=None, allow_null=True)
    penalties_in_window = serializers.IntegerField()
    complaints_per_10k_orders = _rate_field(_("Complaints per 10 000 reported orders, scaled to the window."))
    is_rated = serializers.BooleanField(source="scorecard.is_rated")
    score = serializers.FloatField(source="scorecard.score", allow_null=True)
    grade = serializers.CharField(source="scorecard.grade", allow_blank=True, allow_null=True)
    scorecard_version = serializers.CharField(source="scorecard.version")


class OperatorStatsSerializer(MinimumSampleMixin, FiguresSerializer):
    operator = serializers.CharField(source="operator.name")
    operator_id = serializers.IntegerField(source="operator.pk")
    platform_count = serializers.IntegerField()
    penalties_in_window = serializers.IntegerField()


class RepeatOffenderSerializer(serializers.Serializer):
    kind = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    slug = serializers.SerializerMethodField()
    complaints = serializers.IntegerField(source="stats.complaints")
    upheld = serializers.IntegerField(source="stats.upheld")
    overdue = serializers.IntegerField(source="stats.overdue")
    upheld_and_overdue = serializers.IntegerField(source="stats.upheld_and_overdue")
    prior_penalties = serializers.IntegerField()
    prior_penalty_kinds = serializers.DictField(child=serializers.IntegerField())
    next_step = serializers.ChoiceField(choices=NextStep.choices)
    next_step_label = serializers.SerializerMethodField()

    def to_representation(self, offender) -> dict:
        # The list holds up to every platform of the market: built directly, it costs a tenth of the generic
        # walk over the declared fields, which stay as the schema (a test keeps the two equal).
        stats = offender.stats
        is_platform = isinstance(stats, PlatformStats)
        next_step = offender.next_step
        return {
            "kind": "platform" if is_platform else "operator",
            "name": stats.platform.name if is_platform else stats.operator.name,
            "slug": stats.platform.slug if is_platform else None,
            "complaints": stats.complaints,
            "upheld": stats.upheld,
            "overdue": stats.overdue,
            "upheld_and_overdue": stats.upheld_and_overdue,
            "prior_penalties": offender.prior_penalties,
            "prior_penalty_kinds": dict(offender.prior_penalty_kinds),
            "next_step": str(next_step.value),
            "next_step_label": str(next_step.label),
        }

    def get_kind(self, offender) -> str:
        return "platform" if isinstance(offender.stats, PlatformStats) else "operator"

    def get_name(self, offender) -> str:
        subject = offender.stats.platform if isinstance(offender.stats, PlatformStats) else offender.stats.operator
        return subject.name

    def get_slug(self, offender) -> str | None:
        return offender.stats.platform.slug if isinstance(offender.stats, PlatformStats) else None

    def get_next_step_label(self, offender) -> str:
        return str(offender.next_step.label)


class TrendWeekSerializer(serializers.Serializer):
    week_start = serializers.DateField(help_text=_("Monday of the ISO week, Asia/Shanghai."))
    filed = serializers.IntegerField()
    upheld = serializers.IntegerField()
    overdue = serializers.IntegerField()


def office_field() -> serializers.CharField:
    return serializers.CharField(
        allow_null=True,
        help_text=_("Division code of the office whose jurisdiction the figures cover (null: the whole market)."),
    )


class PageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    days = serializers.IntegerField()
    as_of = as_of_field()
    office = office_field()


class OperatorStatsPageSerializer(PageSerializer):
    results = OperatorStatsSerializer(many=True)


class OfficeStatsSerializer(FiguresSerializer):
    office = serializers.CharField(source="office.division_code", help_text=_("Division code (GB/T 2260)."))
    name = serializers.CharField(source="office.name")
    level = serializers.CharField(source="office.level")
    own = serializers.BooleanField(
        help_text=_("The cases the office handles itself; the other rows each hold an office and all below it.")
    )
    # A median is not additive: the rows of the drill-down do not carry one.
    median_first_response_hours = None


class PlatformStatsPageSerializer(PageSerializer):
    scorecard_version = serializers.CharField()
    min_complaints = serializers.IntegerField()
    market = MarketTotalsSerializer()
    offices = OfficeStatsSerializer(
        many=True,
        help_text=_(
            "The drill-down of the jurisdiction: first the cases its office handles itself (own = true), then each "
            "office directly below it with everything below that. Additive figures only: no median."
        ),
    )
    results = PlatformStatsSerializer(many=True)


class RepeatOffendersSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    as_of = as_of_field()
    office = office_field()
    min_complaints = serializers.IntegerField()
    platforms = RepeatOffenderSerializer(many=True)
    operators = RepeatOffenderSerializer(many=True)


class TrendSerializer(serializers.Serializer):
    weeks = serializers.IntegerField()
    as_of = as_of_field()
    office = office_field()
    platform = serializers.CharField(allow_null=True)
    results = TrendWeekSerializer(many=True)


# --- Views ------------------------------------------------------------------------------------------------

FORBIDDEN = {
    400: OpenApiResponse(description="A query parameter is out of range; the body names it."),
    401: OpenApiResponse(description="No credentials."),
    403: OpenApiResponse(description="Not a regulator."),
}


class RegulatorStatsView(APIView):
    """Base of the statistics endpoints: regulators only; query parameters validated into ``self.query``."""

    permission_classes = [IsRegulator]
    query_serializer_class: type[serializers.Serializer] = WindowQuery

    def parse_query(self, request: Request) -> dict:
        query = self.query_serializer_class(data=request.query_params, context={"user": request.user})
        query.is_valid(raise_exception=True)
        return query.validated_data

    def paginated(self, request: Request, rows: list, serializer_class, **extra) -> dict:
        paginator = StandardPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            **extra,
            "results": serializer_class(page, many=True).data,
        }


def office_value(scope) -> str | None:
    """The division code a response's figures are of; None for the whole market."""
    if scope.everything:
        return None
    return scope.office.division_code if scope.office is not None else None


def as_of_value(moments: Iterable[datetime | None]) -> str | None:
    """``as_of`` of a response built as a dict: the oldest refresh behind its figures, as the field renders it."""
    moment = oldest_as_of(moments)
    return None if moment is None else serializers.DateTimeField().to_representation(moment)


class PlatformStatsView(RegulatorStatsView):
    @extend_schema(
        operation_id="stats_platforms",
        summary="Statistics per platform",
        description="Platforms ranked by the scorecard, with the totals of the jurisdiction and its drill-down to "
        "the offices below (offices). Rates are null below the minimum number of complaints "
        "(PORTAL_SCORECARD_MIN_COMPLAINTS).",
        parameters=[WindowQuery],
        responses={200: PlatformStatsPageSerializer, **FORBIDDEN},
        tags=["stats"],
    )
    def get(self, request: Request) -> Response:
        query = self.parse_query(request)
        days, scope = query["days"], query["scope"]
        rows = ranked_by_scorecard(platform_statistics(days=days, scope=scope))
        market = market_totals(days=days, scope=scope)
        office = scope_office(scope)
        offices = office_breakdown(office=office, days=days) if office is not None else []
        return Response(
            self.paginated(
                request,
                rows,
                PlatformStatsSerializer,
                days=days,
                as_of=as_of_value([market.as_of, *(row.as_of for row in (*rows, *offices))]),
                office=office_value(scope),
                scorecard_version=SCORECARD_VERSION,
                min_complaints=settings.PORTAL_SCORECARD_MIN_COMPLAINTS,
                market=MarketTotalsSerializer(market).data,
                offices=OfficeStatsSerializer(offices, many=True).data,
            )
        )


class OperatorStatsView(RegulatorStatsView):
    @extend_schema(
        operation_id="stats_operators",
        summary="Statistics per operator",
        description="All complaints against all platforms of each operator.",
        parameters=[WindowQuery],
        responses={200: OperatorStatsPageSerializer, **FORBIDDEN},
        tags=["stats"],
    )
    def get(self, request: Request) -> Response:
        query = self.parse_query(request)
        days, scope = query["days"], query["scope"]
        rows = sorted(operator_statistics(days=days, scope=scope), key=lambda row: -row.upheld_and_overdue)
        as_of = as_of_value(row.as_of for row in rows)
        return Response(
            self.paginated(request, rows, OperatorStatsSerializer, days=days, as_of=as_of, office=office_value(scope))
        )


class RepeatOffendersView(RegulatorStatsView):
    query_serializer_class = RepeatOffenderQuery

    @extend_schema(
        operation_id="stats_repeat_offenders",
        summary="Repeat offenders",
        description="Platforms and operators with upheld + overdue complaints ≥ min_complaints in the "
        "window, with their prior penalties and the suggested next enforcement step.",
        parameters=[RepeatOffenderQuery],
        responses={200: RepeatOffendersSerializer, **FORBIDDEN},
        tags=["stats"],
    )
    def get(self, request: Request) -> Response:
        query = self.parse_query(request)
        days, threshold, scope = query["days"], query["min_complaints"], query["scope"]
        platforms = platform_statistics(days=days, scope=scope)
        operators = operator_statistics(days=days, scope=scope)
        return Response(
            RepeatOffendersSerializer(
                {
                    "days": days,
                    "as_of": oldest_as_of(row.as_of for row in (*platforms, *operators)),
                    "office": office_value(scope),
                    "min_complaints": threshold,
                    "platforms": repeat_offenders(platforms, min_complaints=threshold),
                    "operators": repeat_offenders(operators, min_complaints=threshold),
                }
            ).data
        )


class TrendView(RegulatorStatsView):
    query_serializer_class = TrendQuery

    @extend_schema(
        operation_id="stats_trend",
        summary="Weekly trend",
        description="Complaints filed, upheld and overdue per ISO week (Asia/Shanghai), oldest first.",
        parameters=[TrendQuery],
        responses={200: TrendSerializer, **FORBIDDEN},
        tags=["stats"],
    )
    def get(self, request: Request) -> Response:
        query = self.parse_query(request)
        platform = query.get("platform")
        weeks = weekly_trend(weeks=query["weeks"], platform_id=platform.pk if platform else None, scope=query["scope"])
        return Response(
            TrendSerializer(
                {
                    "weeks": query["weeks"],
                    "as_of": weeks.as_of,
                    "office": office_value(query["scope"]),
                    "platform": platform.slug if platform else None,
                    "results": weeks,
                }
            ).data
        )


# --- Follow-up satisfaction (Order 121 Art. 26) -------------------------------------------------------------


class PlatformSatisfactionSerializer(serializers.Serializer):
    platform = serializers.CharField(source="platform.slug")
    platform_name = serializers.CharField(source="platform.name")
    answers = serializers.IntegerField(source="satisfaction.answers", help_text=_("Follow-up answers in the window."))
    resolved_share = serializers.SerializerMethodField(help_text=_("Share of answers saying the problem was resolved."))
    mean_rating = serializers.SerializerMethodField(help_text=_("Mean satisfaction, 1–5."))

    def get_resolved_share(self, row) -> float | None:
        share = row.satisfaction.resolved_share
        return None if share is None else round(share, RATE_DECIMALS)

    def get_mean_rating(self, row) -> float | None:
        mean = row.satisfaction.mean_rating
        return None if mean is None else round(mean, 2)


class SatisfactionPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    days = serializers.IntegerField()
    results = PlatformSatisfactionSerializer(many=True)


@extend_schema(tags=["statistics"])
class SatisfactionView(RegulatorStatsView):
    """Follow-up satisfaction per platform: answers given in the last N days (Order 121 Art. 26)."""

    @extend_schema(
        operation_id="stats_satisfaction",
        summary="Follow-up satisfaction per platform",
        parameters=[WindowQuery],
        responses={200: SatisfactionPageSerializer, **FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        days = self.parse_query(request)["days"]
        rows = platform_satisfaction(days=days)
        return Response(self.paginated(request, rows, PlatformSatisfactionSerializer, days=days))
