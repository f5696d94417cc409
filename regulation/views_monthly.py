"""The monthly complaint statistics report (投诉举报统计分析报告, Order 121 Art. 38) of the regulator's jurisdiction,
or of an office of it (``?office=<division code>``; any other office is a 404), for a month (``?month=YYYY-MM``; the
last complete month by default), as a page and as the signed PDF the office issues."""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from portal.access import office_scope

from .monthly_report import Month, monthly_report, monthly_report_filename, monthly_report_pdf
from .views_dashboard import RegulatorRequiredMixin, jurisdiction

# How many months back the picker offers.
MONTHS_OFFERED = 24


def chosen_month(request: HttpRequest) -> Month:
    """``?month=YYYY-MM`` up to the month under way; anything else (a typo, a future month) → the last complete
    month."""
    current = Month.of(timezone.now())
    month = Month.parse(request.GET.get("month", ""))
    if month is None or (month.year, month.month) > (current.year, current.month):
        return current.previous()
    return month


def months_offered() -> list[Month]:
    month, months = Month.of(timezone.now()), []
    for _index in range(MONTHS_OFFERED):
        months.append(month)
        month = month.previous()
    return months


class MonthlyReportView(RegulatorRequiredMixin, TemplateView):
    template_name = "regulation/dashboard/monthly.html"

    def get_context_data(self, **kwargs) -> dict:
        scope = jurisdiction(self.request)
        report = monthly_report(scope=scope, month=chosen_month(self.request))
        if report.office is None:
            raise Http404(_("No such office in your jurisdiction."))
        own_scope = office_scope(self.request.user)
        parent = report.office.parent if report.office.parent_id else None
        return super().get_context_data(
            report=report,
            months=months_offered(),
            office_param=self.request.GET.get("office", "").strip(),
            parent_office=parent if parent is not None and own_scope.covers(parent) else None,
            **kwargs,
        )


class MonthlyReportPdfView(RegulatorRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        report = monthly_report(scope=jurisdiction(request), month=chosen_month(request))
        if report.office is None:
            raise Http404(_("No such office in your jurisdiction."))
        response = HttpResponse(monthly_report_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{monthly_report_filename(report)}"'
        return response
