"""The monthly complaint statistics report of an office (投诉举报统计分析报告, Order 121 Art. 38: market regulators
analyse the complaints and reports of their region and publish the figures).

One calendar month (Asia/Shanghai) of one jurisdiction (the office and every office below it, ``OfficeScope``):

- volumes: complaints received (filed), accepted (受理, the acceptance notices, Art. 15), refused by ground
  (不予受理, the refusal notices, Art. 16), and closed by outcome (findings of the office, agreements between the
  parties, withdrawals);
- the platforms' on-time rates and the repeat offenders (most complaints, most breaches: upheld + overdue);
- the top problems complained of;
- the penalties decided and the consumer warnings issued (platforms confirmed unreachable: 消费者权益保护法实施条例
  Art. 27) that month.

The volumes and rates of complaints filed in the month are sums over the daily rollup (``PlatformDailyStats``), as
the dashboard reads them; the decisions of the month (notices, closures, penalties, warnings) and the problems are
grouped counts over their own indexed columns. The number of queries does not grow with the data.
"""

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db.models import Count
from django.utils import timezone, translation

from complaints.calendar import SHANGHAI
from complaints.models import Finding, NoticeKind, Problem, Status
from complaints.selectors import unscoped_complaints_for_system
from platforms.models import Platform
from portal.models import IssuedDocumentKind, Office, OfficeLevel
from portal.offices import OfficeScope
from portal.pdf import record_issued_document, render_pdf, sign_pdf

from .models import Notice, Penalty, PenaltyStatus
from .statistics import (
    MarketTotals,
    OfficeStats,
    PlatformStats,
    local_midnight,
    market_totals,
    office_breakdown,
    platform_statistics,
    scope_office,
)

TOP_PLATFORMS = 10
TOP_PROBLEMS = 5


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, value: str) -> "Month | None":
        """``YYYY-MM``, or None for anything else."""
        try:
            year, month = (int(part) for part in value.split("-"))
        except (AttributeError, ValueError):
            return None
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            return None
        return cls(year, month)

    @classmethod
    def of(cls, moment: datetime) -> "Month":
        local = timezone.localtime(moment, SHANGHAI)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, monthrange(self.year, self.month)[1])

    @property
    def days(self) -> int:
        return self.last_day.day

    @property
    def since(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def until(self) -> datetime:
        return local_midnight(self.next().first_day)

    def previous(self) -> "Month":
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> "Month":
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)


@dataclass(frozen=True)
class CountRow:
    code: str
    label: object  # a lazy translation where there is one: the PDF renders it in the office's language
    count: int


@dataclass
class MonthlyReport:
    office: Office
    month: Month
    # The last day the figures cover: the month's last day, or today for the month under way.
    through: date
    totals: MarketTotals
    accepted: int
    refusals: list[CountRow]
    closures: list[CountRow]
    problems: list[CountRow]
    platforms: list[PlatformStats]
    offices: list[OfficeStats] = field(default_factory=list)
    penalties: list[Penalty] = field(default_factory=list)
    warnings: list[Platform] = field(default_factory=list)

    @property
    def received(self) -> int:
        return self.totals.complaints

    @property
    def refused(self) -> int:
        return sum(row.count for row in self.refusals)

    @property
    def closed(self) -> int:
        return sum(row.count for row in self.closures)

    @property
    def most_complained(self) -> list[PlatformStats]:
        rows = [row for row in self.platforms if row.complaints]
        return sorted(rows, key=lambda row: (-row.complaints, row.platform.name))[:TOP_PLATFORMS]

    @property
    def most_breaches(self) -> list[PlatformStats]:
        rows = [row for row in self.platforms if row.upheld_and_overdue]
        return sorted(rows, key=lambda row: (-row.upheld_and_overdue, row.platform.name))[:TOP_PLATFORMS]

    @property
    def is_complete(self) -> bool:
        return self.through == self.month.last_day


# What a closure in the month ended with: the office's findings, and the two ends the parties reach themselves.
RESOLVED = "resolved"
WITHDRAWN_BY_CONSUMER = "withdrawn"


def _closure_labels() -> dict[str, object]:
    labels = dict(Finding.choices)
    labels[RESOLVED] = Status.RESOLVED.label
    labels[WITHDRAWN_BY_CONSUMER] = Status.WITHDRAWN.label
    return labels


def _window_of(month: Month, now: datetime) -> tuple[datetime, int, date]:
    """The statistics window of the month, as (now, days, last day covered): the month's filing days up to
    today; a month not begun yet is its first day, which has no complaints."""
    today = timezone.localtime(now, SHANGHAI).date()
    if month.first_day <= today < month.last_day:
        return now, today.day, today
    day = month.last_day if today >= month.last_day else month.first_day
    return local_midnight(day).replace(hour=12), (day - month.first_day).days + 1, day


