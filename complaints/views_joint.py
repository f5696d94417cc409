"""Joint complaints on the web (SAMR Order 121 Art. 12): consumers start one from their complaint, join with a
code and their consent, elect representatives, consent to a settlement or claim change; the platform answers it
once. Views parse the form and call one service in complaints/joint.py; refusals come back as messages."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_safe

from portal.access import is_consumer, is_platform_staff
from portal.errors import DomainError
from portal.web import PlatformStaffRequiredMixin, add_service_errors

from . import joint as joint_services
from .forms_platform import RespondForm
from .models import OPEN_STATUSES, ProposalKind, ProposalStatus
from .selectors import complaints_visible_to
from .views_consumer import ConsumerRequiredMixin, error_messages


class JointCreateForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    summary = forms.CharField(
        label=gettext_lazy("The dispute the members share"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consent = forms.BooleanField(label="", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = joint_services.join_consent_text()


class JointJoinForm(forms.Form):
    join_code = forms.CharField(label=gettext_lazy("Join code"), max_length=20)
    complaint = forms.ChoiceField(label=gettext_lazy("Your complaint"))
    consent = forms.BooleanField(label="", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        own = complaints_visible_to(user).filter(status__in=OPEN_STATUSES, platform__isnull=False)
        self.fields["complaint"].choices = [
            (c.pk, f"{c.reference} · {c.platform.name} · {c.get_problem_display()}")
            for c in own.select_related("platform")
        ]
        self.fields["consent"].label = joint_services.join_consent_text()


class CandidatesForm(forms.Form):
    candidates = forms.TypedMultipleChoiceField(label=gettext_lazy("Representatives"), coerce=int)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidates"].choices = list(choices)


class MessageForm(forms.Form):
    message = forms.CharField(label=gettext_lazy("Statement for all members"), max_length=5000, widget=forms.Textarea)


class ProposalForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Proposal"), choices=ProposalKind.choices)
    text = forms.CharField(label=gettext_lazy("Terms"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ConsentForm(forms.Form):
    consents = forms.TypedChoiceField(
        choices=[("yes", "yes"), ("no", "no")], coerce=lambda value: value == "yes", empty_value=None
    )


def _joint_form_error(form, error: Exception) -> None:
    if isinstance(error, ValidationError):
        add_service_errors(form, error)
    else:
        form.add_error(None, error.message)


class JointCreateView(ConsumerRequiredMixin, View):
    template_name = "complaints/joint/new.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_form(request, pk, JointCreateForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = JointCreateForm(request.POST)
        if form.is_valid():
            try:
                joint = joint_services.joint_create(by=request.user, complaint_id=pk, **form.cleaned_data)
            except (ValidationError, DomainError) as error:
                _joint_form_error(form, error)
            else:
                messages.success(request, _("Joint complaint started. Share its join code with the other consumers."))
                return redirect("complaints:joint-detail", pk=joint.pk)
        return self.render_form(request, pk, form, status=400)

    def render_form(self, request, pk, form, status=200) -> HttpResponse:
        complaint = complaints_visible_to(request.user).filter(pk=pk).first()
        if complaint is None:
            raise Http404(_("No such complaint."))
        return render(request, self.template_name, {"form": form, "complaint": complaint}, status=status)


class JointJoinView(ConsumerRequiredMixin, View):
    template_name = "complaints/joint/join.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = JointJoinForm(user=request.user, initial={"join_code": request.GET.get("code", "")})
        return self.render_page(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = JointJoinForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                membership = joint_services.joint_join(
                    by=request.user,
                    join_code=form.cleaned_data["join_code"],
                    complaint_id=form.cleaned_data["complaint"],
                    consent=form.cleaned_data["consent"],
                )
            except (ValidationError, DomainError) as error:
                _joint_form_error(form, error)
            else:
                messages.success(request, _("You joined the joint complaint."))
                return redirect("complaints:joint-detail", pk=membership.joint_id)
        return self.render_page(request, form, status=400)

    def render_page(self, request, form, status=200) -> HttpResponse:
        mine = joint_services.joint_with_counts(joint_services.joint_complaints_visible_to(request.user))
        context = {"form": form, "my_joints": mine.select_related("platform").order_by("-created_at")}
        return render(request, self.template_name, context, status=status)


@require_safe
@login_required
def joint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The joint complaint as its members and its platform see it: counts and representatives' names only."""
    joint = joint_services.joint_get_for(request.user, pk)
    mine = joint_services.my_membership(request.user, joint)
    members = list(joint_services.active_members(joint).order_by("pk"))
    names = joint_services.representatives_by_member(joint)
    member_rows = [
        (number, m, names.get(m.pk), mine is not None and m.pk == mine.pk) for number, m in enumerate(members, 1)
    ]
    proposals = []
    for proposal in joint.proposals.prefetch_related("consents"):
        consents = {c.membership_id: c.consents for c in proposal.consents.all()}
        proposals.append(
            {
                "proposal": proposal,
                "given": sum(1 for m in members if consents.get(m.pk) is True),
                "mine": consents.get(mine.pk) if mine else None,
                "is_open": proposal.status == ProposalStatus.OPEN,
            }
        )
    context = {
        "joint": joint,
        "mine": mine,
        "member_count": len(members),
        "representatives": list(names.values()),
        "member_rows": member_rows if mine else [],
        "proposals": proposals,
        "join_url": request.build_absolute_uri(f"/complaints/joint/join/?code={joint.join_code}") if mine else "",
        "is_platform": is_platform_staff(request.user),
        "member_complaints": [m.complaint for m in joint_services.active_members(joint).select_related("complaint")]
        if is_platform_staff(request.user)
        else [],
        "candidates_form": CandidatesForm(choices=[(m.pk, number) for number, m, *_rest in member_rows]),
        "message_form": MessageForm(),
        "proposal_form": ProposalForm(),
    }
    return render(request, "complaints/joint/detail.html", context)


