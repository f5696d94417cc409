"""The case desk over the API (/api/v1/regulator/complaints/…): regulators only, JSON bodies only.

Every route refuses anyone who does not act as a regulator with a 403 before looking anything up, so an id
cannot be probed; a complaint outside the regulator's scope is a 404. Each move parses its body and calls one
service of ``regulation.desk``: field errors are 400, an illegal move for the complaint's status is 409.
"""

import django_filters
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from complaints.api.filters import SearchFilter, UtcIsoDateTimeFilter
from complaints.models import Complaint, Deadline, Party, Status
from complaints.selectors import complaints_visible_to
from platforms.models import Platform
from portal.access import ActsAsRegulator
from portal.api import FIELD_ERRORS, NulSafeSlugRelatedField, error
from portal.audit import log_access
from portal.parsers import BoundedJSONParser

from .. import desk
from ..models import MaterialRequestKind, Notice
from ..notices import notice_pdf_response, notices_visible_to
from ..queue import DESK_STATUSES, desk_complaint, desk_queue, with_desk_due

NOT_FOUND = error("No such complaint in your scope.")
FORBIDDEN = error("Only regulators work the case desk.")
ILLEGAL = error("Illegal move for the complaint's current status.")
MOVE_RESPONSES = {400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: ILLEGAL}


# --- output ----------------------------------------------------------------------------------------------


class DeskClockOut(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)

    class Meta:
        model = Deadline
        fields = ["kind", "started_at", "due_at", "met_at", "breached_at", "paused_at", "state"]
        read_only_fields = fields


class DeskNoticeOut(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = [
            "id",
            "number",
            "kind",
            "ground_code",
            "reason",
            "addressed_to_platform",
            "decided_at",
            "issued_at",
            "sha256",
        ]
        read_only_fields = fields


class DeskComplaintOut(serializers.ModelSerializer):
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    platform_name = serializers.CharField(source="platform_display_name", read_only=True)
    desk_due_at = serializers.DateTimeField(read_only=True, allow_null=True, default=None)
    clocks = DeskClockOut(source="deadlines", many=True, read_only=True)
    notices = DeskNoticeOut(many=True, read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "reference",
            "status",
            "finding",
            "finding_note",
            "platform",
            "platform_name",
            "is_overdue",
            "created_at",
            "escalated_at",
            "closed_at",
            "desk_due_at",
            "clocks",
            "notices",
        ]
        read_only_fields = fields


# --- input -----------------------------------------------------------------------------------------------


def ground_field(codes: str) -> serializers.CharField:
    # Optional here so that a missing ground is the service's field error, worded with the codes in force.
    return serializers.CharField(
        help_text=f"Ground code in force at the decision ({codes}; `GET /api/v1/rulebook/` lists them). Required: "
        "the free-text reason adds detail but never replaces it.",
        required=False,
        allow_blank=True,
        default="",
        max_length=20,
    )


REASON = {"required": False, "allow_blank": True, "default": "", "max_length": 5000}


class ForwardIn(serializers.Serializer):
    platform = NulSafeSlugRelatedField(
        slug_field="slug",
        queryset=Platform.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Slug of the registered platform to forward to.",
    )
    new_platform_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Register the platform first: its name…"
    )
    new_platform_slug = serializers.SlugField(
        required=False, allow_blank=True, default="", max_length=80, help_text="…and its short name (slug)."
    )
    new_platform_website = serializers.URLField(required=False, allow_blank=True, default="")

    def validate(self, data):
        if bool(data["platform"]) == bool(data["new_platform_name"]):
            raise serializers.ValidationError(
                _("Give either a registered platform's slug or the new platform's name and slug.")
            )
        return data


class DeskNoteIn(serializers.Serializer):
    note = serializers.CharField(**REASON)


class RefuseIn(serializers.Serializer):
    ground = ground_field("Order 121 Art. 16: art16_1 … art16_7")
    reason = serializers.CharField(**REASON)


class TerminateIn(serializers.Serializer):
    ground = ground_field("Order 121 Art. 23: art23_1 … art23_8")
    reason = serializers.CharField(**REASON)


class MaterialRequestIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MaterialRequestKind.choices, default=MaterialRequestKind.IDENTITY)
    message = serializers.CharField(max_length=5000)
    deadline = serializers.DateField(help_text="The last day (Asia/Shanghai) to supply it.")


class MediationConsentIn(serializers.Serializer):
    parties = serializers.ListField(
        child=serializers.ChoiceField(choices=[Party.CONSUMER, Party.PLATFORM]),
        min_length=1,
        max_length=2,
        help_text="Who consented to mediation (Art. 18): consumer, platform or both.",
    )
    delegated_to = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="The consumer association or mediation body the parties agreed to (Art. 19), if any.",
    )


class AgreementIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=desk.AgreementKind.choices, help_text="调解书 or 调解记录 (Art. 24).")
    terms = serializers.CharField(max_length=5000)


class PoliceReferralIn(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, help_text="What the complainant is suspected of (Art. 42).")


class CloseIn(serializers.Serializer):
    finding = serializers.ChoiceField(choices=desk.CLOSING_FINDINGS)
    note = serializers.CharField(**REASON)


# --- views -----------------------------------------------------------------------------------------------


class RegulatorEndpoint(GenericAPIView):
    """Regulators only (403 for everyone else, before any lookup); complaints through their scope."""

    permission_classes = [IsAuthenticated, ActsAsRegulator]
    parser_classes = [BoundedJSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user to scope by
            return with_desk_due(Complaint.objects.none())
        return desk_queue(self.request.user)


class DeskQueueFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, help_text="One or more statuses (repeat the parameter); any status may be asked for."
    )
    due_before = UtcIsoDateTimeFilter(
        field_name="desk_due_at", lookup_expr="lt", help_text="The earliest running regulator clock is due before."
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="true: a running regulator clock is past due; false: none is."
    )
    q = SearchFilter()

    def filter_overdue(self, queryset, name, value):
        past_due = Q(desk_due_at__lt=timezone.now())
        return queryset.filter(past_due) if value else queryset.exclude(past_due)


