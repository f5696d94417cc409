from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from portal.pagination import StandardPagination


def page_size_for(query: str) -> int:
    request = Request(APIRequestFactory().get(f"/api/v1/things/{query}"))
    return StandardPagination().get_page_size(request)


def test_standard_pages_hold_25_items_by_default():
    assert page_size_for("") == 25


def test_clients_may_ask_for_smaller_pages():
    assert page_size_for("?page_size=10") == 10


def test_page_size_is_capped_at_100():
    assert page_size_for("?page_size=1000") == 100
