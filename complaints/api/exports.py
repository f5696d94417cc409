"""A platform's downloads over the API: its inbox (``?format=csv`` or ``xlsx``, with the inbox's filters and
``q``) and its monthly statistics (JSON, or the same table as a file). Platform staff and API keys only (403 for
everyone else), each on their own platform's complaints. The files are those of the web pages
(``complaints.exports``)."""

from django.db.models import F
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from complaints.exports import inbox_export_response, statistics_export_response
from complaints.platform_stats import DEFAULT_MONTHS, MONTH_CHOICES, platform_statistics
from portal.api import FIELD_ERRORS, error
from portal.xlsx_export import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE

from .base import PlatformInboxEndpoint
from .filters import InboxFilter


class CsvRenderer(BaseRenderer):
    """Lets clients ask for ``?format=csv`` or ``Accept: text/csv``; the file itself is a streamed response."""

    media_type = CSV_CONTENT_TYPE
    format = "csv"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class XlsxRenderer(BaseRenderer):
    """Lets clients ask for ``?format=xlsx`` or the XLSX media type; the workbook itself is a file response."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


FORBIDDEN = error("Not platform staff.")
FILE_RESPONSES = {
    (200, CSV_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The table as CSV (UTF-8 with BOM)."),
    (200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The table as an Excel workbook."),
}


class FileDownloadEndpoint(PlatformInboxEndpoint):
    """Errors are JSON whatever format was asked for; only the file itself is CSV or XLSX."""

    def finalize_response(self, request, response, *args, **kwargs):
        # Also when the negotiation itself failed (an unknown ``format``: 404) and chose no renderer at all.
        if isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class PlatformInboxExportView(FileDownloadEndpoint):
    renderer_classes = [CsvRenderer, XlsxRenderer]
    filterset_class = InboxFilter

    @extend_schema(
        operation_id="platform_complaints_export",
        summary="Your platform's complaints as a file (platform staff or API key)",
        description=(
            "Every complaint of the inbox that matches the filters (the inbox's, `q` included), most urgent "
            "first, as CSV (`format=csv`, the default) or an Excel workbook (`format=xlsx`). Text that a "
            "spreadsheet would evaluate as a formula is prefixed with `'`."
        ),
        filters=True,
        responses={
            **FILE_RESPONSES,
            (400, JSONRenderer.media_type): FIELD_ERRORS,
            (403, JSONRenderer.media_type): FORBIDDEN,
        },
        tags=["platform"],
    )
    def get(self, request, *args, **kwargs):
        complaints = self.filter_queryset(self.get_queryset()).order_by(
            F("platform_due_at").asc(nulls_last=True), "-pk"
        )
        return inbox_export_response(
            request, complaints, file_format=request.accepted_renderer.format, search=request.query_params.get("q", "")
        )


class MonthFiguresOut(serializers.Serializer):
    month = serializers.CharField(
        allow_null=True, help_text="YYYY-MM (Asia/Shanghai, by the date filed); null for the total."
    )
    filed = serializers.IntegerField()
    answered = serializers.IntegerField()
    missed_deadline = serializers.IntegerField()
    resolved = serializers.IntegerField()
    escalated = serializers.IntegerField()
    upheld = serializers.IntegerField()
    compensation_breaches = serializers.IntegerField()
    rated = serializers.IntegerField()
    average_rating = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)


class ProblemCountOut(serializers.Serializer):
    problem = serializers.CharField()
    problem_display = serializers.CharField()
    filed = serializers.IntegerField()


class PlatformStatisticsOut(serializers.Serializer):
    months = serializers.IntegerField()
    since = serializers.DateTimeField()
    by_month = MonthFiguresOut(many=True)
    total = MonthFiguresOut()
    by_problem = ProblemCountOut(many=True)


def statistics_body(statistics) -> dict:
    def figures(item) -> dict:
        return {
            "month": item.month.strftime("%Y-%m") if item.month else None,
            **{name: getattr(item, name) for name in MonthFiguresOut().fields if name != "month"},
        }

    return PlatformStatisticsOut(
        {
            "months": statistics.months,
            "since": statistics.since,
            "by_month": [figures(item) for item in statistics.by_month],
            "total": figures(statistics.total),
            "by_problem": [
                {"problem": value, "problem_display": str(label), "filed": count}
                for value, label, count in statistics.by_problem
            ],
        }
    ).data


class MonthsIn(serializers.Serializer):
    months = serializers.ChoiceField(choices=MONTH_CHOICES, default=DEFAULT_MONTHS, required=False)


class PlatformStatisticsView(FileDownloadEndpoint):
    renderer_classes = [JSONRenderer, CsvRenderer, XlsxRenderer]

    @extend_schema(
        operation_id="platform_statistics",
        summary="Your platform's monthly figures (platform staff or API key)",
        description=(
            "Complaints against your platform filed in the last `months` calendar months (Asia/Shanghai), per "
            "month and in total, and what has become of them so far; per problem. JSON, or the monthly table "
            "as CSV (`format=csv`) or an Excel workbook (`format=xlsx`)."
        ),
        parameters=[
            OpenApiParameter("months", int, enum=list(MONTH_CHOICES), description=f"Default {DEFAULT_MONTHS}."),
        ],
        responses={
            (200, JSONRenderer.media_type): OpenApiResponse(PlatformStatisticsOut, description="The figures."),
            **FILE_RESPONSES,
            (400, JSONRenderer.media_type): FIELD_ERRORS,
            (403, JSONRenderer.media_type): FORBIDDEN,
        },
        tags=["platform"],
    )
    def get(self, request, *args, **kwargs):
        window = MonthsIn(data=request.query_params)
        window.is_valid(raise_exception=True)
        statistics = platform_statistics(request.user, months=int(window.validated_data["months"]))
        if isinstance(request.accepted_renderer, JSONRenderer):
            return Response(statistics_body(statistics))
        return statistics_export_response(request, statistics, file_format=request.accepted_renderer.format)
