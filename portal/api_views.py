"""API endpoints about the caller: obtain a token, see who you are."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView


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
            403: OpenApiResponse(description="Locked out after too many failed attempts."),
            429: OpenApiResponse(description="Too many requests."),
        },
        examples=[
            OpenApiExample("Request", value={"username": "demo-consumer", "password": "..."}, request_only=True)
        ],
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField()
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    staff_role = serializers.CharField(allow_blank=True)


class MeView(APIView):
    """Who the caller is: role, and for platform staff the platform (by slug) and staff role."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    @extend_schema(operation_id="me_retrieve", summary="The authenticated user", responses=MeSerializer, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