class JointActionView(LoginRequiredMixin, View):
    """POST one form, call one service, back to the joint complaint with the outcome (or the refusal) as a message."""

    form_class: type = forms.Form
    success_message = ""

    def joint_id(self, pk: int) -> int:
        return joint_services.joint_get_for(self.request.user, pk).pk

    def perform(self, pk: int, form) -> None:
        raise NotImplementedError

    def make_form(self, pk: int):
        return self.form_class(self.request.POST)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not is_consumer(request.user):
            raise PermissionDenied(_("Only consumers take part in joint complaints."))
        joint_id = self.joint_id(pk)
        form = self.make_form(pk)
        if form.is_valid():
            try:
                self.perform(pk, form)
            except (ValidationError, DomainError) as error:
                messages.error(request, " ".join(error_messages(error)))
            else:
                messages.success(request, self.success_message)
        else:
            messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("complaints:joint-detail", pk=joint_id)


class JointElectView(JointActionView):
    form_class = CandidatesForm
    success_message = gettext_lazy("Your written choice of representatives is recorded.")

    def make_form(self, pk):
        joint = joint_services.joint_get_for(self.request.user, pk)
        members = joint_services.active_members(joint).values_list("pk", flat=True)
        return CandidatesForm(self.request.POST, choices=[(m, m) for m in members])

    def perform(self, pk, form):
        joint_services.joint_choose_representatives(
            by=self.request.user, joint_id=pk, candidate_ids=form.cleaned_data["candidates"]
        )


class JointRepresentativeActView(JointActionView):
    form_class = MessageForm
    success_message = gettext_lazy("Your statement is recorded on every member's complaint.")

    def perform(self, pk, form):
        joint_services.joint_representative_act(by=self.request.user, joint_id=pk, message=form.cleaned_data["message"])


class JointProposeView(JointActionView):
    form_class = ProposalForm
    success_message = gettext_lazy("Proposal sent: it takes effect only once every member has consented.")

    def perform(self, pk, form):
        joint_services.joint_propose(by=self.request.user, joint_id=pk, **form.cleaned_data)


class JointLeaveView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not is_consumer(request.user):
            raise PermissionDenied(_("Only consumers take part in joint complaints."))
        joint_services.joint_leave(by=request.user, joint_id=pk)
        messages.success(request, _("You left the joint complaint; your complaint goes on alone."))
        return redirect("complaints:complaint-list")


class ProposalActionView(JointActionView):
    """The URL names the proposal; the page to go back to is its joint complaint."""

    def joint_id(self, pk: int) -> int:
        return joint_services.proposal_get_for(self.request.user, pk).joint_id


class JointConsentView(ProposalActionView):
    form_class = ConsentForm
    success_message = gettext_lazy("Your answer to the proposal is recorded on your complaint.")

    def perform(self, pk, form):
        joint_services.joint_consent(by=self.request.user, proposal_id=pk, consents=form.cleaned_data["consents"])


class JointAdoptView(ProposalActionView):
    success_message = gettext_lazy("The proposal is adopted with every member's consent.")

    def perform(self, pk, form):
        joint_services.joint_proposal_adopt(by=self.request.user, proposal_id=pk)


# --- the platform --------------------------------------------------------------------------------------


class PlatformJointListView(PlatformStaffRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        joints = joint_services.joint_with_counts(
            joint_services.joint_complaints_visible_to(request.user).select_related("platform")
        ).order_by("-created_at")
        return render(request, "complaints/joint/platform_list.html", {"joints": joints[:200]})


class PlatformJointAnswerView(PlatformStaffRequiredMixin, View):
    """One answer for every member of the joint complaint (the same rules as a single answer)."""

    template_name = "complaints/joint/answer.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_page(request, pk, RespondForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = RespondForm(request.POST)
        if form.is_valid():
            try:
                responses = joint_services.joint_answer(
                    by=request.user,
                    joint_id=pk,
                    outcome=form.cleaned_data["outcome"],
                    message=form.cleaned_data["message"],
                    **form.service_fields(),
                )
            except (ValidationError, DomainError) as error:
                _joint_form_error(form, error)
            else:
                messages.success(
                    request, _("Your answer was sent to the %(count)d members.") % {"count": len(responses)}
                )
                return redirect("complaints:joint-detail", pk=pk)
        return self.render_page(request, pk, form, status=400)

    def render_page(self, request, pk, form, status=200) -> HttpResponse:
        joint = joint_services.joint_get_for(request.user, pk)
        complaints = [m.complaint for m in joint_services.active_members(joint).select_related("complaint")]
        context = {"joint": joint, "respond_form": form, "member_complaints": complaints}
        return render(request, self.template_name, context, status=status)
