"""A platform's downloads: its inbox (the list as filtered and searched) and its monthly statistics, as CSV or
XLSX. The web pages and the API build the same files here; both are written by the portal's one table writer
(``portal.csv_export`` and ``portal.xlsx_export``), which quotes any text a spreadsheet would run as a formula.

Downloads are recorded in the access log (``portal.audit.log_access``): the inbox file carries the payment
transaction numbers of every complaint in it.
"""

from collections.abc import Iterator

from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.audit import log_access
from portal.xlsx_export import table_response

from .calendar import SHANGHAI
from .models import Complaint, Finding, PaymentChannel, Problem, Status
from .platform_stats import COLUMNS as STATISTICS_COLUMNS
from .platform_stats import PlatformStatistics, statistics_rows

INBOX_COLUMNS = (
    _("Reference"),
    _("Status"),
    _("Problem"),
    _("Product"),
    _("Amount (CNY)"),
    _("Order number"),
    _("Payment channel"),
    _("Payment transaction number"),
    _("Paid at"),
    _("Filed at"),
    _("Next deadline"),
    _("Overdue"),
    _("Assigned to"),
    _("First answered at"),
    _("Closed at"),
    _("Finding"),
)
INBOX_FIELDS = (
    "reference",
    "status",
    "problem",
    "product_name",
    "amount",
    "order_number",
    "payment_channel",
    "payment_reference",
    "paid_at",
    "created_at",
    "platform_due_at",
    "is_overdue",
    "assigned_to__username",
    "first_answered_at",
    "closed_at",
    "finding",
)
CHUNK_SIZE = 2000


def local_time(moment) -> str:
    """A time as the pages show it: Asia/Shanghai, to the minute; empty if there is none."""
    return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


def inbox_rows(complaints: QuerySet[Complaint]) -> Iterator[list]:
    """One list per complaint in ``INBOX_COLUMNS`` order, in the inbox's order, read in chunks so that a large
    inbox streams. Choice labels are translated now, in the request's language, not when the stream is read."""
    labels = {
        "status": {value: str(label) for value, label in Status.choices},
        "problem": {value: str(label) for value, label in Problem.choices},
        "payment_channel": {value: str(label) for value, label in PaymentChannel.choices},
        "finding": {value: str(label) for value, label in Finding.choices},
    }
    yes, no = gettext("yes"), gettext("no")
    if not complaints.query.order_by:
        complaints = complaints.order_by(F("platform_due_at").asc(nulls_last=True), "-pk")
    return _inbox_rows(complaints.values_list(*INBOX_FIELDS), labels, yes, no)


def _inbox_rows(rows, labels: dict, yes: str, no: str) -> Iterator[list]:
    for values in rows.iterator(chunk_size=CHUNK_SIZE):
        row = dict(zip(INBOX_FIELDS, values, strict=True))
        yield [
            row["reference"],
            labels["status"].get(row["status"], row["status"]),
            labels["problem"].get(row["problem"], row["problem"]),
            row["product_name"],
            row["amount"],
            row["order_number"],
            labels["payment_channel"].get(row["payment_channel"], row["payment_channel"]),
            row["payment_reference"],
            local_time(row["paid_at"]),
            local_time(row["created_at"]),
            local_time(row["platform_due_at"]),
            yes if row["is_overdue"] else no,
            row["assigned_to__username"] or "",
            local_time(row["first_answered_at"]),
            local_time(row["closed_at"]),
            labels["finding"].get(row["finding"], row["finding"]),
        ]


def inbox_export_response(
    request: HttpRequest, complaints: QuerySet[Complaint], *, file_format: str, search: str = ""
) -> HttpResponseBase:
    """``complaints`` (the caller's inbox, already scoped, filtered and searched) as a download."""
    platform = request.user.platform
    log_access(request, action="inbox_export", obj=platform, detail=f"{file_format} q={search}"[:255])
    return table_response(
        file_format=file_format,
        filename_stem=f"complaints-{platform.slug}-{timezone.localtime(timezone.now(), SHANGHAI):%Y%m%d-%H%M}",
        header=INBOX_COLUMNS,
        rows=inbox_rows(complaints),
        sheet_name=gettext("Complaints"),
    )


def statistics_export_response(
    request: HttpRequest, statistics: PlatformStatistics, *, file_format: str
) -> HttpResponseBase:
    """The monthly statistics of the caller's platform (one row per month, then the total) as a download."""
    platform = request.user.platform
    log_access(request, action="statistics_export", obj=platform, detail=f"{file_format} months={statistics.months}")
    return table_response(
        file_format=file_format,
        filename_stem=f"statistics-{platform.slug}-{timezone.localtime(timezone.now(), SHANGHAI):%Y%m%d}",
        header=[_("Month"), *(label for _name, label in STATISTICS_COLUMNS)],
        rows=statistics_rows(statistics, total_label=gettext("Total")),
        sheet_name=gettext("Statistics"),
    )
