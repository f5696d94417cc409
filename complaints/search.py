"""Text search on the complaint lists: the consumer's "my complaints", the platform inbox, the regulator's desk
queue and the complaint admin, on the web and in the API (``?q=``).

One function, ``complaints_matching``, narrows a queryset that the caller has already scoped with
``complaints.selectors.complaints_visible_to`` (or a selector built on it). It only ever adds a ``filter()``, so a
search can never show a complaint the list would not show without it.

What a term matches:

- the complaint reference (``KM-2026-000123``), exactly or by its start, in any letter case;
- the order number and the payment transaction number, exactly or by their start (as typed, or upper-cased:
  ``dk2026`` finds ``DK20261125…``); the payment number only for callers who may see it
  (``portal.access.sees_payment_reference``);
- any part of the product name, in any letter case (``腾讯视频``, ``steam``);
- for callers who see complaints against more than one platform (consumers, regulators), any part of the
  platform's name, registered or as the consumer typed it for an unregistered one.

Identifiers are matched by their start, never in the middle: a prefix is what a person reads off an order page
or a payment slip, and on PostgreSQL it is an index range (the migration ``complaints/…_search_indexes``:
``varchar_pattern_ops`` indexes on the order and payment numbers; the reference has Django's ``_like`` index).
The product name is matched anywhere through a trigram index (``pg_trgm``, GIN over ``UPPER(product_name)``,
which is what ``icontains`` compares on PostgreSQL). SQLite has no such indexes; the same lookups run there as
plain ``LIKE`` scans, which is all a laptop's database needs.
"""

import re

from django import forms
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import Contains
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform
from portal.access import is_platform_staff, sees_payment_reference

from .models import Complaint

SEARCH_TERM_MAX_LENGTH = 100
# A term matching more platform names than this is too vague to narrow by platform: the first ones are used.
PLATFORMS_MATCHED_MAX = 50
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s+")
# Three letters or digits in a row: the least a trigram index can narrow a search with.
_TRIGRAM_WORD = re.compile(r"[^\W_]{3}")


def search_term(raw: str | None) -> str:
    """``raw`` as a search term: control characters read as spaces, runs of spaces made one, at most
    ``SEARCH_TERM_MAX_LENGTH`` characters. Empty means "no search"."""
    if not raw:
        return ""
    cleaned = _WHITESPACE.sub(" ", _CONTROL_CHARACTERS.sub(" ", str(raw))).strip()
    return cleaned[:SEARCH_TERM_MAX_LENGTH].strip()


def complaints_matching(complaints: QuerySet[Complaint], term: str | None, *, user) -> QuerySet[Complaint]:
    """``complaints`` (already scoped to ``user``) narrowed to those matching ``term``; all of them if the term
    is empty. ``user`` decides which fields are searched, never which complaints are."""
    term = search_term(term)
    if not term:
        return complaints
    upper = term.upper()
    prefixes = {term, upper}
    matches = Q(reference__startswith=upper)
    for prefix in prefixes:
        matches |= Q(order_number__startswith=prefix)
        if sees_payment_reference(user):
            matches |= Q(payment_reference__startswith=prefix)
    matches |= _product_contains(term)
    if not is_platform_staff(user):
        # Staff see one platform only: its name would match all of their complaints or none.
        matches |= Q(unregistered_platform_name__icontains=term)
        platform_ids = _platforms_named(term)
        if platform_ids:
            matches |= Q(platform_id__in=platform_ids)
    return complaints.filter(matches)


def _product_contains(term: str) -> Q:
    """The product name contains ``term``, in any letter case.

    A trigram index can only narrow a term that has three letters or digits in a row; asked for ``原神`` or
    ``QQ`` it reads every entry of the index (hundreds of milliseconds at a million complaints) before the
    database compares each row anyway. Such terms are written as ``LOWER(product_name) LIKE``, which the index
    does not answer, so the database compares the rows of the caller's scope instead (a platform's, an office's).
    """
    if _TRIGRAM_WORD.search(term):
        return Q(product_name__icontains=term)
    return Q(Contains(Lower("product_name"), term.lower()))


def _platforms_named(term: str) -> list[int]:
    """Ids of the registered platforms whose name contains ``term``. Read first, so that the complaint query is
    an indexed ``platform_id IN (…)`` rather than a join to every complaint's platform."""
    names = Platform.objects.filter(name__icontains=term).order_by("pk").values_list("pk", flat=True)
    return list(names[:PLATFORMS_MATCHED_MAX])


class SearchField(forms.CharField):
    """The search box of a list page: never invalid (a long or odd term is cleaned by ``search_term``), so a
    search never makes the page drop its other filters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "search",
                    "maxlength": SEARCH_TERM_MAX_LENGTH,
                    "placeholder": _("Reference, order or payment number, product"),
                    "autocomplete": "off",
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        return search_term(value)


class ListSearchForm(forms.Form):
    """A list page's search box alone (the platform inbox has it among its filters)."""

    q = SearchField()
