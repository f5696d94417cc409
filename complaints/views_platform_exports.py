"""The platform's statistics page and its downloads (the inbox and the statistics, ``?format=csv`` or ``xlsx``).
Staff of a platform only, each reading their own platform's complaints."""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from portal.web import PlatformStaffRequiredMixin
from portal.xlsx_export import FILE_FORMATS

from .exports import inbox_export_response, statistics_export_response
from .forms_platform import InboxFilterForm
from .platform_stats import COLUMNS, DEFAULT_MONTHS, MONTH_CHOICES, platform_statistics, statistics_rows
from .views_platform import inbox_complaints


def requested_format(request: HttpRequest) -> str:
    """``?format=``: csv (the default) or xlsx; any other value is a download that does not exist."""
    file_format = request.GET.get("format", "csv")
    if file_format not in FILE_FORMATS:
        raise Http404(gettext("No such download format."))
    return file_format


class StatisticsWindowForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        required=False,
        choices=[(months, format_lazy(_("Last {months} months"), months=months)) for months in MONTH_CHOICES],
    )

    def chosen_months(self) -> int:
        return (self.cleaned_data.get("months") if self.is_valid() else None) or DEFAULT_MONTHS


class InboxExportView(PlatformStaffRequiredMixin, View):
    """The inbox as the page shows it (its filters, search and order), every page of it, as a file."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        file_format = requested_format(request)
        filter_form = InboxFilterForm(request.GET or None)
        filters = filter_form.cleaned_data if filter_form.is_valid() else {}
        complaints = inbox_complaints(request.user, filters, timezone.now())
        return inbox_export_response(request, complaints, file_format=file_format, search=filters.get("q", ""))


class PlatformStatisticsView(PlatformStaffRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        window_form = StatisticsWindowForm(request.GET or None)
        months = window_form.chosen_months()
        statistics = platform_statistics(request.user, months=months)
        context = {
            "platform": request.user.platform,
            "window_form": window_form,
            "months": months,
            "statistics": statistics,
            "columns": [label for _name, label in COLUMNS],
            "rows": [
                (row[0], list(zip((label for _name, label in COLUMNS), row[1:], strict=True)))
                for row in statistics_rows(statistics, total_label=gettext("Total"))
            ],
        }
        return render(request, "complaints/workspace/statistics.html", context)


class PlatformStatisticsExportView(PlatformStaffRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponseBase:
        file_format = requested_format(request)
        months = StatisticsWindowForm(request.GET or None).chosen_months()
        statistics = platform_statistics(request.user, months=months)
        return statistics_export_response(request, statistics, file_format=file_format)
