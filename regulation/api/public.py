"""The public registry API: the same data as the /platforms/ pages, for anyone, rate-limited.

Only licence data, verification, aggregate scorecards, penalty decisions and consented, redacted narratives
leave this module — never a consumer's identity, order or payment data.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from complaints.api.serializers import UnreachableWarningOut
from complaints.unreachable import unreachable_warning
from platforms.models import Platform
from regulation.api.stats import FiguresSerializer, MinimumSampleMixin, as_of_field
from regulation.scorecard import SCORECARD_WINDOW_DAYS
from regulation.statistics import (
    platform_scorecards,
    public_penalties,
    published_narratives,
    registry_platforms,
    sibling_platforms,
)


class RegistryQuery(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("Part of the name, domain or ICP filing number."),
    )
    verified = serializers.BooleanField(
        required=False, default=False, help_text=_("Only platforms whose licences were verified.")
    )


class PublicScorecardSerializer(MinimumSampleMixin, FiguresSerializer):
    """Aggregates of the last SCORECARD_WINDOW_DAYS days; rates and score are null below the minimum."""

    complaints_per_10k_orders = serializers.FloatField(allow_null=True)
    penalties_in_window = serializers.IntegerField()
    is_rated = serializers.BooleanField(source="scorecard.is_rated")
    min_complaints = serializers.IntegerField(source="scorecard.min_complaints")
    score = serializers.FloatField(source="scorecard.score", allow_null=True)
    grade = serializers.CharField(source="scorecard.grade", allow_blank=True, allow_null=True)
    version = serializers.CharField(source="scorecard.version")
    as_of = as_of_field()


class OperatorRefSerializer(serializers.Serializer):
    name = serializers.CharField()


class PlatformRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.SlugField()


class RegistryPlatformSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.SlugField()
    website = serializers.URLField()
    domain = serializers.CharField()
    icp_filing_number = serializers.CharField()
    telecom_licence_number = serializers.CharField()
    is_verified = serializers.BooleanField()
    verified_at = serializers.DateTimeField(allow_null=True)
    compensation_standard = serializers.CharField()
    compensation_hours = serializers.IntegerField(allow_null=True)
    is_unreachable = serializers.BooleanField(
        help_text=_("A regulator confirmed the platform can no longer be reached.")
    )
    unreachable_confirmed_at = serializers.DateTimeField(allow_null=True)
    scorecard = serializers.SerializerMethodField()

    @extend_schema_field(PublicScorecardSerializer)
    def get_scorecard(self, platform: Platform) -> dict:
        return PublicScorecardSerializer(self.context["scorecards"][platform.pk]).data


class PublicPenaltySerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    decided_on = serializers.DateField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")


class NarrativeSerializer(serializers.Serializer):
    """Product, problem, month filed and the redacted text: nothing that points to the consumer."""

    product = serializers.CharField(source="product_name")
    problem = serializers.CharField()
    problem_label = serializers.CharField(source="get_problem_display")
    month_filed = serializers.SerializerMethodField()
    narrative = serializers.CharField()

    def get_month_filed(self, complaint) -> str:
        return timezone.localtime(complaint.created_at).strftime("%Y-%m")


class RegistryPlatformDetailSerializer(RegistryPlatformSerializer):
    operator = OperatorRefSerializer(allow_null=True)
    unreachable_warning = serializers.SerializerMethodField()
    operator_platforms = serializers.SerializerMethodField()
    penalties = serializers.SerializerMethodField()
    narratives = serializers.SerializerMethodField()

    @extend_schema_field(PlatformRefSerializer(many=True))
    def get_operator_platforms(self, platform: Platform) -> list:
        return PlatformRefSerializer(sibling_platforms(platform), many=True).data

    @extend_schema_field(PublicPenaltySerializer(many=True))
    def get_penalties(self, platform: Platform) -> list:
        return PublicPenaltySerializer(public_penalties(platform), many=True).data

    @extend_schema_field(NarrativeSerializer(many=True))
    def get_narratives(self, platform: Platform) -> list:
        return NarrativeSerializer(published_narratives(platform), many=True).data

    @extend_schema_field(UnreachableWarningOut(allow_null=True))
    def get_unreachable_warning(self, platform: Platform) -> dict | None:
        """消费预警 once a regulator confirmed the platform unreachable; null otherwise."""
        warning = unreachable_warning(platform)
        return UnreachableWarningOut(warning.as_dict()).data if warning else None


class RegistryView:
    """Public, anonymous-friendly and rate-limited (AnonRateThrottle, settings "anon" rate)."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]


class RegistryListView(RegistryView, ListAPIView):
    serializer_class = RegistryPlatformSerializer

    def get_queryset(self):
        query = RegistryQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return registry_platforms(
            search=query.validated_data.get("search", ""), verified_only=query.validated_data["verified"]
        )

    @extend_schema(
        operation_id="registry_list",
        summary="Registered platforms",
        description="Licence data, verification and the scorecard of each platform (last "
        f"{SCORECARD_WINDOW_DAYS} days; rates null below the minimum number of complaints).",
        parameters=[RegistryQuery],
        tags=["registry"],
        auth=[],
        responses={
            200: RegistryPlatformSerializer(many=True),
            400: OpenApiResponse(description="A query parameter is invalid."),
            429: OpenApiResponse(description="Too many requests."),
        },
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        context = {**self.get_serializer_context(), "scorecards": platform_scorecards(p.pk for p in page)}
        return self.get_paginated_response(self.serializer_class(page, many=True, context=context).data)


class RegistryDetailView(RegistryView, RetrieveAPIView):
    serializer_class = RegistryPlatformDetailSerializer
    lookup_field = "slug"
    queryset = Platform.objects.select_related("operator", "unreachable_office")

    @extend_schema(
        operation_id="registry_detail",
        summary="One registered platform",
        description="Licence data, operator and its other platforms, the scorecard, penalty decisions and "
        "consented, redacted complaint narratives.",
        tags=["registry"],
        auth=[],
        responses={
            200: RegistryPlatformDetailSerializer,
            404: OpenApiResponse(description="No such platform."),
            429: OpenApiResponse(description="Too many requests."),
        },
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        platform = self.get_object()
        context = {**self.get_serializer_context(), "scorecards": platform_scorecards([platform.pk])}
        return Response(self.serializer_class(platform, context=context).data)
