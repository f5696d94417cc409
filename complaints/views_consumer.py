"""The consumer's pages (guided filing, "my complaints", actions on a complaint) and the complaint detail page
that every role able to see a complaint shares.

Views parse input and call one service each; what may happen to a complaint is decided by the services.
"""

from dataclasses import dataclass
from datetime import date, datetime
from math import ceil

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_safe
from django.views.generic import ListView, TemplateView

from portal.access import (
    acts_as_regulator,
    is_consumer,
    is_platform_staff,
    is_regulator,
    may_post_in_thread,
    may_read_internal_notes,
    owns_complaint,
)
from portal.audit import log_access
from portal.errors import Conflict, IllegalTransition
from portal.web import add_service_errors

from . import services, transitions
from .api.base import CallerScopedRateThrottle
from .events import verify_chain
from .files import evidence_download_response
from .forms import (
    AcceptForm,
    ComplaintFilingForm,
    DisputeForm,
    EscalateForm,
    EvidenceUploadForm,
    PublicationForm,
    SupplyInfoForm,
    WithdrawForm,
)
from .forms_thread import MessageForm
from .models import (
    OPEN_STATUSES,
    PLATFORM_TURN_STATUSES,
    ClockCounting,
    Complaint,
    Deadline,
    Event,
    EventKind,
    Evidence,
    FollowUp,
    InternalNote,
    Response,
    Status,
)
from .search import ListSearchForm, complaints_matching, search_term
from .selectors import complaints_visible_to, evidence_visible_to, thread_messages
from .timeline import event_link, event_summary
from .transitions import Trigger
from .unreachable import PLATFORM_UNREACHABLE, unreachable_warnings

PLATFORM_INBOX_PATH = "/complaints/inbox/"
REGULATOR_DASHBOARD_PATH = "/dashboard/"


# --- filing ------------------------------------------------------------------------------------------


