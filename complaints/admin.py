"""The regulators' audit view of complaints. Rows are never edited here: every change is an action that calls
a service, exactly as the API and the pages do. The case desk's actions are added in regulation/admin.py.
"""

from collections.abc import Iterator

from django.contrib import admin
from django.http import Http404
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from portal.access import office_scope
from portal.admin import EstimatedCountPaginator, ReadOnlyAdminMixin
from portal.csv_export import csv_response

from .calendar import calendar_exception_save, calendar_exceptions_delete
from .models import (
    CalendarException,
    ClockRule,
    Complaint,
    Deadline,
    Event,
    Evidence,
    Ground,
    InternalNote,
    Message,
    NoticeTemplate,
    Response,
    RuleEdition,
    WebhookDelivery,
)
from .search import complaints_matching
from .selectors import complaints_visible_to

# --- changelist plumbing for a table of millions -------------------------------------------------------


class PlatformSlugFilter(admin.SimpleListFilter):
    """Filter by a platform's slug typed into a box: a list of 2,000 platform links is slow and useless."""

    title = _("platform (slug)")
    parameter_name = "platform__slug"
    template = "admin/complaints/input_filter.html"

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(platform__slug=value.strip()) if value else queryset

    def choices(self, changelist):
        # The box is a GET form: carry the other active filters along as hidden fields.
        other_params = [
            (key, value)
            for key, values in changelist.params.items()
            if key not in {self.parameter_name, "p"}
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "other_params": other_params,
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }


class OfficeFilter(admin.SimpleListFilter):
    """The handling office, among the offices of the reader's scope (a few hundred at most)."""

    title = _("handling office")
    parameter_name = "office"

    def lookups(self, request, model_admin):
        return [(office.pk, office.short_name) for office in office_scope(request.user).offices()]

    def queryset(self, request, queryset):
        return queryset.filter(office_id=self.value()) if self.value() else queryset


