"""The regulators' audit view of complaints. Rows are never edited here: every change is an action that calls
a service, exactly as the API and the pages do.
"""

from collections.abc import Callable, Iterator

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from platforms.models import Platform
from portal.access import acts_as_regulator, office_scope
from portal.admin import EstimatedCountPaginator, ReadOnlyAdminMixin
from portal.csv_export import csv_response
from portal.errors import DomainError

from .calendar import clear_exceptions_cache
from .models import (
    CalendarException,
    Complaint,
    Deadline,
    Event,
    Evidence,
    Finding,
    InternalNote,
    Response,
    WebhookDelivery,
)
from .selectors import complaints_visible_to
from .services import complaint_accept_for_mediation, complaint_close, complaint_refuse

# --- changelist plumbing for a table of millions -------------------------------------------------------


# A search term found in more platform names than this is too vague to list complaints for all of them.
SEARCH_PLATFORMS_MAX = 50


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
    fields = ("kind", "started_at", "due_at", "met_at", "breached_at", "paused_at", "paused_seconds",
              "explanation")


class ResponseInline(ReadOnlyInline):
    model = Response
    fields = ("created_at", "outcome", "message", "refund_amount", "rejection_reason", "promised_by")


class InternalNoteInline(ReadOnlyInline):
    model = InternalNote
    fields = ("created_at", "author", "text")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


# --- action forms ----------------------------------------------------------------------------------------


class CloseForm(forms.Form):
    finding = forms.ChoiceField(
        label=_("Finding"),
        choices=[(value, label) for value, label in Finding.choices if value != Finding.REFUSED],
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Ground for refusing"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example the Art. 15 ground that applies."),
    )


# --- the complaint admin ---------------------------------------------------------------------------------


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("reference", "platform", "office", "status", "problem", "amount", "payment_channel",
                    "is_overdue", "created_at")
    # "Filed" ranges instead of a date hierarchy: the hierarchy lists the years (months, days) present with
    # SELECT DISTINCT date_trunc(...) over every matching complaint, on each page view.
    list_filter = ("status", OfficeFilter, PlatformSlugFilter, "problem", "payment_channel", "is_overdue",
                   EscalatedFilter, "finding", ("created_at", admin.DateFieldListFilter))
    # Searched by get_search_results; the names here only make the search box appear.
    search_fields = ["reference", "order_number", "platform__name"]
    list_select_related = ("platform", "office")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    inlines = [EventInline, EvidenceInline, DeadlineInline, ResponseInline, InternalNoteInline]
    actions = ["accept_for_mediation", "close_with_finding", "refuse", "open_penalty", "export_csv"]

    def get_queryset(self, request):
        return complaints_visible_to(request.user).select_related("platform", "consumer", "assigned_to", "office")

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # A complaint outside the reader's scope (another office's) and a missing one get the same answer, and
        # the answer the pages and the API give: 404, not the admin's "perhaps it was deleted" redirect.
        raise Http404(_("No such complaint."))

    def get_search_results(self, request, queryset, search_term):
        """A reference or an order number, exactly, or part of a platform's name.

        Every branch uses an index: the stock ``=reference`` search compares UPPER(reference), which no index
        answers, and the platform name in the same OR joined every complaint to its platform.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        matches = Q(reference=term.upper()) | Q(order_number=term)
        platform_ids = list(
            Platform.objects.filter(name__icontains=term).values_list("pk", flat=True)[:SEARCH_PLATFORMS_MAX]
        )
        if platform_ids:
            matches |= Q(platform_id__in=platform_ids)
        return queryset.filter(matches), False

    def has_regulate_permission(self, request) -> bool:
        return acts_as_regulator(request.user)

    # Each action calls the service once per complaint: one refusal does not undo the others, and every
    # refusal is reported by reference instead of failing the whole request.
    def _apply(self, request, queryset, act: Callable[[Complaint], object],
               done: Callable[[int], str]) -> None:
        succeeded = 0
        for complaint in queryset.select_related(None).only("pk", "reference"):
            try:
                act(complaint)
            except DomainError as error:
                self._report(request, complaint, error.message)
            except ValidationError as error:
                self._report(request, complaint, " ".join(error.messages))
            except (PermissionDenied, Http404) as error:
                self._report(request, complaint, str(error))
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done(succeeded) % {"count": succeeded}, messages.SUCCESS)

    def _report(self, request, complaint: Complaint, reason: str) -> None:
        self.message_user(request, f"{complaint.reference}: {reason}", messages.ERROR)

    @admin.action(description=_("Accept for mediation"), permissions=["regulate"])
    def accept_for_mediation(self, request, queryset):
        self._apply(
            request, queryset,
            lambda complaint: complaint_accept_for_mediation(complaint_id=complaint.pk, by=request.user),
            lambda count: ngettext("%(count)d complaint accepted for mediation.",
                                   "%(count)d complaints accepted for mediation.", count),
        )

    def _with_form(self, request, queryset, form_class, title: str, act, done: Callable[[int], str]):
        """Show ``form_class`` for the selected complaints; once it is valid, apply ``act`` to each."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._apply(request, queryset, lambda complaint: act(complaint, form.cleaned_data), done)
            return None
        return TemplateResponse(request, "admin/complaints/complaint/action_form.html", {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "complaints": queryset.select_related(None).only("pk", "reference")[:100],
            "count": queryset.count(),
            "selected_ids": queryset.values_list("pk", flat=True),
            "action": request.POST.get("action"),
            "select_across": request.POST.get("select_across", "0"),
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description=_("Close with a finding"), permissions=["regulate"])
    def close_with_finding(self, request, queryset):
        return self._with_form(
            request, queryset, CloseForm, _("Close complaints with a finding"),
            lambda complaint, data: complaint_close(
                complaint_id=complaint.pk, by=request.user, finding=data["finding"], note=data["note"]
            ),
            lambda count: ngettext("%(count)d complaint closed.", "%(count)d complaints closed.", count),
        )

    @admin.action(description=_("Refuse (do not accept)"), permissions=["regulate"])
    def refuse(self, request, queryset):
        return self._with_form(
            request, queryset, RefuseForm, _("Refuse escalated complaints"),
            lambda complaint, data: complaint_refuse(complaint_id=complaint.pk, by=request.user,
                                                     reason=data["reason"]),
            lambda count: ngettext("%(count)d complaint refused.", "%(count)d complaints refused.", count),
        )

    @admin.action(description=_("Open a penalty from the selected complaints"), permissions=["regulate"])
    def open_penalty(self, request, queryset):
        platform_ids = set(queryset.order_by().values_list("platform_id", flat=True).distinct()[:2])
        if len(platform_ids) != 1 or None in platform_ids:
            self.message_user(request, _("Choose complaints about one registered platform."), messages.ERROR)
            return None
        ids = ",".join(str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('regulation:penalty-new')}?complaints={ids}")

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

    # The cache is cleared after commit: cleared earlier, a concurrent request could cache the old rows again.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(clear_exceptions_cache)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(clear_exceptions_cache)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(clear_exceptions_cache)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("event", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at",
                    "delivered_at", "created_at")
    list_filter = ("status", "event")
    list_select_related = ("endpoint",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