class ConsumerRequiredMixin(LoginRequiredMixin):
    """Logged-in consumers only; staff and regulators get a page saying where their work is instead."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_consumer(request.user):
            return render(request, "complaints/consumers_only.html", status=403)
        return super().dispatch(request, *args, **kwargs)


class PaymentNotTakenView(TemplateView):
    """Step 1 of the guide answered "no": the payment channel, not the platform, can undo the payment."""

    template_name = "complaints/payment_not_taken.html"


class ComplaintCreateView(ConsumerRequiredMixin, View):
    """Step 1 (did the money leave your account?) and then the filing form.

    Filing draws on the same allowance as ``POST /api/v1/complaints/`` (``throttle_scope``), so the web form is
    no way around the API's limit.
    """

    form_template = "complaints/new.html"
    throttle_scope = "filing"

    def get(self, request: HttpRequest) -> HttpResponse:
        answer = request.GET.get("paid")
        if answer == "no":
            return redirect("complaints:complaint-payment-not-taken")
        if answer != "yes":
            return render(request, "complaints/new_start.html")
        return self.render_form(ComplaintFilingForm(initial={"platform": request.GET.get("platform", "")}))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ComplaintFilingForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_form(form)
        throttle = CallerScopedRateThrottle()
        if not throttle.allow_request(request, self):
            minutes = ceil((throttle.wait() or 60) / 60)
            form.add_error(
                None,
                ngettext(
                    "You have filed many complaints in a short time. Try again in %(minutes)d minute.",
                    "You have filed many complaints in a short time. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
            )
            return self.render_form(form, status=429)
        try:
            complaint = services.complaint_file_with_evidence(
                consumer=request.user, data=form.filing_data(), files=form.evidence()
            )
        except ValidationError as error:
            add_service_errors(form, error)
            if form.has_error("evidence_files"):
                # A browser never sends a file input back filled in.
                form.add_error(
                    "evidence_files",
                    _("Nothing was filed yet: choose your files again, without the refused one, and send the form."),
                )
            return self.render_form(form)
        except Conflict as error:
            return self.render_form(form, conflict=error, status=409)
        messages.success(
            request,
            _("Your complaint was filed. Its reference is %(reference)s: quote it whenever you contact us.")
            % {"reference": complaint.reference},
        )
        return redirect("complaints:complaint-detail", pk=complaint.pk)

    def render_form(
        self, form: ComplaintFilingForm, *, conflict: Conflict | None = None, status: int = 200
    ) -> HttpResponse:
        # 消费预警 (消费者权益保护法实施条例 Art. 27): the platforms a regulator confirmed unreachable, and in full the
        # one chosen (a re-shown form, or ?platform=<id>), with the payment-channel route first.
        warnings = unreachable_warnings()
        chosen = str(form.data.get("platform", "") if form.is_bound else form.initial.get("platform", ""))
        chosen_warning = next((w for w in warnings if str(w.platform_id) == chosen), None)
        return render(
            request=self.request,
            template_name=self.form_template,
            status=status,
            context={
                "form": form,
                "conflict": conflict,
                "chosen_warning": chosen_warning,
                "unreachable_warnings": [w for w in warnings if w is not chosen_warning],
            },
        )


# --- my complaints -----------------------------------------------------------------------------------

OPEN_FILTER, ALL_FILTER = "open", "all"


def next_due_subquery() -> Subquery:
    """The due time of the complaint's earliest running clock.

    Paused clocks are left out: their due time moves when they resume, so it promises nothing yet.
    """
    running = Deadline.objects.running().filter(complaint=OuterRef("pk"), paused_at__isnull=True).order_by("due_at")
    return Subquery(running.values("due_at")[:1])


class ComplaintListView(LoginRequiredMixin, ListView):
    """ "My complaints". Platform staff and regulators have their own lists and are sent there."""

    template_name = "complaints/list.html"
    context_object_name = "complaints"
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if is_platform_staff(request.user):
                return redirect(PLATFORM_INBOX_PATH)
            if is_regulator(request.user):
                return redirect(REGULATOR_DASHBOARD_PATH)
        return super().dispatch(request, *args, **kwargs)

    def status_filter(self) -> str:
        value = self.request.GET.get("status", OPEN_FILTER)
        return value if value in (OPEN_FILTER, ALL_FILTER, *Status.values) else OPEN_FILTER

    def search(self) -> str:
        return search_term(self.request.GET.get("q"))

    def get_queryset(self) -> QuerySet[Complaint]:
        complaints = complaints_visible_to(self.request.user).select_related("platform")
        complaints = complaints_matching(complaints, self.search(), user=self.request.user)
        chosen = self.status_filter()
        if chosen == OPEN_FILTER:
            complaints = complaints.filter(status__in=OPEN_STATUSES)
        elif chosen != ALL_FILTER:
            complaints = complaints.filter(status=chosen)
        return complaints.annotate(next_due_at=next_due_subquery()).order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["status_filter"] = self.status_filter()
        context["search"] = self.search()
        context["search_form"] = ListSearchForm(self.request.GET)
        context["status_filters"] = [
            (OPEN_FILTER, _("Open")),
            (ALL_FILTER, _("All")),
            *Status.choices,
        ]
        context["has_any_complaint"] = bool(context["complaints"]) or complaints_visible_to(self.request.user).exists()
        return context


# --- detail page: presentation helpers -------------------------------------------------------------

COUNTDOWN_FORMATS = {
    "days": gettext_lazy("{days} d {hours} h"),
    "hours": gettext_lazy("{hours} h {minutes} min"),
    "minutes": gettext_lazy("{minutes} min"),
    "future": gettext_lazy("in {time}"),
    "past": gettext_lazy("overdue by {time}"),
}

CLOCK_STATES = {
    "running": gettext_lazy("Running"),
    "paused": gettext_lazy("Paused"),
    "met": gettext_lazy("Met in time"),
    "late": gettext_lazy("Met late"),
    "breached": gettext_lazy("Missed"),
    # Ended without an answer being due any more: the complaint was withdrawn or closed, or the platform was
    # confirmed unreachable (its own label below).
    "cancelled": gettext_lazy("Stopped"),
}
CANCELLED_BECAUSE = {PLATFORM_UNREACHABLE: gettext_lazy("Stopped: the platform was confirmed unreachable")}

SKIPPED_DAY_REASONS = {
    "weekend": gettext_lazy("weekend"),
    "make-up workday": gettext_lazy("make-up working day"),
    "regulator exception": gettext_lazy("regulator's calendar correction"),
}


def countdown_text(due_at: datetime, now: datetime) -> str:
    """ "in 3 h 20 min" / "overdue by 2 d 1 h"; the same formats drive the live countdown in complaints.js."""
    seconds = (due_at - now).total_seconds()
    days, minutes = divmod(int(abs(seconds) // 60), 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        amount = str(COUNTDOWN_FORMATS["days"]).format(days=days, hours=hours)
    elif hours:
        amount = str(COUNTDOWN_FORMATS["hours"]).format(hours=hours, minutes=minutes)
    else:
        amount = str(COUNTDOWN_FORMATS["minutes"]).format(minutes=minutes)
    return str(COUNTDOWN_FORMATS["future" if seconds >= 0 else "past"]).format(time=amount)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass
class ClockRow:
    clock: Deadline
    state_label: str
    countdown: str
    is_running: bool
    start: datetime | None
    counting_from: date | None
    length: int | None
    unit: str
    skipped: list[tuple[date, str]]
    pauses: list[tuple[datetime, datetime]]
    # The rule a regulator's clock follows (empty for the platform-side clocks, which are the portal's own).
    citation: str = ""
    edition_title: str = ""
    counts_whole_days: bool = False
    last_day: date | None = None
    paused_by: str = ""
    extension: dict | None = None


def clock_citation(explanation: dict) -> str:
    """The article a clock comes from, for the reader: the Chinese citation, with the English rendering beside
    it for a reader of English."""
    citation = explanation.get("citation", "")
    if citation and explanation.get("citation_en") and not _reads_chinese():
        return f"{explanation['citation_en']} ({citation})"
    return citation


def clock_row(clock: Deadline, now: datetime) -> ClockRow:
    """A clock with its countdown and its stored explanation (how the due time was computed) made readable."""
    explanation = clock.explanation or {}
    is_running = clock.state == "running"
    return ClockRow(
        clock=clock,
        state_label=str(CANCELLED_BECAUSE.get(clock.cancelled_reason) or CLOCK_STATES[clock.state]),
        countdown=countdown_text(clock.due_at, now) if is_running else "",
        is_running=is_running,
        start=_moment(explanation.get("start")),
        counting_from=_day(explanation.get("counting_from")),
        length=explanation.get("working_days", explanation.get("days")),
        unit=explanation.get("unit", ""),
        skipped=[
            (_day(day["date"]), SKIPPED_DAY_REASONS.get(day["reason"], day["reason"]))
            for day in explanation.get("skipped", [])
        ],
        pauses=[(_moment(pause["from"]), _moment(pause["to"])) for pause in explanation.get("pauses", [])],
        citation=clock_citation(explanation),
        edition_title=explanation.get("edition_title" if _reads_chinese() else "edition_title_en", ""),
        counts_whole_days=explanation.get("counting") == ClockCounting.ARTICLE_45,
        last_day=_day(explanation.get("last_day")),
        paused_by=explanation.get("paused_by", ""),
        extension=explanation.get("extension"),
    )


def _reads_chinese() -> bool:
    return (get_language() or "").startswith("zh")


def actor_display(event: Event) -> str:
    """Who acted, by role; ``actor_label`` is "consumer:<id>", "platform:<id>:<name>", "regulator:<name>"."""
    role = event.actor_label.split(":", 1)[0]
    return str(
        {"consumer": _("Consumer"), "platform": _("Platform"), "regulator": _("Regulator")}.get(
            role, _("System (automatic)")
        )
    )


@dataclass
class TimelineEntry:
    event: Event
    actor: str
    summary: str
    link: str | None = None


# --- detail page ----------------------------------------------------------------------------------------


def complaint_detail_queryset(user, *, with_notes: bool) -> QuerySet[Complaint]:
    """Everything the detail page shows, in a fixed number of queries whatever the number of rows."""
    related = [
        Prefetch("deadlines", queryset=Deadline.objects.order_by("started_at", "pk")),
        Prefetch("responses", queryset=Response.objects.order_by("created_at", "pk")),
        Prefetch("events", queryset=Event.objects.order_by("sequence")),
        Prefetch("evidence", queryset=Evidence.objects.order_by("received_at", "pk")),
        Prefetch("messages", queryset=thread_messages()),
    ]
    if with_notes:
        related.append(Prefetch("internal_notes", queryset=InternalNote.objects.select_related("author")))
    return complaints_visible_to(user).select_related("platform", "consumer", "follow_up").prefetch_related(*related)


@require_safe  # a page and its files are read, never posted to
@login_required
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_complaint_detail(request, pk)


def render_complaint_detail(
    request: HttpRequest, pk: int, *, thread_form: MessageForm | None = None, status_code: int = 200
) -> HttpResponse:
    """The complaint page; ``thread_form`` is a message form sent back with its errors (and ``status_code``)."""
    user = request.user
    with_notes = may_read_internal_notes(user)
    complaint = get_object_or_404(complaint_detail_queryset(user, with_notes=with_notes), pk=pk)
    is_owner = owns_complaint(user, complaint)
    if is_regulator(user):
        log_access(request, action="personal_data_read", obj=complaint, detail=complaint.reference)

    now = timezone.now()
    events = list(complaint.events.all())
    status = complaint.status
    context = {
        "complaint": complaint,
        "is_owner": is_owner,
        "shows_contact": not is_owner,
        "clocks": [clock_row(clock, now) for clock in complaint.deadlines.all()],
        "countdown_formats": {name: str(text) for name, text in COUNTDOWN_FORMATS.items()},
        "responses": complaint.responses.all(),
        "timeline": [
            TimelineEntry(
                event, actor_display(event), event_summary(event, complaint.platform), event_link(event, user)
            )
            for event in events
        ],
        "chain_break": verify_chain(complaint, events=events),
        "evidence": complaint.evidence.all(),
        "internal_notes": complaint.internal_notes.all() if with_notes else None,
        "platform_question": next(
            (e.data.get("message") for e in reversed(events) if e.kind == EventKind.INFO_REQUESTED), None
        ),
        "can_add_evidence": is_owner and complaint.is_open,
        "can_withdraw": is_owner and complaint.is_open,
        "can_accept_or_dispute": is_owner and status == Status.AWAITING_CONSUMER,
        "can_escalate": is_owner and transitions.escalation_refusal(complaint, trigger=Trigger.CONSUMER) is None,
        "can_supply_info": is_owner and status == Status.INFO_REQUESTED,
        "can_answer": is_platform_staff(user) and status in PLATFORM_TURN_STATUSES,
        # The pack for the payment channel (complaints/chargeback.py): the consumer's, or a regulator's for them.
        "can_build_chargeback": is_owner or acts_as_regulator(user),
        "open_follow_up": open_follow_up(complaint, now) if is_owner else None,
        "evidence_form": EvidenceUploadForm(),
        "withdraw_form": WithdrawForm(),
        "accept_form": AcceptForm(),
        "dispute_form": DisputeForm(),
        "escalate_form": EscalateForm(),
        "supply_info_form": SupplyInfoForm(),
        "thread": complaint.messages.all(),
        "can_post_message": may_post_in_thread(user, complaint) and complaint.is_open,
        "thread_form": thread_form or MessageForm(),
        "thread_action": reverse("complaints:complaint-message-post", args=[complaint.pk]),
    }
    return render(request, "complaints/detail.html", context, status=status_code)


def open_follow_up(complaint: Complaint, now: datetime) -> FollowUp | None:
    """The complaint's follow-up survey (Order 121 Art. 26) while it waits for an answer (joined, no query)."""
    follow_up = getattr(complaint, "follow_up", None)
    return follow_up if follow_up is not None and follow_up.is_open_at(now) else None


