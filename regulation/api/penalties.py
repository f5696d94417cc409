"""Penalty decisions over the API: regulators issue them in their office's name; regulators (their office's and
those of the offices below it) and the platform concerned read them."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response

from platforms.models import Platform
from portal import money
from portal.access import acts_as_regulator, may_see_penalties
from portal.api import NulSafeSlugRelatedField
from regulation.models import Penalty, PenaltyKind
from regulation.penalties import (
    penalties_for_display,
    penalties_visible_to,
    penalty_issue,
    penalty_notice_filename,
    penalty_notice_pdf,
)


class PenaltyAccess(permissions.BasePermission):
    """Reading: regulators and platform staff (or keys); issuing: regulators only. Consumers get 403."""

    message = _("Only regulators and the staff of the platform concerned can see penalty decisions.")

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return may_see_penalties(request.user)
        return acts_as_regulator(request.user)


class CitedComplaintSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class PenaltyOutputSerializer(serializers.ModelSerializer):
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    platform_name = serializers.CharField(source="platform.name", read_only=True)
    office = serializers.SlugRelatedField(
        slug_field="division_code", read_only=True, help_text=_("Division code of the issuing office.")
    )
    office_name = serializers.CharField(source="office.name", read_only=True)
    complaints = CitedComplaintSerializer(many=True, read_only=True)

    class Meta:
        model = Penalty
        fields = [
            "id", "number", "platform", "platform_name", "office", "office_name", "kind", "status", "fine_amount",
            "rectification_deadline", "legal_basis", "facts", "decision", "complaints", "decided_on",
            "appeal_deadline",
        ]
        read_only_fields = fields


class PenaltyInputSerializer(serializers.Serializer):
    platform = NulSafeSlugRelatedField(slug_field="slug", queryset=Platform.objects.all())
    kind = serializers.ChoiceField(choices=PenaltyKind.choices)
    fine_amount = serializers.DecimalField(
        max_digits=money.MAX_DIGITS,
        decimal_places=money.DECIMAL_PLACES,
        required=False,
        allow_null=True,
        error_messages=money.yuan_error_messages(settings.PORTAL_FINE_MAX),
    )
    rectification_deadline = serializers.DateField(required=False, allow_null=True)
    legal_basis = serializers.CharField()
    facts = serializers.CharField()
    decision = serializers.CharField()
    complaints = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list,
        help_text="Ids of the complaints the decision cites; all must be about the platform.",
    )
    decided_on = serializers.DateField(required=False, allow_null=True)


class PenaltyScopedMixin:
    """Every penalty endpoint reads through ``penalties_visible_to``; another platform's decision, or another
    office's outside the regulator's scope, is a 404."""

    permission_classes = [permissions.IsAuthenticated, PenaltyAccess]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user to scope by
            return Penalty.objects.none()
        return penalties_for_display(penalties_visible_to(self.request.user))


@extend_schema(tags=["penalties"])
class PenaltyListCreateView(PenaltyScopedMixin, generics.ListAPIView):
    """Penalty decisions, newest first. Consumers are refused (403)."""

    serializer_class = PenaltyOutputSerializer

    @extend_schema(
        summary="Issue a penalty decision (regulators)",
        request=PenaltyInputSerializer,
        responses={201: PenaltyOutputSerializer, 400: OpenApiResponse(description="Field errors")},
    )
    def post(self, request):
        data = PenaltyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        penalty = penalty_issue(by=request.user, complaint_ids=fields.pop("complaints"), **fields)
        penalty = penalties_for_display(Penalty.objects.filter(pk=penalty.pk)).get()
        return Response(PenaltyOutputSerializer(penalty).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Penalty decisions: a regulator's office's and those below it, the platform's own for its staff "
        "and keys"
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["penalties"])
class PenaltyDetailView(PenaltyScopedMixin, generics.RetrieveAPIView):
    """One decision; another platform's decision answers 404, like a missing one."""

    serializer_class = PenaltyOutputSerializer


@extend_schema(tags=["penalties"])
class PenaltyNoticeView(PenaltyScopedMixin, generics.GenericAPIView):
    """The decision notice as an attachment; another platform's decision answers 404."""

    @extend_schema(
        operation_id="penalties_notice_pdf",
        summary="The decision notice (行政处罚决定书) as PDF",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int):
        penalty = get_object_or_404(self.get_queryset(), pk=pk)
        response = HttpResponse(penalty_notice_pdf(penalty), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{penalty_notice_filename(penalty)}"'
        return response
