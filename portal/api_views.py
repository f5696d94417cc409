"""API endpoints about the caller: obtain a token, see who you are."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from portal.access import is_platform_staff
from portal.models import Role, StaffRole


class LockedOut(exceptions.APIException):
    status_code = 429
    default_detail = _("Too many failed login attempts. Try again later or reset your password.")
    default_code = "locked_out"

    def __init__(self) -> None:
        super().__init__()
        self.wait = int(settings.AXES_COOLOFF_TIME.total_seconds())  # sent as Retry-After


class TokenObtainView(APIView):
    """Exchange a username and password for an API token (one per user, reused on later calls)."""

    authentication_classes = []  # no session: a token request must not need a CSRF token
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    serializer_class = AuthTokenSerializer

    @extend_schema(
        operation_id="auth_token_create",
        summary="Obtain an API token",
        description=(
            "Send your portal username and password; use the answer as `Authorization: Token <token>`. "
            "Failed attempts count towards the login lockout, and the endpoint is rate limited."
        ),
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("TokenOut", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Missing fields or wrong username / password."),
            429: OpenApiResponse(
                description="Too many requests, or locked out after repeated failures (see Retry-After)."
            ),
        },
        examples=[OpenApiExample("Request", value={"username": "demo-consumer", "password": "..."}, request_only=True)],
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # django-axes counts this failure; once it locks the username + address it flags the request
            # (the DRF wrapper, so its HTML lockout page does not replace this JSON answer).
            if getattr(request, "axes_locked_out", False):
                raise LockedOut()
            raise exceptions.ValidationError(serializer.errors)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeSerializer(serializers.Serializer):
    """Also serialises ``ApiKeyUser`` (platforms.authentication): a platform key acts as an agent."""

    username = serializers.CharField()
    role = serializers.SerializerMethodField()
    platform = serializers.SerializerMethodField()
    staff_role = serializers.SerializerMethodField()

    def get_role(self, user) -> str:
        return getattr(user, "role", Role.PLATFORM_STAFF if is_platform_staff(user) else "")

    def get_platform(self, user) -> str | None:
        platform = user.platform if is_platform_staff(user) else None
        return platform.slug if platform else None

    def get_staff_role(self, user) -> str:
        return getattr(user, "staff_role", StaffRole.AGENT if is_platform_staff(user) else "")


class MeView(APIView):
    """Who the caller is: role, and for platform staff the platform (by slug) and staff role."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    @extend_schema(operation_id="me_retrieve", summary="The authenticated user", responses=MeSerializer, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
