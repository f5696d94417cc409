"""Regulators' admin: the case desk's moves on complaints, penalty decisions, notices and material requests.

The complaints app registers a read-only audit view of complaints (``complaints.admin.ComplaintAdmin``) and
may not import this app; the desk re-registers ``Complaint`` with a subclass that adds its moves as actions.
Each action shows a form for what the move needs (ground, reason, deadline…), then calls the same service as
the API, once per selected complaint.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from complaints.models import Complaint
from complaints.selectors import complaints_visible_to
from portal.access import acts_as_regulator
from portal.admin import ReadOnlyAdminMixin
from portal.errors import DomainError

from . import desk, forms_desk
from .models import MaterialRequest, Notice, Penalty, PenaltyStatus
from .notices import notices_visible_to
from .penalties import PENALTY_TRANSITIONS, penalties_visible_to, penalty_set_status


class PenaltyStatusForm(forms.ModelForm):
    """The one thing a regulator changes on an issued decision: its status, through ``penalty_set_status``."""

    status_note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Penalty
        fields = ("status",)

    def clean_status(self):
        status = self.cleaned_data["status"]
        current = self.instance.status
        if status != current and status not in PENALTY_TRANSITIONS.get(current, ()):
            raise ValidationError(
                _("A “%(current)s” decision cannot become “%(wanted)s”.")
                % {"current": self.instance.get_status_display(), "wanted": PenaltyStatus(status).label}
            )
        return status


@admin.register(Penalty)
class PenaltyAdmin(admin.ModelAdmin):
    list_display = ("number", "platform", "office", "kind", "fine_amount", "decided_on", "appeal_deadline", "status")
    list_filter = ("status", "kind", "year", ("office", admin.RelatedOnlyFieldListFilter))
    search_fields = ["=number", "platform__name", "=platform__slug"]
    list_select_related = ("platform", "office")
    date_hierarchy = "decided_on"
    form = PenaltyStatusForm
    readonly_fields = ("number", "platform", "office", "kind", "fine_amount", "rectification_deadline", "legal_basis",
                       "facts", "decision", "cited_complaints", "decided_on", "appeal_deadline", "issued_by",
                       "status_changed_at", "created_at")
    fields = ("number", "platform", "office", "kind", "fine_amount", "rectification_deadline", "decided_on",
              "appeal_deadline", "legal_basis", "facts", "decision", "cited_complaints", "issued_by",
              "status", "status_note", "status_changed_at", "created_at")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a decision is corrected by appeal (overturned), never erased

    def add_view(self, request, form_url="", extra_context=None):
        # Issuing takes the next official number and cites complaints: the issuance page does it through
        # ``penalty_issue``; the admin never types a number or saves a decision itself.
        if not self.has_add_permission(request):
            return super().add_view(request, form_url, extra_context)
        return redirect("regulation:penalty-new")

    def get_queryset(self, request):
        # The same scope as the pages and the API: the decisions of the regulator's office and those below it;
        # another office's decision is "not found" here too.
        return penalties_visible_to(request.user).select_related("platform", "office", "issued_by")

    @admin.display(description=_("complaints cited"))
    def cited_complaints(self, penalty: Penalty) -> str:
        return ", ".join(penalty.complaints.order_by("reference").values_list("reference", flat=True)) or "—"

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            try:
                penalty_set_status(by=request.user, penalty_id=obj.pk, status=form.cleaned_data["status"],
                                   note=form.cleaned_data["status_note"])
            except DomainError as error:  # a concurrent change got there first
                self.message_user(request, error.message, messages.ERROR)

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited here; the cited complaints are fixed by the decision."""


from .admin_jurisdiction import ComplaintJurisdictionAdmin  # noqa: E402 - also registers the disputes
from .admin_vanishing import VanishingAlertAdmin  # noqa: E402, F401 - registers the unreachable-platform alerts
from .admin_worklist import WorklistFilter  # noqa: E402

# --- the case desk -----------------------------------------------------------------------------------------


