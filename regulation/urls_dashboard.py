from django.urls import path

from .views_dashboard import DashboardView, PlatformsCsvView, RepeatOffendersCsvView, ScorecardMethodView
from .views_monthly import MonthlyReportPdfView, MonthlyReportView

urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="dashboard-home"),
    path("dashboard/scorecard/", ScorecardMethodView.as_view(), name="dashboard-scorecard"),
    path("dashboard/export/platforms.csv", PlatformsCsvView.as_view(), name="dashboard-export-platforms"),
    path("dashboard/monthly/", MonthlyReportView.as_view(), name="dashboard-monthly"),
    path("dashboard/monthly/report.pdf", MonthlyReportPdfView.as_view(), name="dashboard-monthly-pdf"),
    path(
        "dashboard/export/repeat-offenders.csv",
        RepeatOffendersCsvView.as_view(),
        name="dashboard-export-repeat-offenders",
    ),
]
