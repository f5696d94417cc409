"""The platform's pages: the complaint inbox and the answer page. They parse input and call services."""

from datetime import timedelta
from math import ceil

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View

from portal.errors import DomainError
from portal.web import PlatformStaffRequiredMixin, add_service_errors

from . import services
from .forms_platform import (
    AssignForm,
    BulkAssignForm,
    InboxFilterForm,
    InfoRequestForm,
    NoteForm,
    PlatformEvidenceForm,
    RespondForm,
)
from .forms_thread import MessageForm
from .models import PLATFORM_TURN_STATUSES, Complaint, Status
from .search import complaints_matching
from .selectors import complaints_visible_to, messages_visible_to

INBOX_PAGE_SIZE = 25
DUE_SOON_WINDOW = timedelta(hours=24)
# A search counts its matches up to this many: beyond, the page says "more than …" (SearchPaginator).
SEARCH_COUNT_LIMIT = 500


def complaint_page_url(complaint: Complaint) -> str:
    """The shared complaint page (consumer, platform and regulator alike)."""
    return f"/complaints/{complaint.pk}/"


# --- inbox ---------------------------------------------------------------------------------------------


def inbox_complaints(user, filters: dict, now) -> QuerySet[Complaint]:
    """The platform's complaints, most urgent first, with ``due_state`` (how urgent) for colouring the rows.

    The order reads the stored ``platform_due_at``: the index ``complaint_platform_inbox`` returns a page
    without looking at any other complaint of the platform.
    """
    complaints = (
        complaints_visible_to(user)
        .select_related("assigned_to")
        .annotate(due_state=Case(
            When(Q(is_overdue=True) | Q(platform_due_at__lte=now), then=Value("overdue")),
            When(platform_due_at__lte=now + DUE_SOON_WINDOW, then=Value("soon")),
            When(platform_due_at__isnull=False, then=Value("ok")),
            default=Value(""),
            output_field=CharField(),
        ))
    )
    complaints = complaints_matching(complaints, filters.get("q"), user=user)
    if filters.get("status"):
        complaints = complaints.filter(status=filters["status"])
    if filters.get("problem"):
        complaints = complaints.filter(problem=filters["problem"])
    if filters.get("due") == InboxFilterForm.DUE_SOON:
        complaints = complaints.filter(due_state="soon")
    elif filters.get("due") == InboxFilterForm.OVERDUE:
        complaints = complaints.filter(due_state="overdue")
    if filters.get("assigned") == InboxFilterForm.MINE:
        complaints = complaints.filter(assigned_to=user)
    elif filters.get("assigned") == InboxFilterForm.UNASSIGNED:
        complaints = complaints.filter(assigned_to__isnull=True)
    if filters.get("sort") == InboxFilterForm.SORT_NEWEST:
        return complaints.order_by("-created_at", "-pk")
    # Complaints without a running platform clock come last, newest first: the same order as the API's.
    return complaints.order_by(F("platform_due_at").asc(nulls_last=True), "-pk")


class SearchPaginator(Paginator):
    """Pages of a searched inbox, counting at most ``SEARCH_COUNT_LIMIT`` + 1 matches.

    Counting every match of a common word means visiting each matching complaint (10 000 of the busiest
    platform's 91 000 for a product name: hundreds of milliseconds); the first few hundred, in the inbox's own
    index order, take a few. Nobody pages through more than that: the page says there are more, and the
    download has them all.
    """

    @cached_property
    def count(self) -> int:
        return self.object_list[: SEARCH_COUNT_LIMIT + 1].count()

    @property
    def count_is_capped(self) -> bool:
        return self.count > SEARCH_COUNT_LIMIT

    @cached_property
    def num_pages(self) -> int:
        # The pages hold the first SEARCH_COUNT_LIMIT matches; the one counted beyond only says there are more.
        if self.count_is_capped:
            return ceil(SEARCH_COUNT_LIMIT / self.per_page)
        return Paginator.num_pages.func(self)


