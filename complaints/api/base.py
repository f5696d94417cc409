"""Who is asking, and which complaints they may reach: one base class per audience.

Every complaint endpoint inherits one of these and never builds its own queryset, so scoping is decided in
exactly one place per audience. A complaint outside the caller's scope answers 404, exactly like a missing
one; a complaint the caller can see but may not act on answers 403.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import F, OrderBy, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.utils.urls import replace_query_param

from complaints.models import Complaint
from complaints.selectors import complaints_visible_to
from portal.access import is_consumer, is_platform_staff, may_read_internal_notes, owns_complaint, works_for_platform_of

# --- permissions ---------------------------------------------------------------------------------------


class IsConsumerForWrites(permissions.BasePermission):
    message = _("Only consumers can file complaints.")

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or is_consumer(request.user)


class IsPlatformStaff(permissions.BasePermission):
    """Staff of a platform, or a platform's API key (which acts as one of its agents)."""

    message = _("Only platform staff and platform API keys can use the platform inbox.")

    def has_permission(self, request, view) -> bool:
        return is_platform_staff(request.user)


class IsComplaintConsumer(permissions.BasePermission):
    message = _("Only the consumer who filed this complaint can do that.")

    def has_object_permission(self, request, view, complaint: Complaint) -> bool:
        return owns_complaint(request.user, complaint)


class IsComplaintPlatformStaff(permissions.BasePermission):
    message = _("Only staff of the platform concerned can do that.")

    def has_object_permission(self, request, view, complaint: Complaint) -> bool:
        return works_for_platform_of(request.user, complaint)


# --- throttling ----------------------------------------------------------------------------------------


class CallerScopedRateThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` that counts each platform API key on its own.

    An API key's stand-in user has no primary key; the stock throttle would put every key in one bucket.
    """

    def get_cache_key(self, request, view):
        api_key = getattr(request.user, "api_key", None)
        if api_key is None:
            return super().get_cache_key(request, view)
        return self.cache_format % {"scope": self.scope, "ident": f"api-key-{api_key.pk}"}


class ThrottledWritesMixin:
    """Throttle only the writes of a view (its reads stay unlimited) under ``throttle_scope``."""

    def get_throttles(self):
        if self.request.method in permissions.SAFE_METHODS:
            return []
        return [CallerScopedRateThrottle()]


# --- audiences -----------------------------------------------------------------------------------------


class ComplaintEndpoint(GenericAPIView):
    """Any signed-in caller, on the complaints ``complaints_visible_to`` gives them."""

    permission_classes = [permissions.IsAuthenticated]
    complaint_url_kwarg = "id"

    def scoped_complaints(self) -> QuerySet[Complaint]:
        return complaints_visible_to(self.request.user)

    def get_queryset(self) -> QuerySet[Complaint]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: nobody is asking
            return Complaint.objects.none()
        return self.scoped_complaints().select_related("platform")

    def get_complaint(self, queryset: QuerySet[Complaint] | None = None) -> Complaint:
        """The complaint named in the URL: 404 outside the caller's scope, 403 if the audience may not act."""
        queryset = self.get_queryset() if queryset is None else queryset
        complaint = get_object_or_404(queryset, pk=self.kwargs[self.complaint_url_kwarg])
        self.check_object_permissions(self.request, complaint)
        return complaint


class ConsumerComplaintEndpoint(ComplaintEndpoint):
    """The consumer who filed the complaint. Others who can see it get 403."""

    permission_classes = [permissions.IsAuthenticated, IsComplaintConsumer]


class PlatformComplaintEndpoint(ComplaintEndpoint):
    """Staff (or an API key) of the platform the complaint is against. Others who can see it get 403."""

    permission_classes = [permissions.IsAuthenticated, IsComplaintPlatformStaff]


class InternalComplaintEndpoint(ComplaintEndpoint):
    """Platform staff and regulators only. For consumers these resources do not exist at all (404)."""

    def scoped_complaints(self) -> QuerySet[Complaint]:
        user = self.request.user
        if may_read_internal_notes(user):
            return complaints_visible_to(user)
        return Complaint.objects.none()


class PlatformInboxEndpoint(GenericAPIView):
    """The caller's own platform's complaints; anyone who is not platform staff or a platform key gets 403."""

    permission_classes = [permissions.IsAuthenticated, IsPlatformStaff]

    def get_queryset(self) -> QuerySet[Complaint]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: nobody is asking
            return Complaint.objects.none()
        return complaints_visible_to(self.request.user).select_related("platform", "assigned_to")


# --- keyset pagination over (sort key, id) -------------------------------------------------------------


@dataclass(frozen=True)
class CursorOrder:
    """One ``?ordering=`` of ``KeyAndIdCursorPagination``: a datetime sort key, then ``id`` among equal keys.

    ``id_descending`` defaults to the key's direction. A ``nullable`` key puts its NULLs after every value.
    """

    key: str
    descending: bool = False
    id_descending: bool | None = None
    nullable: bool = False

    def order_by(self, *, backwards: bool) -> list[OrderBy]:
        """The declared order, or its exact reverse to walk back from a cursor."""
        key, pk = F(self.key), F("id")
        # NULLs last, so first when walking back.
        nulls = {("nulls_first" if backwards else "nulls_last"): True} if self.nullable else {}
        return [
            key.desc(**nulls) if self.descending != backwards else key.asc(**nulls),
            pk.desc() if self._id_descending != backwards else pk.asc(),
        ]

    def beyond(self, value: datetime | None, pk: int, *, backwards: bool) -> list[Q]:
        """The rows after the cursor row (``value``, ``pk``) in the order ``order_by(backwards=…)`` gives.

        They come as consecutive runs of that order, each one a single range of an index on (key, id): with
        "… OR key IS NULL" in one condition, PostgreSQL would filter its way through the part of the index
        before the cursor instead of starting there.
        """
        key_from, key_after = ("lte", "lt") if self.descending != backwards else ("gte", "gt")
        id_after = "lt" if self._id_descending != backwards else "gt"
        nulls_after = self.nullable and not backwards
        if value is None:
            nulls = Q(**{f"{self.key}__isnull": True, f"id__{id_after}": pk})
            return [nulls] if nulls_after else [nulls, Q(**{f"{self.key}__isnull": False})]
        # ``key_from`` is implied by the rest; it is there so that the index scan starts at the cursor.
        values = Q(**{f"{self.key}__{key_from}": value}) & (
            Q(**{f"{self.key}__{key_after}": value}) | Q(**{f"id__{id_after}": pk})
        )
        return [values, Q(**{f"{self.key}__isnull": True})] if nulls_after else [values]

    @property
    def _id_descending(self) -> bool:
        return self.descending if self.id_descending is None else self.id_descending


class KeyAndIdCursorPagination(BasePagination):
    """Cursor pages ordered by one sort key plus ``id``: every page is an indexed range query, no OFFSET.

    Unlike DRF's ``CursorPagination`` (position on the first key, then an offset among ties), the cursor holds
    both the key and the id, so many equal keys (e.g. complaints without a running clock) cost nothing.
    ``orderings`` maps each ``?ordering=`` value to a ``CursorOrder``.
    """

    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    ordering_query_param = "ordering"
    orderings: dict[str, CursorOrder] = {}
    default_ordering = ""
    invalid_cursor_message = _("Invalid cursor.")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self._page_size(request)
        order = self.orderings[self._ordering_name(request)]
        position, backwards = self._decode(request, order)
        # Walking back is walking forwards over the reversed order, then flipping the page.
        queryset = queryset.order_by(*order.order_by(backwards=backwards))
        rows: list = []
        # One query, or one more when the page runs on from the sort keys into the NULLs (or back).
        for run in [Q()] if position is None else order.beyond(*position, backwards=backwards):
            rows += queryset.filter(run)[: self.page_size + 1 - len(rows)]
            if len(rows) > self.page_size:
                break
        has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
        # Forwards, a next page exists if there was one row more; backwards, the row we came from is next.
        has_next = has_more or backwards
        has_previous = has_more if backwards else position is not None
        self.next_position = self._position(rows[-1], order.key) if rows and has_next else None
        self.previous_position = self._position(rows[0], order.key) if rows and has_previous else None
        return rows

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.next_position, False),
                "previous": self._link(self.previous_position, True),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a previous page's next / previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page (default {self.page_size}, at most {self.max_page_size}).",
                "schema": {"type": "integer"},
            },
            {
                "name": self.ordering_query_param,
                "required": False,
                "in": "query",
                "description": f"Order of the list (default {self.default_ordering}).",
                "schema": {"type": "string", "enum": list(self.orderings)},
            },
        ]

    def _ordering_name(self, request) -> str:
        name = request.query_params.get(self.ordering_query_param, self.default_ordering)
        if name not in self.orderings:
            message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(self.orderings)}
            raise exceptions.ValidationError({self.ordering_query_param: [message]})
        return name

    def _page_size(self, request) -> int:
        try:
            wanted = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except ValueError:
            return self.page_size
        return min(max(wanted, 1), self.max_page_size)

    @staticmethod
    def _position(row, key: str) -> tuple[str | None, int]:
        value = getattr(row, key)
        return (None if value is None else value.astimezone(UTC).isoformat()), row.pk

    def _decode(self, request, order: CursorOrder) -> tuple[tuple[datetime | None, int] | None, bool]:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None, False
        try:
            value, pk, backwards = json.loads(base64.urlsafe_b64decode(encoded.encode("ascii")))
            if value is None and order.nullable:
                return (None, int(pk)), bool(backwards)
            moment = parse_datetime(value)
            if moment is None or moment.tzinfo is None:
                raise ValueError(value)
            return (moment, int(pk)), bool(backwards)
        except (ValueError, TypeError, UnicodeEncodeError, binascii.Error):
            raise exceptions.NotFound(self.invalid_cursor_message) from None

    def _link(self, position: tuple[str | None, int] | None, backwards: bool) -> str | None:
        if position is None:
            return None
        url = self.request.build_absolute_uri()
        token = base64.urlsafe_b64encode(json.dumps([*position, backwards]).encode()).decode("ascii")
        return replace_query_param(url, self.cursor_query_param, token)
