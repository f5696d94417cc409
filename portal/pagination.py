"""Pagination shared by every list endpoint."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Numbered pages of 25; clients may ask for up to 100 with ``?page_size=``."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class KeysetPagination(CursorPagination):
    """Opaque-cursor pages for very long lists: no COUNT(*) and no deep OFFSET scans.

    The ``id`` tie-breaker keeps the order total, so rows created in the same instant are never skipped
    or repeated between pages.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")