class EscalatedFilter(admin.SimpleListFilter):
    title = _("escalated")
    parameter_name = "escalated"

    def lookups(self, request, model_admin):
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(escalated_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(escalated_at__isnull=True)
        return queryset


# --- inlines ---------------------------------------------------------------------------------------------


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class EventInline(ReadOnlyInline):
    model = Event
    fields = ("sequence", "kind", "actor_label", "created_at", "data", "hash")
    ordering = ("sequence",)
    verbose_name_plural = _("timeline (hash-chained)")


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ("original_name", "kind", "party", "content_type", "size", "sha256", "received_at", "download")

    @admin.display(description=_("file"))
    def download(self, evidence: Evidence) -> str:
        # The download view belongs to the complaint pages; it checks access and writes the access log.
        return format_html('<a href="/complaints/evidence/{}/download/">{}</a>', evidence.pk, _("Download"))


class DeadlineInline(ReadOnlyInline):
    model = Deadline
    # ``article`` names the edition too (令第121号第十五条): no query per clock for the edition row.
    fields = ("kind", "started_at", "due_at", "met_at", "breached_at", "paused_at", "paused_seconds",
              "article", "explanation")


class ResponseInline(ReadOnlyInline):
    model = Response
    fields = ("created_at", "outcome", "message", "refund_amount", "rejection_reason", "promised_by")


class InternalNoteInline(ReadOnlyInline):
    model = InternalNote
    fields = ("created_at", "author", "text")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class MessageInline(ReadOnlyInline):
    """The thread, read here; regulators post on the complaint page (``thread_link``)."""

    model = Message
    fields = ("created_at", "party", "author", "body", "files")
    ordering = ("created_at", "pk")
    verbose_name_plural = _("thread messages")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").prefetch_related("attachments")

    @admin.display(description=_("attachments"))
    def files(self, message: Message) -> str:
        # The download view belongs to the complaint pages; it checks access and writes the access log.
        return format_html_join(
            ", ", '<a href="/complaints/evidence/{}/download/">{}</a>',
            ((evidence.pk, evidence.original_name) for evidence in message.attachments.all()),
        ) or "—"


# --- the complaint admin ---------------------------------------------------------------------------------


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("reference", "platform", "office", "status", "problem", "amount", "payment_channel",
                    "overdue", "created_at")
    # "Filed" ranges instead of a date hierarchy: the hierarchy lists the years (months, days) present with
    # SELECT DISTINCT date_trunc(...) over every matching complaint, on each page view.
    list_filter = ("status", OfficeFilter, PlatformSlugFilter, "problem", "payment_channel", "is_overdue",
                   EscalatedFilter, "finding", ("created_at", admin.DateFieldListFilter))
    # Searched by get_search_results; the names here only make the search box appear.
    search_fields = ["reference", "order_number", "payment_reference", "product_name", "platform__name"]
    list_select_related = ("platform", "office")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    inlines = [EventInline, MessageInline, EvidenceInline, DeadlineInline, ResponseInline, InternalNoteInline]
    readonly_fields = ("thread_link",)
    # The regulators' moves are added by the case desk (regulation/admin.py), which registers its subclass.
    actions = ["export_csv"]

    def get_queryset(self, request):
        return complaints_visible_to(request.user).select_related("platform", "consumer", "assigned_to", "office")

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # A complaint outside the reader's scope (another office's) and a missing one get the same answer, and
        # the answer the pages and the API give: 404, not the admin's "perhaps it was deleted" redirect.
        raise Http404(_("No such complaint."))

    @admin.display(description=_("thread messages"))
    def thread_link(self, complaint) -> str:
        label = _("Read the thread and write on the complaint page")
        return format_html('<a href="/complaints/{}/#thread">{}</a>', complaint.pk, label)

    @admin.display(description=_("Overdue"), ordering="is_overdue")
    def overdue(self, complaint) -> str:
        # Words, not the admin's boolean icons: a red ✖ read as an alarm on every complaint that is on time.
        return _("Overdue") if complaint.is_overdue else "—"

    def get_search_results(self, request, queryset, search_term):
        """The search of every complaint list (complaints/search.py): the start of a reference, order or payment
        number, part of the product or platform name; on the queryset already scoped to the reader.

        Every branch uses an index on PostgreSQL: the stock ``=reference`` search compared UPPER(reference), which
        no index answers, and a platform name in the same OR joined every complaint to its platform.
        """
        return complaints_matching(queryset, search_term, user=request.user), False

    @admin.action(description=_("Export as CSV"))
    def export_csv(self, request, queryset):
        return csv_response(
            filename=f"complaints-{timezone.localtime():%Y%m%d-%H%M}.csv",
            header=[label for _field, label in CSV_COLUMNS],
            rows=_csv_rows(queryset),
        )


CSV_COLUMNS = (
    ("reference", _("Reference")),
    ("platform_name", _("Platform")),
    ("status", _("Status")),
    ("problem", _("Problem")),
    ("amount", _("Amount (CNY)")),
    ("payment_channel", _("Payment channel")),
    ("order_number", _("Order number")),
    ("is_overdue", _("Overdue")),
    ("finding", _("Finding")),
    ("created_at", _("Filed at")),
    ("closed_at", _("Closed at")),
)


def _csv_rows(queryset) -> Iterator[list]:
    """One list per complaint in ``CSV_COLUMNS`` order, read in chunks so a large export streams."""
    rows = queryset.order_by("pk").values_list(
        "reference", "platform__name", "unregistered_platform_name", "status", "problem", "amount",
        "payment_channel", "order_number", "is_overdue", "finding", "created_at", "closed_at",
    )
    for (reference, platform_name, unregistered_name, status, problem, amount, channel, order_number, overdue,
         finding, created_at, closed_at) in rows.iterator(chunk_size=2000):
        yield [
            reference, platform_name or unregistered_name, status, problem, amount, channel, order_number,
            "yes" if overdue else "no", finding, timezone.localtime(created_at).isoformat(),
            timezone.localtime(closed_at).isoformat() if closed_at else "",
        ]


# --- other complaint-side models -------------------------------------------------------------------------


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    """Regulators correct the holiday calendar; deadlines computed afterwards use the correction."""

    list_display = ("date", "is_working_day", "note", "updated_at")
    list_filter = ("is_working_day",)
    date_hierarchy = "date"
    search_fields = ["note"]

    def save_model(self, request, obj, form, change):
        calendar_exception_save(by=request.user, exception=obj)

    def delete_model(self, request, obj):
        calendar_exceptions_delete(by=request.user, exceptions=[obj])

    def delete_queryset(self, request, queryset):
        calendar_exceptions_delete(by=request.user, exceptions=list(queryset.order_by("date")))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("event", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at",
                    "delivered_at", "created_at")
    list_filter = ("status", "event")
    list_select_related = ("endpoint",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator


# --- the rulebook: shown, never edited (a new edition is a new row, written by a migration) -----------------


class ClockRuleInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ClockRule
    fields = ("kind", "length", "unit", "counting", "paused_by", "extension_length", "article", "article_en")
    extra = 0


class GroundInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Ground
    fields = ("kind", "code", "article", "text_zh", "text_en")
    extra = 0


class NoticeTemplateInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = NoticeTemplate
    fields = ("kind", "title", "template_name", "article", "article_en")
    extra = 0


@admin.register(RuleEdition)
class RuleEditionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The editions of the rules, each with its clocks, grounds and notice templates."""

    list_display = ("abbreviation", "title", "citation", "effective_from", "effective_until")
    inlines = [ClockRuleInline, GroundInline, NoticeTemplateInline]


@admin.register(ClockRule)
class ClockRuleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("edition", "kind", "length", "unit", "counting", "paused_by", "extension_length", "article")
    list_filter = ("edition", "kind")
    list_select_related = ("edition",)


@admin.register(Ground)
class GroundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("edition", "code", "kind", "article", "text_zh")
    list_filter = ("edition", "kind")
    list_select_related = ("edition",)
    search_fields = ["code", "text_zh", "text_en"]
