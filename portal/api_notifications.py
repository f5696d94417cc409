"""The caller's own notifications and notification preferences over the API (JSON only).

Every endpoint reads ``portal.notifications.notifications_for(request.user)``: another user's notification
answers 404 like a missing one. A platform's API key is a machine, not a person: it has none (403).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from portal import notifications as notes
from portal.access import HasAccount
from portal.api import FIELD_ERRORS, error
from portal.models import Notification, NotificationChannel

FORBIDDEN = error("An API key has no notifications: call with a user's token or session.")
NOT_FOUND = error("No such notification of yours (another user's looks exactly like a missing one).")


class NotificationOut(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True, help_text="In the language of the request.")
    kind_label = serializers.CharField(read_only=True)
    is_read = serializers.BooleanField(read_only=True)
    link = serializers.CharField(read_only=True, help_text="A path on this site, or empty.")

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_label", "title", "complaint_id", "link", "created_at", "read_at", "is_read"]
        read_only_fields = fields


class ReadAllOut(serializers.Serializer):
    marked_read = serializers.IntegerField()


class PreferenceOut(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    channel = serializers.ChoiceField(choices=NotificationChannel.choices)


class PreferenceIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in notes.PREFERENCE_KINDS])
    channel = serializers.ChoiceField(choices=NotificationChannel.choices)


class PreferencesIn(serializers.Serializer):
    preferences = PreferenceIn(many=True, allow_empty=False)


class PreferencesOut(serializers.Serializer):
    preferences = PreferenceOut(many=True)


def preferences_body(channels: dict[str, str]) -> dict:
    return {
        "preferences": [
            {"kind": kind, "label": notes.kind_label(kind), "channel": channel} for kind, channel in channels.items()
        ]
    }


class NotificationEndpoint(GenericAPIView):
    """The caller's own notifications; an API key gets 403."""

    permission_classes = [IsAuthenticated, HasAccount]
    serializer_class = NotificationOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no caller
            return Notification.objects.none()
        return notes.notifications_for(self.request.user)


class NotificationListApi(NotificationEndpoint):
    @extend_schema(
        operation_id="notifications_list",
        summary="List your notifications",
        description="Newest first, paged. `?unread=1` lists only those not read yet.",
        parameters=[OpenApiParameter("unread", bool, description="Only unread notifications.")],
        responses={200: NotificationOut(many=True), 403: FORBIDDEN},
        tags=["notifications"],
    )
    def get(self, request: Request) -> Response:
        notifications = self.get_queryset()
        if request.query_params.get("unread") in ("1", "true", "True"):
            notifications = notifications.filter(read_at__isnull=True)
        page = self.paginate_queryset(notifications)
        return self.get_paginated_response(NotificationOut(notes.with_titles(page), many=True).data)


class NotificationReadApi(NotificationEndpoint):
    @extend_schema(
        operation_id="notifications_read",
        summary="Mark one of your notifications read",
        request=None,
        responses={200: NotificationOut, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["notifications"],
    )
    def post(self, request: Request, pk: int) -> Response:
        notification = notes.notification_read(user=request.user, notification_id=pk)
        return Response(NotificationOut(notes.with_titles([notification])[0]).data)


class NotificationReadAllApi(NotificationEndpoint):
    serializer_class = ReadAllOut

    @extend_schema(
        operation_id="notifications_read_all",
        summary="Mark all your notifications read",
        request=None,
        responses={200: ReadAllOut, 403: FORBIDDEN},
        tags=["notifications"],
    )
    def post(self, request: Request) -> Response:
        return Response({"marked_read": notes.notifications_read_all(user=request.user)})


class NotificationPreferencesApi(NotificationEndpoint):
    serializer_class = PreferencesOut
    pagination_class = None

    def get_object(self):
        """The caller's own preferences: no lookup by URL (OPTIONS asks for the object a PUT would change)."""
        return self.request.user

    @extend_schema(
        operation_id="notifications_preferences_retrieve",
        summary="Your channel for each kind of notification",
        description="`email`, `in_app` or `both` (the default). Staff invitations are always e-mailed.",
        responses={200: PreferencesOut, 403: FORBIDDEN},
        tags=["notifications"],
    )
    def get(self, request: Request) -> Response:
        return Response(preferences_body(notes.preferences_of(request.user)))

    @extend_schema(
        operation_id="notifications_preferences_update",
        summary="Choose the channel of some kinds of notification",
        description="Kinds left out keep their channel. Answers every kind's channel.",
        request=PreferencesIn,
        responses={200: PreferencesOut, 400: FIELD_ERRORS, 403: FORBIDDEN},
        tags=["notifications"],
    )
    def put(self, request: Request) -> Response:
        body = PreferencesIn(data=request.data)
        body.is_valid(raise_exception=True)
        channels = {item["kind"]: item["channel"] for item in body.validated_data["preferences"]}
        return Response(preferences_body(notes.notification_preferences_set(user=request.user, channels=channels)))
