"""The API's JSON parser: depth counted on the text, strings' brackets ignored; caps give a ParseError."""

import io

import pytest
from django.utils import translation
from rest_framework.exceptions import ParseError

from portal.parsers import BoundedJSONParser, json_nesting_exceeds


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("text", "deeper_than_two"),
    [
        ('[["a"]]', False),
        ('[[["a"]]]', True),
        ('{"a": {"b": {"c": 1}}}', True),
        ('[{"a": 1}, {"b": [2]}]', True),
        ('[{"a": 1}, {"b": 2}, [3], [4]]', False),
        ('["[[[[[[", "{{{{{{"]', False),
        ('{"a": "\\"[[[[[[\\""}', False),
        ('{"a": "\\\\", "b": [[["x"]]]}', True),
    ],
)
def test_nesting_is_counted_on_arrays_and_objects_outside_strings(text, deeper_than_two):
    assert json_nesting_exceeds(text, 2) is deeper_than_two


def parse(body: bytes):
    return BoundedJSONParser().parse(io.BytesIO(body), "application/json", {})


def test_valid_json_parses_as_drf_s_parser_would():
    assert parse(b'{"a": [1, "[", {"b": null}]}') == {"a": [1, "[", {"b": None}]}


def test_non_finite_numbers_are_refused_as_drf_s_strict_parser_does():
    with pytest.raises(ParseError):
        parse(b'{"amount": NaN}')


def test_a_recursion_error_is_a_parse_error_even_with_the_depth_cap_lifted(settings):
    settings.PORTAL_JSON_MAX_DEPTH = 10**6

    with pytest.raises(ParseError, match="nest deeper than"):
        parse(b"[" * 100_000 + b"]" * 100_000)


def test_a_body_over_the_cap_is_refused_without_reading_it_all(settings):
    settings.PORTAL_JSON_MAX_BYTES = 10
    stream = io.BytesIO(b'["' + b"x" * 1000 + b'"]')

    with pytest.raises(ParseError, match="larger than 10 bytes"):
        BoundedJSONParser().parse(stream, "application/json", {})
    assert stream.tell() == 11


def test_bytes_that_are_not_the_declared_charset_are_a_parse_error():
    with pytest.raises(ParseError, match="not valid utf-8"):
        parse(b'["\xff"]')
