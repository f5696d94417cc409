"""The public complaint database API: ``GET /api/v1/open/complaints/`` (Order 121 Art. 38; 消费者权益保护法
实施条例 Art. 27, 29). Anonymous, rate-limited like the registry, cursor pages, newest first.

The records are those of the daily export (``regulation.open_data``); docs/open-data.md is the data dictionary.
The cursors are encrypted: they hold an internal id, which the open data never shows.
"""

import json

from cryptography.fernet import Fernet, InvalidToken
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.throttling import AnonRateThrottle
from rest_framework.utils.urls import replace_query_param

from complaints.api.base import CursorOrder, KeyAndIdCursorPagination
from complaints.models import PaymentChannel, Problem
from regulation.open_data import (
    OUTCOMES,
    cursor_key,
    filter_published,
    open_record,
    published_complaints,
)


class OpenComplaintQuery(serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text=_("First day received (Asia/Shanghai), included."))
    date_to = serializers.DateField(required=False, help_text=_("Last day received (Asia/Shanghai), included."))
    platform = serializers.SlugField(required=False, max_length=80, help_text=_("The platform's slug."))
    problem = serializers.ChoiceField(choices=Problem.choices, required=False)
    payment_channel = serializers.ChoiceField(choices=PaymentChannel.choices, required=False)
    outcome = serializers.ChoiceField(choices=[(value, value) for value in OUTCOMES], required=False)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": [_("The last day is before the first day.")]})
        return attrs


class OpenComplaintSerializer(serializers.Serializer):
    """One record of the public complaint database; every field is described in docs/open-data.md."""

    complaint_id = serializers.CharField()
    date_received = serializers.DateField()
    platform = serializers.CharField()
    platform_slug = serializers.CharField()
    operator = serializers.CharField(allow_blank=True)
    product_category = serializers.CharField()
    problem = serializers.CharField()
    payment_channel = serializers.CharField()
    amount_band = serializers.CharField()
    platform_response = serializers.CharField()
    timely = serializers.CharField()
    consumer_disputed = serializers.CharField()
    outcome = serializers.CharField()
    narrative = serializers.CharField(allow_blank=True)

    def to_representation(self, complaint):
        return open_record(complaint)


class OpenCursorPagination(KeyAndIdCursorPagination):
    """Newest first, by (day received, id); the cursor is encrypted, so it does not show the internal id."""

    orderings = {"-date_received": CursorOrder("created_at", descending=True)}
    default_ordering = "-date_received"

    def _decode(self, request, order):
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None, False
        try:
            value, pk, backwards = json.loads(Fernet(cursor_key()).decrypt(encoded.encode("ascii")))
            moment = parse_datetime(value)
            if moment is None or moment.tzinfo is None:
                raise ValueError(value)
            return (moment, int(pk)), bool(backwards)
        except (InvalidToken, ValueError, TypeError, UnicodeEncodeError):
            raise exceptions.NotFound(self.invalid_cursor_message) from None

    def _link(self, position, backwards):
        if position is None:
            return None
        token = Fernet(cursor_key()).encrypt(json.dumps([*position, backwards]).encode()).decode("ascii")
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, token)


class OpenComplaintList(ListAPIView):
    """Anonymous, rate-limited (AnonRateThrottle, settings "anon" rate)."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]
    pagination_class = OpenCursorPagination
    serializer_class = OpenComplaintSerializer

    def get_queryset(self):
        query = OpenComplaintQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return filter_published(published_complaints(), **query.validated_data)

    @extend_schema(
        operation_id="open_complaints_list",
        summary="The public complaint database",
        description=(
            "Published complaints, newest first: a complaint appears once the platform has answered or 15 days "
            "after filing. No personal data, no order or payment numbers, the amount as a band; the narrative "
            "only with the consumer's consent, redacted. Licence CC BY 4.0. Data dictionary and daily bulk "
            "files: docs/open-data.md, /open-data/complaints-latest.csv.gz and .jsonl.gz."
        ),
        parameters=[OpenComplaintQuery],
        tags=["open data"],
        auth=[],
        responses={
            200: OpenComplaintSerializer(many=True),
            400: OpenApiResponse(description="A filter is invalid."),
            404: OpenApiResponse(description="Invalid cursor."),
            429: OpenApiResponse(description="Too many requests."),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
