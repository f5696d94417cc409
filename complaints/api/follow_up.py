"""The follow-up survey over the API (回访, Order 121 Art. 26): only the consumer who filed the complaint; for
anyone else the survey does not exist (404)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from portal.api import FIELD_ERRORS, error

from ..follow_up import follow_up_answer, follow_up_for_consumer
from ..models import FollowUp
from .base import ComplaintEndpoint

NO_SURVEY = error("No survey for this complaint in your scope; only the consumer who filed it has one.")


class FollowUpIn(serializers.Serializer):
    resolved = serializers.BooleanField(help_text="Was the problem resolved?")
    rating = serializers.IntegerField(min_value=1, max_value=5, help_text="Satisfaction, 5 = very satisfied.")
    comment = serializers.CharField(
        max_length=settings.PORTAL_FOLLOW_UP_COMMENT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class FollowUpOut(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["week", "requested_at", "expires_at", "answered_at", "resolved", "rating", "comment"]
        read_only_fields = fields


@extend_schema(tags=["complaints"])
class ComplaintFollowUpView(ComplaintEndpoint):
    serializer_class = FollowUpIn

    @extend_schema(
        operation_id="complaints_follow_up_read",
        summary="The follow-up survey of your complaint",
        responses={200: FollowUpOut, 404: NO_SURVEY},
    )
    def get(self, request, *args, **kwargs):
        follow_up = follow_up_for_consumer(request.user, self.kwargs["id"])
        return Response(FollowUpOut(follow_up).data)

    @extend_schema(
        operation_id="complaints_follow_up_answer",
        summary="Answer the follow-up survey (once, before it closes)",
        request=FollowUpIn,
        responses={
            200: FollowUpOut,
            400: FIELD_ERRORS,
            404: NO_SURVEY,
            409: error("Already answered, or closed."),
        },
    )
    def post(self, request, *args, **kwargs):
        follow_up_for_consumer(request.user, self.kwargs["id"])
        serializer = FollowUpIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        follow_up = follow_up_answer(complaint_id=self.kwargs["id"], by=request.user, **serializer.validated_data)
        return Response(FollowUpOut(follow_up).data)
