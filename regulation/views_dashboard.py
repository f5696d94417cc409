"""The regulators' dashboard: totals, weekly trend, ranking, repeat offenders and CSV exports of the regulator's
jurisdiction, with a drill-down to the offices below (``?office=<division code>``, inside the jurisdiction only)."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from portal.access import acts_as_regulator, office_scope
from portal.csv_export import csv_response
from portal.models import OfficeLevel
from portal.offices import OfficeScope

from .api.stats import PlatformStatsSerializer, RepeatOffenderSerializer
from .charts import trend_summary, weekly_trend_svg
from .scorecard import (
    COMPONENTS,
    GRADE_BANDS,
    PENALTY_CEILING,
    SCORECARD_VERSION,
    SCORECARD_WINDOW_DAYS,
    VOLUME_CEILING_PER_10K,
)
from .statistics import (
    DASHBOARD_WINDOWS,
    DEFAULT_REPEAT_OFFENDER_THRESHOLD,
    DEFAULT_TREND_WEEKS,
    DEFAULT_WINDOW_DAYS,
    MAX_WINDOW_DAYS,
    OfficeOutOfScope,
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

RANKING_PAGE_SIZE = 50
# The worst offenders of each table; the CSV export has all of them.
OFFENDERS_SHOWN = 25


def query_int(request: HttpRequest, name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole-number query parameter within bounds; anything else (a typo in a bookmarked URL) → default."""
    try:
        value = int(request.GET.get(name, default))
    except (TypeError, ValueError):
        return default
    if value < minimum or (maximum is not None and value > maximum):
        return default
    return value


def window_days(request: HttpRequest) -> int:
    return query_int(request, "days", DEFAULT_WINDOW_DAYS, maximum=MAX_WINDOW_DAYS)


def threshold(request: HttpRequest) -> int:
    return query_int(request, "min_complaints", DEFAULT_REPEAT_OFFENDER_THRESHOLD)


def jurisdiction(request: HttpRequest) -> OfficeScope:
    """The regulator's jurisdiction, or the office of it chosen with ``?office=``; any other office is a 404,
    exactly like one that does not exist."""
    try:
        return statistics_scope(request.user, request.GET.get("office", "").strip())
    except OfficeOutOfScope:
        raise Http404(_("No such office in your jurisdiction.")) from None


class RegulatorRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Anonymous visitors go to the login page; signed-in non-regulators get 403."""

    def test_func(self) -> bool:
        return acts_as_regulator(self.request.user)


class DashboardView(RegulatorRequiredMixin, TemplateView):
    template_name = "regulation/dashboard/home.html"

    def get_context_data(self, **kwargs) -> dict:
        days, min_complaints = window_days(self.request), threshold(self.request)
        scope = jurisdiction(self.request)
        now = timezone.now()
        platform_rows = platform_statistics(days=days, now=now, scope=scope)
        operator_rows = operator_statistics(days=days, now=now, scope=scope)
        totals = market_totals(days=days, now=now, scope=scope)
        trend = weekly_trend(weeks=DEFAULT_TREND_WEEKS, now=now, scope=scope)
        office = scope_office(scope)
        # The drill-down: a county office has no office below it, and costs no query for an empty table.
        offices = (
            office_breakdown(office=office, days=days, now=now) if office and office.level != OfficeLevel.COUNTY else []
        )
        own_scope = office_scope(self.request.user)
        # "Up to the office above" only inside the regulator's own jurisdiction: never above their own office.
        drilled_down = office is not None and (own_scope.everything or office != own_scope.office)
        parent = office.parent if drilled_down and office.parent_id else None
        summary = trend_summary(trend)
        ranking = Paginator(ranked_by_scorecard(platform_rows), RANKING_PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        return super().get_context_data(
            days=days,
            windows=DASHBOARD_WINDOWS,
            min_complaints=min_complaints,
            totals=totals,
            as_of=oldest_as_of(
                [totals.as_of, trend.as_of, *(row.as_of for row in (*platform_rows, *operator_rows, *offices))]
            ),
            office=office,
            # The office chosen with ?office=, kept by every link of the page; empty for the regulator's own.
            office_param=self.request.GET.get("office", "").strip() if office is not None else "",
            office_rows=offices,
            parent_office=parent if parent is not None and own_scope.covers(parent) else None,
            trend=trend,
            trend_summary=summary,
            trend_chart=weekly_trend_svg(
                trend, chart_id="trend-chart", title=_("Complaints per week"), description=summary
            ),
            ranking=ranking,
            platform_offenders=repeat_offenders(platform_rows, min_complaints=min_complaints),
            operator_offenders=repeat_offenders(operator_rows, min_complaints=min_complaints),
            offenders_shown=OFFENDERS_SHOWN,
            scorecard_version=SCORECARD_VERSION,
            scorecard_min_complaints=settings.PORTAL_SCORECARD_MIN_COMPLAINTS,
            satisfaction=platform_satisfaction(days=days, now=now),
            **kwargs,
        )


class ScorecardMethodView(RegulatorRequiredMixin, TemplateView):
    """The scoring formula in force, built from the constants that compute it (docs/scorecard.md has more)."""

    template_name = "regulation/dashboard/scorecard.html"

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            version=SCORECARD_VERSION,
            components=COMPONENTS,
            grade_bands=GRADE_BANDS,
            min_complaints=settings.PORTAL_SCORECARD_MIN_COMPLAINTS,
            public_window_days=SCORECARD_WINDOW_DAYS,
            volume_ceiling=VOLUME_CEILING_PER_10K,
            penalty_ceiling=PENALTY_CEILING,
            **kwargs,
        )


class CsvExportView(RegulatorRequiredMixin, View):
    """A download of serializer rows: the same names and hidden figures as the statistics API."""

    filename: str
    serializer_class: type

    def rows(self) -> list[dict]:
        raise NotImplementedError

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        rows = self.rows()
        # The header comes from the serializer, so an empty export still names its columns.
        header = list(self.serializer_class().fields)
        return csv_response(
            filename=self.filename, header=header, rows=([row.get(name) for name in header] for row in rows)
        )


class PlatformsCsvView(CsvExportView):
    filename = "platforms.csv"
    serializer_class = PlatformStatsSerializer

    def rows(self) -> list[dict]:
        scope = jurisdiction(self.request)
        rows = ranked_by_scorecard(platform_statistics(days=window_days(self.request), scope=scope))
        return PlatformStatsSerializer(rows, many=True).data


class RepeatOffendersCsvView(CsvExportView):
    filename = "repeat-offenders.csv"
    serializer_class = RepeatOffenderSerializer

    def rows(self) -> list[dict]:
        days, min_complaints = window_days(self.request), threshold(self.request)
        scope = jurisdiction(self.request)
        offenders = [
            *repeat_offenders(platform_statistics(days=days, scope=scope), min_complaints=min_complaints),
            *repeat_offenders(operator_statistics(days=days, scope=scope), min_complaints=min_complaints),
        ]
        return [
            {
                **row,
                "prior_penalty_kinds": "; ".join(
                    f"{kind}={count}" for kind, count in row["prior_penalty_kinds"].items()
                ),
            }
            for row in RepeatOffenderSerializer(offenders, many=True).data
        ]