@extend_schema(tags=["regulator"])
class DeskQueueView(RegulatorEndpoint, ListAPIView):
    """The desk's queue: complaints waiting on a regulator (triage, the acceptance decision, mediation) and
    closed ones whose termination notice is still due, the earliest regulator clock first."""

    serializer_class = DeskComplaintOut
    filterset_class = DeskQueueFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        if "status" in self.request.query_params:
            return queryset
        return queryset.filter(Q(status__in=DESK_STATUSES) | Q(desk_due_at__isnull=False))

    def paginate_queryset(self, queryset):
        return super().paginate_queryset(queryset.prefetch_related("deadlines", "notices"))

    @extend_schema(
        summary="The case desk's queue (regulators)", responses={200: DeskComplaintOut(many=True), 403: FORBIDDEN}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DeskMoveView(RegulatorEndpoint):
    """A move of the case desk (regulators only). Answers with the complaint as the desk sees it: its status,
    finding, clocks and notices."""

    def act(self, complaint_id: int, data: dict) -> None:
        raise NotImplementedError

    @extend_schema(responses={200: DeskComplaintOut, **MOVE_RESPONSES}, tags=["regulator"])
    def post(self, request, id: int):
        complaint = get_object_or_404(complaints_visible_to(request.user), pk=id)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.act(complaint.pk, serializer.validated_data)
        return Response(DeskComplaintOut(desk_complaint(request.user, complaint.pk)).data)


@extend_schema(summary="Forward a triaged complaint to a registered platform, or register the platform first")
class ForwardView(DeskMoveView):
    serializer_class = ForwardIn

    def act(self, complaint_id, data):
        if data["platform"] is not None:
            desk.complaint_forward(complaint_id=complaint_id, by=self.request.user, platform=data["platform"])
        else:
            desk.platform_register_and_forward(
                complaint_id=complaint_id,
                by=self.request.user,
                name=data["new_platform_name"],
                slug=data["new_platform_slug"],
                website=data["new_platform_website"],
            )


@extend_schema(summary="Accept (受理) an escalated complaint (Order 121 Art. 15)")
class AcceptView(DeskMoveView):
    serializer_class = DeskNoteIn

    def act(self, complaint_id, data):
        desk.complaint_accept_for_mediation(complaint_id=complaint_id, by=self.request.user, **data)


@extend_schema(summary="Refuse (不予受理) on an Art. 16 ground; `ground` is required")
class RefuseView(DeskMoveView):
    serializer_class = RefuseIn

    def act(self, complaint_id, data):
        desk.complaint_refuse(complaint_id=complaint_id, by=self.request.user, **data)


@extend_schema(summary="Ask for identity proof or missing Art. 10 / 11 material by a deadline")
class RequestMaterialView(DeskMoveView):
    serializer_class = MaterialRequestIn

    def act(self, complaint_id, data):
        desk.complaint_request_material(complaint_id=complaint_id, by=self.request.user, **data)


@extend_schema(summary="Record consent to mediation (Art. 18) or to delegated mediation (Art. 19)")
class MediationConsentView(DeskMoveView):
    serializer_class = MediationConsentIn

    def act(self, complaint_id, data):
        desk.complaint_record_mediation_consent(complaint_id=complaint_id, by=self.request.user, **data)


@extend_schema(summary="Start an appraisal or test: the mediation period pauses (Art. 22)")
class TestingStartView(DeskMoveView):
    serializer_class = DeskNoteIn

    def act(self, complaint_id, data):
        desk.complaint_start_testing(complaint_id=complaint_id, by=self.request.user, **data)


@extend_schema(summary="End the appraisal or test: the mediation period resumes")
class TestingEndView(DeskMoveView):
    serializer_class = DeskNoteIn

    def act(self, complaint_id, data):
        desk.complaint_end_testing(complaint_id=complaint_id, by=self.request.user, **data)


@extend_schema(summary="Record a mediation agreement (调解书 or 调解记录, Art. 24)")
class AgreementView(DeskMoveView):
    serializer_class = AgreementIn

    def act(self, complaint_id, data):
        desk.complaint_record_agreement(complaint_id=complaint_id, by=self.request.user, **data)


@extend_schema(summary="Terminate mediation on an Art. 23 ground; `ground` is required")
class TerminateView(DeskMoveView):
    serializer_class = TerminateIn

    def act(self, complaint_id, data):
        desk.complaint_terminate_mediation(complaint_id=complaint_id, by=self.request.user, **data)


@extend_schema(summary="Refer to the police (Art. 42)")
class PoliceReferralView(DeskMoveView):
    serializer_class = PoliceReferralIn

    def act(self, complaint_id, data):
        desk.complaint_refer_to_police(complaint_id=complaint_id, by=self.request.user, **data)


@extend_schema(summary="Close with a finding")
class CloseView(DeskMoveView):
    serializer_class = CloseIn

    def act(self, complaint_id, data):
        desk.complaint_close(complaint_id=complaint_id, by=self.request.user, **data)


# --- notices: every party reads its own ------------------------------------------------------------------


class NoticeListView(ListAPIView):
    """The desk's notices the caller may read: a consumer all on their complaints, a platform those addressed
    to it, regulators every one. ``?complaint=<id>`` narrows to one complaint."""

    serializer_class = DeskNoticeOut
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notice.objects.none()
        notices = notices_visible_to(self.request.user).order_by("-decided_at", "-pk")
        complaint = self.request.query_params.get("complaint", "")
        return notices.filter(complaint_id=complaint) if complaint.isdigit() else notices

    @extend_schema(
        summary="Notices of refusal, acceptance and termination you may read",
        parameters=[OpenApiParameter("complaint", int, description="Only this complaint's notices.")],
        tags=["notices"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NoticePdfApiView(GenericAPIView):
    """One notice as PDF; a notice the caller may not read answers 404, like a missing one."""

    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notice.objects.none()
        return notices_visible_to(self.request.user)

    @extend_schema(
        operation_id="notices_pdf",
        summary="A notice (不予受理告知书, 受理告知书, 终止调解告知书) as PDF",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: error("No such notice in your scope.")},
        tags=["notices"],
    )
    def get(self, request, pk: int):
        notice = get_object_or_404(self.get_queryset(), pk=pk)
        log_access(request, action="notice_download", obj=notice.complaint, detail=notice.number)
        return notice_pdf_response(notice)