def _closures(scope: OfficeScope, month: Month) -> list[CountRow]:
    """Complaints ended in the month, by outcome (one grouped count over the closed-at index)."""
    rows = (
        unscoped_complaints_for_system()
        .filter(scope.filter("office"), closed_at__gte=month.since, closed_at__lt=month.until)
        .values("status", "finding")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[str, int] = {}
    for row in rows:
        code = (row["finding"] or row["status"]) if row["status"] == Status.CLOSED else row["status"]
        counts[code] = counts.get(code, 0) + row["count"]
    labels = _closure_labels()
    return [
        CountRow(code, labels.get(code, code), count)
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _decisions(scope: OfficeScope, month: Month) -> tuple[int, list[CountRow]]:
    """Acceptances and refusals by ground decided in the month: the notices written with each decision."""
    rows = (
        Notice.objects.filter(
            scope.filter("complaint__office"),
            kind__in=[NoticeKind.ACCEPTANCE, NoticeKind.REFUSAL],
            decided_at__gte=month.since,
            decided_at__lt=month.until,
        )
        .values("kind", "ground_code")
        .annotate(count=Count("pk"))
        .order_by()
    )
    accepted = 0
    refusals = []
    for row in rows:
        if row["kind"] == NoticeKind.ACCEPTANCE:
            accepted += row["count"]
        else:
            refusals.append(CountRow(row["ground_code"], refusal_ground_label(row["ground_code"]), row["count"]))
    return accepted, sorted(refusals, key=lambda row: (-row.count, row.code))


def refusal_ground_label(code: str) -> str:
    """Order 121 Art. 16 (1)-(7): ``art16_3`` reads 第十六条第（三）项."""
    prefix, _sep, item = code.partition("_")
    numerals = "一二三四五六七八九十"
    if prefix == "art16" and item.isdigit() and 1 <= int(item) <= len(numerals):
        return f"第十六条第（{numerals[int(item) - 1]}）项"
    return code or "—"


def _problems(scope: OfficeScope, month: Month) -> list[CountRow]:
    """The problems most complained of in the month (one grouped count over the filing-time index)."""
    rows = (
        unscoped_complaints_for_system()
        .filter(scope.filter("office"), created_at__gte=month.since, created_at__lt=month.until)
        .values("problem")
        .annotate(count=Count("pk"))
        .order_by("-count", "problem")[:TOP_PROBLEMS]
    )
    labels = dict(Problem.choices)
    return [CountRow(row["problem"], labels.get(row["problem"], row["problem"]), row["count"]) for row in rows]


def monthly_report(*, scope: OfficeScope, month: Month, now: datetime | None = None) -> MonthlyReport:
    """The report of ``month`` for the jurisdiction ``scope`` (the caller's, or an office of it)."""
    now = now or timezone.now()
    window_now, days, through = _window_of(month, now)
    office = scope_office(scope)
    accepted, refusals = _decisions(scope, month)
    return MonthlyReport(
        office=office,
        month=month,
        through=through,
        totals=market_totals(days=days, now=window_now, scope=scope),
        accepted=accepted,
        refusals=refusals,
        closures=_closures(scope, month),
        problems=_problems(scope, month),
        platforms=platform_statistics(days=days, now=window_now, scope=scope),
        offices=(
            office_breakdown(office=office, days=days, now=window_now)
            if office is not None and office.level != OfficeLevel.COUNTY
            else []
        ),
        penalties=list(
            Penalty.objects.filter(
                scope.filter("office"), decided_on__gte=month.first_day, decided_on__lte=month.last_day
            )
            .exclude(status=PenaltyStatus.OVERTURNED)
            .select_related("platform", "office")
            .order_by("decided_on", "office__division_code", "sequence")
        ),
        warnings=list(
            Platform.objects.filter(
                scope.filter("unreachable_office"),
                unreachable_confirmed_at__gte=month.since,
                unreachable_confirmed_at__lt=month.until,
            )
            .select_related("unreachable_office")
            .order_by("unreachable_confirmed_at", "pk")
        ),
    )


def monthly_report_pdf(report: MonthlyReport) -> bytes:
    """The report as the office issues it: rendered, signed by the portal when it has a certificate, and its
    SHA-256 kept so that /verify/ recognises the copy later."""
    # An official document is issued in Chinese whatever the language of the page it was asked from.
    with translation.override(settings.LANGUAGE_CODE):
        pdf = render_pdf("pdf/monthly_report.html", {"report": report})
    pdf = sign_pdf(pdf, reason=f"投诉举报统计分析报告 {report.office.name} {report.month}")
    record_issued_document(
        kind=IssuedDocumentKind.STATISTICS_REPORT,
        data=pdf,
        reference=monthly_report_reference(report),
        obj=report.office,
    )
    return pdf


def monthly_report_reference(report: MonthlyReport) -> str:
    return f"{report.office.division_code}-{report.month}"


def monthly_report_filename(report: MonthlyReport) -> str:
    return f"complaint-statistics-{monthly_report_reference(report)}.pdf"
