"""Penalty pages: decisions for regulators and the platform concerned; issuance for regulators."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from complaints.selectors import complaints_visible_to
from portal.access import acts_as_regulator, may_see_penalties

from .forms_penalties import PenaltyIssueForm
from .penalties import (
    penalties_for_display,
    penalties_visible_to,
    penalty_issue,
    penalty_notice_filename,
    penalty_notice_pdf,
)
from .penalty_drafts import facts_from_complaints, grouped_platform_choices, not_upheld, penalty_platforms_for


class PenaltyReaderMixin(LoginRequiredMixin):
    """Regulators see every decision, platform staff their own platform's; a consumer is refused (403)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_see_penalties(request.user):
            raise PermissionDenied(_("Only regulators and platform staff can see penalty decisions."))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return penalties_for_display(penalties_visible_to(self.request.user))


class PenaltyListView(PenaltyReaderMixin, ListView):
    template_name = "regulation/penalties/list.html"
    context_object_name = "penalties"
    paginate_by = 25


class PenaltyDetailView(PenaltyReaderMixin, DetailView):
    template_name = "regulation/penalties/detail.html"
    context_object_name = "penalty"


class PenaltyNoticeView(PenaltyReaderMixin, View):
    def get(self, request, pk: int):
        penalty = get_object_or_404(self.get_queryset(), pk=pk)
        response = HttpResponse(penalty_notice_pdf(penalty), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{penalty_notice_filename(penalty)}"'
        return response


def _selected_complaint_ids(raw: str) -> list[int]:
    return [int(part) for part in raw.split(",") if part.strip().isdigit()]


class PenaltyIssueView(LoginRequiredMixin, FormView):
    """Issue a decision, prefilled from the complaints chosen in the admin (``?complaints=1,2,3``)."""

    template_name = "regulation/penalties/new.html"
    form_class = PenaltyIssueForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not acts_as_regulator(request.user):
            raise PermissionDenied(_("Only regulators can issue penalties."))
        return super().dispatch(request, *args, **kwargs)

    def cited_complaints(self):
        ids = _selected_complaint_ids(self.request.GET.get("complaints", ""))
        return complaints_visible_to(self.request.user).filter(pk__in=ids).select_related("platform").order_by("pk")

    @cached_property
    def cited(self) -> list:
        return list(self.cited_complaints())

    @cached_property
    def platforms(self):
        return penalty_platforms_for(self.request.user)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "cited_complaints": self.cited_complaints(),
            "platforms": self.platforms,
            "platform_choices": grouped_platform_choices(self.request.user, self.platforms),
        }

    def get_initial(self):
        """Prefilled from the cited complaints (``?complaints=1,2``): their platform when they share one, and a
        draft of the facts; or from a platform named by the dashboard's offenders (``?platform=<slug>``)."""
        complaints = self.cited
        platforms = {complaint.platform for complaint in complaints if complaint.platform_id}
        initial = {"complaints": complaints}
        if len(platforms) == 1:
            initial["platform"] = platforms.pop().slug
        elif not complaints and self.request.GET.get("platform"):
            initial["platform"] = self.request.GET["platform"]
        if complaints:
            initial["facts"] = facts_from_complaints(complaints)
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(not_upheld=not_upheld(self.cited), **kwargs)

    def form_valid(self, form: PenaltyIssueForm):
        data = form.cleaned_data
        try:
            penalty = penalty_issue(
                by=self.request.user, platform=data["platform"], kind=data["kind"],
                legal_basis=data["legal_basis"], facts=data["facts"], decision=data["decision"],
                complaint_ids=[complaint.pk for complaint in data["complaints"]],
                fine_amount=data["fine_amount"], rectification_deadline=data["rectification_deadline"],
                decided_on=data["decided_on"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Penalty decision %(number)s issued.") % {"number": penalty.number})
        return redirect("regulation:penalty-detail", pk=penalty.pk)