class CaseDeskComplaintAdmin(ComplaintJurisdictionAdmin):
    """The complaint audit view with the desk's moves (Order 121) and the jurisdiction moves as actions."""

    list_filter = (WorklistFilter, *ComplaintJurisdictionAdmin.list_filter)
    # The change page links to the penalty form with this complaint cited (its facts drafted from it).
    change_form_template = "admin/regulation/complaint_change_form.html"

    actions = [
        "forward", "accept_for_mediation", "refuse", "request_material", "record_mediation_consent",
        "start_testing", "end_testing", "record_agreement", "terminate_mediation", "refer_to_police",
        "close_with_finding", *ComplaintJurisdictionAdmin.jurisdiction_actions, "open_penalty", "export_csv",
    ]

    def has_regulate_permission(self, request) -> bool:
        return acts_as_regulator(request.user)

    # Each action calls the service once per complaint: one refusal does not undo the others, and every
    # refusal is reported by reference instead of failing the whole request.
    def _apply(self, request, queryset, act: Callable[[Complaint], object], done: Callable[[int], str]) -> None:
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

    def _done(self, singular: str, plural: str) -> Callable[[int], str]:
        return lambda count: ngettext(singular, plural, count)

    @admin.action(description=_("Forward to a registered platform (or register it first)"), permissions=["regulate"])
    def forward(self, request, queryset):
        def act(complaint, data):
            if data["platform"] is not None:
                return desk.complaint_forward(complaint_id=complaint.pk, by=request.user, platform=data["platform"])
            return desk.platform_register_and_forward(
                complaint_id=complaint.pk, by=request.user, name=data["new_platform_name"],
                slug=data["new_platform_slug"], website=data["new_platform_website"],
            )

        return self._with_form(
            request, queryset, forms_desk.ForwardForm, _("Forward complaints to a platform"), act,
            self._done("%(count)d complaint forwarded.", "%(count)d complaints forwarded."),
        )

    @admin.action(description=_("Accept (受理)"), permissions=["regulate"])
    def accept_for_mediation(self, request, queryset):
        self._apply(
            request, queryset,
            lambda complaint: desk.complaint_accept_for_mediation(complaint_id=complaint.pk, by=request.user),
            self._done("%(count)d complaint accepted.", "%(count)d complaints accepted."),
        )

    @admin.action(description=_("Refuse (不予受理) on a ground"), permissions=["regulate"])
    def refuse(self, request, queryset):
        return self._with_form(
            request, queryset, forms_desk.RefuseForm, _("Refuse complaints"),
            lambda complaint, data: desk.complaint_refuse(
                complaint_id=complaint.pk, by=request.user, ground=data["ground"], reason=data["reason"]
            ),
            self._done("%(count)d complaint refused.", "%(count)d complaints refused."),
        )

    @admin.action(description=_("Ask for identity proof or missing material"), permissions=["regulate"])
    def request_material(self, request, queryset):
        return self._with_form(
            request, queryset, forms_desk.MaterialRequestForm, _("Ask for identity proof or missing material"),
            lambda complaint, data: desk.complaint_request_material(complaint_id=complaint.pk, by=request.user, **data),
            self._done("%(count)d request sent.", "%(count)d requests sent."),
        )

    @admin.action(description=_("Record consent to mediation"), permissions=["regulate"])
    def record_mediation_consent(self, request, queryset):
        return self._with_form(
            request, queryset, forms_desk.MediationConsentForm, _("Record consent to mediation"),
            lambda complaint, data: desk.complaint_record_mediation_consent(
                complaint_id=complaint.pk, by=request.user, **data
            ),
            self._done("%(count)d consent recorded.", "%(count)d consents recorded."),
        )

    @admin.action(description=_("Start an appraisal or test (pauses mediation)"), permissions=["regulate"])
    def start_testing(self, request, queryset):
        return self._with_form(
            request, queryset, forms_desk.NoteForm, _("Start an appraisal or test"),
            lambda complaint, data: desk.complaint_start_testing(complaint_id=complaint.pk, by=request.user, **data),
            self._done("%(count)d mediation paused.", "%(count)d mediations paused."),
        )

    @admin.action(description=_("End the appraisal or test (resumes mediation)"), permissions=["regulate"])
    def end_testing(self, request, queryset):
        return self._with_form(
            request, queryset, forms_desk.NoteForm, _("End the appraisal or test"),
            lambda complaint, data: desk.complaint_end_testing(complaint_id=complaint.pk, by=request.user, **data),
            self._done("%(count)d mediation resumed.", "%(count)d mediations resumed."),
        )

    @admin.action(description=_("Record a mediation agreement"), permissions=["regulate"])
    def record_agreement(self, request, queryset):
        return self._with_form(
            request, queryset, forms_desk.AgreementForm, _("Record a mediation agreement"),
            lambda complaint, data: desk.complaint_record_agreement(
                complaint_id=complaint.pk, by=request.user, **data
            ),
            self._done("%(count)d agreement recorded.", "%(count)d agreements recorded."),
        )

    @admin.action(description=_("Terminate mediation on a ground"), permissions=["regulate"])
    def terminate_mediation(self, request, queryset):
        return self._with_form(
            request, queryset, forms_desk.TerminateForm, _("Terminate mediation"),
            lambda complaint, data: desk.complaint_terminate_mediation(
                complaint_id=complaint.pk, by=request.user, ground=data["ground"], reason=data["reason"]
            ),
            self._done("%(count)d mediation terminated.", "%(count)d mediations terminated."),
        )

    @admin.action(description=_("Refer to the police"), permissions=["regulate"])
    def refer_to_police(self, request, queryset):
        return self._with_form(
            request, queryset, forms_desk.PoliceReferralForm, _("Refer to the police"),
            lambda complaint, data: desk.complaint_refer_to_police(complaint_id=complaint.pk, by=request.user, **data),
            self._done("%(count)d complaint referred.", "%(count)d complaints referred."),
        )

    @admin.action(description=_("Close with a finding"), permissions=["regulate"])
    def close_with_finding(self, request, queryset):
        return self._with_form(
            request, queryset, forms_desk.CloseForm, _("Close complaints with a finding"),
            lambda complaint, data: desk.complaint_close(
                complaint_id=complaint.pk, by=request.user, finding=data["finding"], note=data["note"]
            ),
            self._done("%(count)d complaint closed.", "%(count)d complaints closed."),
        )

    @admin.action(description=_("Open a penalty from the selected complaints"), permissions=["regulate"])
    def open_penalty(self, request, queryset):
        platform_ids = set(queryset.order_by().values_list("platform_id", flat=True).distinct()[:2])
        if len(platform_ids) != 1 or None in platform_ids:
            self.message_user(request, _("Choose complaints about one registered platform."), messages.ERROR)
            return None
        ids = ",".join(str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('regulation:penalty-new')}?complaints={ids}")


admin.site.unregister(Complaint)
admin.site.register(Complaint, CaseDeskComplaintAdmin)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Issued notices, read-only: a notice is decided by a move and never edited."""

    list_display = ("number", "kind", "complaint", "ground_code", "decided_at", "issued_at", "download")
    list_filter = ("kind",)
    search_fields = ["=number", "=complaint__reference"]
    list_select_related = ("complaint",)

    def get_queryset(self, request):
        return notices_visible_to(request.user).select_related("complaint")

    @admin.display(description=_("PDF"))
    def download(self, notice: Notice) -> str:
        return format_html('<a href="{}">{}</a>', reverse("regulation:notice-pdf", args=[notice.pk]), _("Download"))


@admin.register(MaterialRequest)
class MaterialRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("complaint", "kind", "requested_at", "due_at", "proposed_at")
    list_filter = ("kind",)
    search_fields = ["=complaint__reference"]
    list_select_related = ("complaint",)

    def get_queryset(self, request):
        return MaterialRequest.objects.filter(
            complaint__in=complaints_visible_to(request.user).values("pk")
        ).select_related("complaint")
from . import admin_joint  # noqa: E402, F401 - registers the joint complaints as cases
