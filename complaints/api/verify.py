"""``POST /api/v1/verify/``: the public check by API (complaints/verification.py), anonymous and throttled."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.verification import (
    VerifyRateThrottle,
    both_given_error,
    clean_sha256,
    install_upload_handler,
    missing_input_error,
    public_check,
    result_document,
    too_large_error,
    uploaded_sha256,
)
from portal.api import FIELD_ERRORS, error
from portal.parsers import BoundedJSONParser


class VerifyIn(serializers.Serializer):
    sha256 = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="The SHA-256 of a file, 64 hex digits."
    )
    file = serializers.FileField(
        required=False, help_text="The file itself (multipart); a complaint's evidence bundle (ZIP) is verified too."
    )

    def validate_sha256(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return clean_sha256(value)
        except DjangoValidationError as invalid:
            raise serializers.ValidationError(invalid.messages) from None

    def validate(self, attrs: dict) -> dict:
        if self.context.get("too_large"):
            raise serializers.ValidationError({"file": too_large_error().messages})
        if attrs.get("file") and attrs.get("sha256"):
            raise serializers.ValidationError({"sha256": both_given_error().messages})
        if not attrs.get("file") and not attrs.get("sha256"):
            raise serializers.ValidationError({"sha256": missing_input_error().messages})
        return attrs


class HoldingOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["evidence", "dossier", "penalty_notice"])
    reference = serializers.CharField(help_text="The complaint reference or decision number, masked: KM-2026-****12.")
    since = serializers.DateTimeField(help_text="When the portal received (evidence) or issued (documents) it.")
    size = serializers.IntegerField()
    signed = serializers.BooleanField(allow_null=True, help_text="Documents: whether the PDF carries a signature.")
    anchored_at = serializers.DateTimeField(
        allow_null=True, help_text="The trusted (RFC 3161) time of the first anchor covering it; null until then."
    )


class BundleOut(serializers.Serializer):
    ok = serializers.BooleanField()
    check = serializers.CharField(allow_null=True, help_text="Which check failed: manifest, timeline, evidence, …")
    failure = serializers.CharField(allow_null=True, help_text="The first thing that failed, in words.")
    reference = serializers.CharField(allow_null=True)
    events = serializers.IntegerField()
    evidence_files = serializers.IntegerField()
    head_anchored_at = serializers.CharField(allow_null=True)
    trusted_by = serializers.ChoiceField(choices=["portal", "bundle"])
    held_by_portal = serializers.BooleanField()


class VerifyOut(serializers.Serializer):
    sha256 = serializers.CharField()
    found = serializers.BooleanField()
    holdings = HoldingOut(many=True)
    bundle = BundleOut(allow_null=True)


class VerifyView(APIView):
    """Anonymous: no authentication is read, so no session (nor its CSRF check) is involved."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [VerifyRateThrottle]
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    def initial(self, request: Request, *args, **kwargs) -> None:
        install_upload_handler(request._request)  # before anything reads the body
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="verify",
        summary="Does the portal hold this file?",
        description=(
            "Give a SHA-256 (JSON or form) or the file (multipart). The answer says whether the portal holds it as "
            "evidence or issued it as a document, since when, and the masked reference; `found: false` (200) when "
            "it does not. A ZIP evidence bundle is also verified as tools/verify_bundle.py does."
        ),
        request={"application/json": VerifyIn, "multipart/form-data": VerifyIn},
        tags=["verify"],
        auth=[],
        responses={
            200: VerifyOut,
            400: FIELD_ERRORS,
            429: error("Too many checks from this address; retry after the Retry-After header's seconds."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = VerifyIn(
            data=request.data, context={"too_large": getattr(request._request, "verify_too_large", False)}
        )
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data.get("file")
        if upload:
            result, bundle = public_check(upload=upload, upload_digest=uploaded_sha256(request._request, upload))
        else:
            result, bundle = public_check(digest=serializer.validated_data["sha256"])
        return Response(result_document(result, bundle))