# --- the consumer's actions ------------------------------------------------------------------------


class ComplaintActionView(LoginRequiredMixin, View):
    """POST one form, call one service, go back to the detail page with the outcome as a message.

    Refused moves (a complaint no longer in a state that allows it) are explained, never answered with a 500.
    """

    form_class: type
    success_message: str

    def perform(self, complaint_id: int, form) -> None:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = self.form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                self.perform(pk, form)
            except (ValidationError, IllegalTransition, Conflict) as error:
                self.error(error_messages(error))
            else:
                messages.success(request, self.success_message)
        else:
            self.error([message for errors in form.errors.values() for message in errors])
        return redirect("complaints:complaint-detail", pk=pk)

    def error(self, problems: list[str]) -> None:
        messages.error(self.request, " ".join(problems))


def error_messages(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return error.messages
    return [error.message]


class WithdrawView(ComplaintActionView):
    form_class = WithdrawForm
    success_message = gettext_lazy("You withdrew the complaint. Its clocks are stopped.")

    def perform(self, complaint_id, form):
        services.complaint_withdraw(complaint_id=complaint_id, by=self.request.user, reason=form.cleaned_data["reason"])


class AcceptView(ComplaintActionView):
    form_class = AcceptForm
    success_message = gettext_lazy("Thank you. The complaint is resolved.")

    def perform(self, complaint_id, form):
        services.complaint_accept(
            complaint_id=complaint_id,
            by=self.request.user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )


class DisputeView(ComplaintActionView):
    form_class = DisputeForm
    success_message = gettext_lazy("Your objection was sent to the platform, which must answer again.")

    def perform(self, complaint_id, form):
        services.complaint_dispute(complaint_id=complaint_id, by=self.request.user, reason=form.cleaned_data["reason"])


class EscalateView(ComplaintActionView):
    form_class = EscalateForm
    success_message = gettext_lazy(
        "The complaint is now with the market regulator, who decides within 7 working days whether to take it up."
    )

    def perform(self, complaint_id, form):
        services.complaint_escalate(complaint_id=complaint_id, by=self.request.user, reason=form.cleaned_data["reason"])


class SupplyInfoView(ComplaintActionView):
    form_class = SupplyInfoForm
    success_message = gettext_lazy("Your answer was sent; the platform's clocks run again.")

    def perform(self, complaint_id, form):
        services.complaint_supply_info(
            complaint_id=complaint_id, by=self.request.user, message=form.cleaned_data["message"]
        )


class PublicationView(ComplaintActionView):
    form_class = PublicationForm
    success_message = gettext_lazy("Your publication choice was saved.")

    def perform(self, complaint_id, form):
        services.complaint_set_publication(
            complaint_id=complaint_id, by=self.request.user, consent=form.cleaned_data["consent"]
        )


class EvidenceUploadView(ComplaintActionView):
    """The add-evidence form; with ``Accept: application/json`` (the page's uploader) it answers in JSON."""

    form_class = EvidenceUploadForm
    success_message = gettext_lazy("Evidence stored. Its SHA-256 fingerprints are now part of the timeline.")

    def wants_json(self) -> bool:
        return "application/json" in self.request.headers.get("Accept", "")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.wants_json():
            return super().post(request, pk)
        form = self.form_class(request.POST, request.FILES)
        if not form.is_valid():
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        try:
            stored = services.complaint_add_evidence(complaint_id=pk, by=request.user, files=form.evidence())
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                return JsonResponse({"errors": error.message_dict}, status=400)
            return JsonResponse({"errors": {"evidence_files": error.messages}}, status=400)
        except (IllegalTransition, Conflict) as error:
            return JsonResponse({"errors": {"__all__": [error.message]}}, status=error.status_code)
        messages.success(request, self.success_message)
        return JsonResponse({"evidence": [evidence_json(item) for item in stored]}, status=201)

    def perform(self, complaint_id, form):
        services.complaint_add_evidence(complaint_id=complaint_id, by=self.request.user, files=form.evidence())


def evidence_json(evidence: Evidence) -> dict:
    return {
        "id": evidence.pk,
        "kind": evidence.kind,
        "file_name": evidence.original_name,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "content_type": evidence.content_type,
        "received_at": evidence.received_at.isoformat(),
        "download_url": reverse("complaints:complaint-evidence-download", args=[evidence.pk]),
    }


# --- evidence files ----------------------------------------------------------------------------------


@require_safe  # a page and its files are read, never posted to
@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = get_object_or_404(evidence_visible_to(request.user).select_related("complaint"), pk=pk)
    return evidence_download_response(request, evidence)


@require_safe  # a page and its files are read, never posted to
@login_required
def evidence_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    # Files without a thumbnail answer 404 rather than the original: a page of thumbnails is not a download.
    evidence = get_object_or_404(evidence_visible_to(request.user).exclude(thumbnail=""), pk=pk)
    return evidence_download_response(request, evidence, thumbnail=True)
