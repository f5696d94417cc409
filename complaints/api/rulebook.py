"""The public rulebook API: every edition of the rules with its clocks, grounds and notice templates.

Public law, so anyone may read it (rate-limited like the registry); it is served from the rulebook's
per-process copy, without a query.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from complaints import rulebook
from complaints.models import ClockRule, Ground, NoticeTemplate


class ClockRuleOut(serializers.ModelSerializer):
    citation = serializers.CharField(read_only=True, help_text="令第121号第二十三条第一款第（五）项")
    citation_en = serializers.CharField(read_only=True, help_text="SAMR Order 121, Art. 23(1)(5)")

    class Meta:
        model = ClockRule
        fields = [
            "kind",
            "length",
            "unit",
            "counting",
            "paused_by",
            "extension_length",
            "article",
            "article_en",
            "citation",
            "citation_en",
        ]


class GroundOut(serializers.ModelSerializer):
    citation = serializers.CharField(read_only=True)
    citation_en = serializers.CharField(read_only=True)

    class Meta:
        model = Ground
        fields = ["code", "kind", "article", "article_en", "citation", "citation_en", "text_zh", "text_en"]


class NoticeTemplateOut(serializers.ModelSerializer):
    citation = serializers.CharField(read_only=True)
    citation_en = serializers.CharField(read_only=True)

    class Meta:
        model = NoticeTemplate
        fields = ["kind", "title", "template_name", "article", "article_en", "citation", "citation_en"]


class EditionOut(serializers.Serializer):
    code = serializers.SlugField(source="edition.code")
    title = serializers.CharField(source="edition.title")
    title_en = serializers.CharField(source="edition.title_en")
    citation = serializers.CharField(source="edition.citation", help_text="国家市场监督管理总局令第121号")
    abbreviation = serializers.CharField(source="edition.abbreviation")
    abbreviation_en = serializers.CharField(source="edition.abbreviation_en")
    effective_from = serializers.DateField(source="edition.effective_from")
    effective_until = serializers.DateField(source="edition.effective_until", allow_null=True)
    in_force = serializers.BooleanField(help_text="Whether the edition is in force today (Beijing time).")
    clocks = ClockRuleOut(many=True)
    grounds = GroundOut(many=True)
    notice_templates = NoticeTemplateOut(many=True)


class RulebookView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        operation_id="rulebook",
        summary="The rulebook",
        description="Every edition of the rules the regulators apply, oldest first, with its effective period, "
        "its clocks (length, unit, how they count, what pauses them, the article), its refusal and termination "
        "grounds (code, article, text in Chinese and English) and its notice templates. A clock keeps the "
        "edition in force when it started.",
        tags=["rulebook"],
        auth=[],
        responses={
            200: EditionOut(many=True),
            429: OpenApiResponse(description="Too many requests."),
        },
    )
    def get(self, request: Request) -> Response:
        return Response(EditionOut(rulebook.contents(timezone.now()), many=True).data)