class InboxView(PlatformStaffRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        filter_form = InboxFilterForm(request.GET or None)
        filters = filter_form.cleaned_data if filter_form.is_valid() else {}
        paginator_class = SearchPaginator if filters.get("q") else Paginator
        page = paginator_class(inbox_complaints(request.user, filters, timezone.now()), INBOX_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return render(request, "complaints/platform/inbox.html", {
            "filter_form": filter_form,
            "sorted_by_due": filters.get("sort") != InboxFilterForm.SORT_NEWEST,
            "search": filters.get("q", ""),
            "search_count_limit": SEARCH_COUNT_LIMIT,
            "page": page,
            "assign_form": AssignForm(platform_id=request.user.platform_id, auto_id="bulk_%s"),
        })


class InboxAssignView(PlatformStaffRequiredMixin, View):
    """Bulk assignment from the inbox; goes back to the inbox page it came from."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulkAssignForm(request.POST, user=request.user)
        if form.is_valid():
            assignee = form.cleaned_data["assignee"]
            complaint_ids = [c.pk for c in form.cleaned_data["complaints"]]
            count = services.complaint_assign(complaint_ids=complaint_ids, by=request.user, assignee=assignee)
            if assignee is None:
                text = ngettext("%(count)d complaint unassigned.", "%(count)d complaints unassigned.", count)
            else:
                text = ngettext("%(count)d complaint assigned to %(name)s.",
                                "%(count)d complaints assigned to %(name)s.", count)
            messages.success(request, text % {"count": count, "name": assignee})
        else:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            back = reverse("complaints:inbox-list")
        return redirect(back)


# --- the answer page -----------------------------------------------------------------------------------


class RespondPageView(PlatformStaffRequiredMixin, View):
    """The answer page. The actions below post to their own URLs and re-render it on an error."""

    template_name = "complaints/platform/respond.html"

    def get_complaint(self) -> Complaint:
        return get_object_or_404(
            complaints_visible_to(self.request.user).select_related("platform", "consumer", "assigned_to"),
            pk=self.kwargs["pk"],
        )

    def render_page(self, complaint: Complaint, *, status: int = 200, error: str | None = None,
                    **bound_forms: Form) -> HttpResponse:
        forms = {
            "respond_form": RespondForm(),
            "evidence_form": PlatformEvidenceForm(),
            "info_form": InfoRequestForm(),
            "note_form": NoteForm(),
            "thread_form": MessageForm(),
            "assign_form": AssignForm(platform_id=self.request.user.platform_id,
                                      initial={"assignee": complaint.assigned_to_id}),
            **bound_forms,
        }
        context = {
            "complaint": complaint,
            "deadlines": complaint.deadlines.order_by("due_at"),
            "responses": complaint.responses.select_related("responder"),
            "evidence": complaint.evidence.all(),
            "notes": complaint.internal_notes.select_related("author"),
            "can_answer": complaint.status in PLATFORM_TURN_STATUSES,
            "can_request_info": complaint.status == Status.AWAITING_PLATFORM,
            "thread": messages_visible_to(self.request.user, complaint),
            "can_post_message": complaint.is_open,
            "thread_action": reverse("complaints:respond-message", args=[complaint.pk]),
            "error": error,
            **forms,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_page(self.get_complaint())


class ComplaintActionView(RespondPageView):
    """One form of the answer page: validate, call the service, redirect; or show the page with the errors."""

    http_method_names = ["post"]
    form_class: type[Form]
    form_name: str
    success_message = ""

    def make_form(self, complaint: Complaint) -> Form:
        return self.form_class(self.request.POST, self.request.FILES)

    def perform(self, complaint: Complaint, form: Form) -> None:
        raise NotImplementedError

    def success_url(self, complaint: Complaint) -> str:
        return reverse("complaints:respond-complaint", args=[complaint.pk])

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        complaint = self.get_complaint()
        form = self.make_form(complaint)
        if form.is_valid():
            try:
                self.perform(complaint, form)
            except ValidationError as error:
                add_service_errors(form, error)
            except DomainError as error:
                complaint.refresh_from_db()
                return self.render_page(complaint, status=error.status_code, error=error.message,
                                        **{self.form_name: form})
            else:
                messages.success(request, self.success_message)
                return redirect(self.success_url(complaint))
        return self.render_page(complaint, **{self.form_name: form})


class RespondView(ComplaintActionView):
    """The answer page itself (GET) and the answer (POST)."""

    http_method_names = ["get", "post"]
    form_class = RespondForm
    form_name = "respond_form"
    success_message = _("Your answer was sent to the consumer.")

    def perform(self, complaint: Complaint, form: RespondForm) -> None:
        services.complaint_respond(
            complaint_id=complaint.pk, by=self.request.user, outcome=form.cleaned_data["outcome"],
            message=form.cleaned_data["message"], **form.service_fields(),
        )

    def success_url(self, complaint: Complaint) -> str:
        return complaint_page_url(complaint)


class EvidenceUploadView(ComplaintActionView):
    form_class = PlatformEvidenceForm
    form_name = "evidence_form"
    success_message = _("The evidence was added to the complaint file.")

    def perform(self, complaint: Complaint, form: PlatformEvidenceForm) -> None:
        services.complaint_add_evidence(
            complaint_id=complaint.pk, by=self.request.user,
            files=[(form.cleaned_data["file"], form.cleaned_data["kind"])],
        )


class RequestInfoView(ComplaintActionView):
    form_class = InfoRequestForm
    form_name = "info_form"
    success_message = _("Your question was sent to the consumer; the resolution deadlines are paused.")

    def perform(self, complaint: Complaint, form: InfoRequestForm) -> None:
        services.complaint_request_info(complaint_id=complaint.pk, by=self.request.user,
                                        message=form.cleaned_data["message"])

    def success_url(self, complaint: Complaint) -> str:
        return complaint_page_url(complaint)


class NoteView(ComplaintActionView):
    form_class = NoteForm
    form_name = "note_form"
    success_message = _("Note saved.")

    def perform(self, complaint: Complaint, form: NoteForm) -> None:
        services.complaint_add_note(complaint_id=complaint.pk, by=self.request.user,
                                    text=form.cleaned_data["text"])


class AssignView(ComplaintActionView):
    form_name = "assign_form"
    success_message = _("Assignment saved.")

    def make_form(self, complaint: Complaint) -> AssignForm:
        return AssignForm(self.request.POST, platform_id=self.request.user.platform_id)

    def perform(self, complaint: Complaint, form: AssignForm) -> None:
        services.complaint_assign(complaint_ids=[complaint.pk], by=self.request.user,
                                  assignee=form.cleaned_data["assignee"])
