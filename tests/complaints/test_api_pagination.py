"""``KeyAndIdCursorPagination`` over every kind of ``CursorOrder``: each page walked forwards and back again
returns every row exactly once, in order, with NULL and equal sort keys among them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from complaints.api.base import CursorOrder, KeyAndIdCursorPagination
from complaints.models import Complaint
from tests.factories import ConsumerFactory, PlatformFactory, file_complaint

pytestmark = pytest.mark.django_db

ORDERS = [
    CursorOrder("platform_due_at", id_descending=True, nullable=True),  # the inbox
    CursorOrder("platform_due_at", nullable=True),
    CursorOrder("platform_due_at", descending=True, nullable=True),
    CursorOrder("platform_due_at", descending=True, id_descending=False, nullable=True),
    CursorOrder("created_at", descending=True),
    CursorOrder("created_at", id_descending=True),
]


class Pagination(KeyAndIdCursorPagination):
    orderings = {str(n): order for n, order in enumerate(ORDERS)}
    default_ordering = "0"


@pytest.fixture
def rows():
    """Ten complaints: three without a due time, and due and filing times shared by several."""
    platform, consumer, now = PlatformFactory(), ConsumerFactory(), timezone.now()
    due_in_hours = [2, None, 1, 2, None, 3, 1, None, 2, 1]
    filed_days_ago = [1, 2, 1, 3, 1, 2, 1, 3, 2, 1]
    for due_in, days_ago in zip(due_in_hours, filed_days_ago, strict=True):
        complaint = file_complaint(consumer, platform)
        Complaint.objects.filter(pk=complaint.pk).update(
            platform_due_at=None if due_in is None else now + timedelta(hours=due_in),
            created_at=now - timedelta(days=days_ago),
        )
    return list(Complaint.objects.all())


def expected_order(rows, order: CursorOrder) -> list[int]:
    id_descending = order.descending if order.id_descending is None else order.id_descending

    def position(row):
        value = getattr(row, order.key)
        seconds = value.timestamp() if value is not None else 0
        return (value is None, -seconds if order.descending else seconds, -row.pk if id_descending else row.pk)

    return [row.pk for row in sorted(rows, key=position)]


def page(url: str) -> dict:
    paginator = Pagination()
    request = Request(APIRequestFactory().get(url))
    found = paginator.paginate_queryset(Complaint.objects.all(), request)
    return paginator.get_paginated_response([row.pk for row in found]).data


@pytest.mark.parametrize("page_size", [1, 2, 3])
@pytest.mark.parametrize("ordering", list(Pagination.orderings))
def test_walking_forwards_then_back_returns_every_row_once_in_order(rows, ordering, page_size):
    forwards = [page(f"/inbox/?ordering={ordering}&page_size={page_size}")]  # not routed: only the query counts
    while forwards[-1]["next"]:
        forwards.append(page(forwards[-1]["next"]))
    backwards = [forwards[-1]]
    while backwards[-1]["previous"]:
        backwards.append(page(backwards[-1]["previous"]))

    walked = [pk for p in forwards for pk in p["results"]]
    assert walked == expected_order(rows, Pagination.orderings[ordering])
    assert [p["results"] for p in reversed(backwards)] == [p["results"] for p in forwards]
    assert forwards[0]["previous"] is None and backwards[-1]["previous"] is None


def test_a_null_cursor_is_invalid_for_a_key_that_cannot_be_null(rows):
    inbox, by_filing = "0", next(name for name, order in Pagination.orderings.items() if not order.nullable)
    next_link = page(f"/inbox/?ordering={inbox}&page_size={len(rows) - 1}")["next"]  # after a row without due time
    with pytest.raises(NotFound):
        page(next_link.replace(f"ordering={inbox}", f"ordering={by_filing}"))
