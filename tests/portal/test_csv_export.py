"""The one CSV writer: text a spreadsheet would evaluate is shown as text, numbers stay numbers."""

import csv
import io
from decimal import Decimal

import pytest

from portal.csv_export import csv_lines, csv_response, safe_cell


def read(lines) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines).removeprefix("\ufeff"))))


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+41 22", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return"],
)
def test_text_starting_with_a_formula_character_is_prefixed_with_a_quote(text):
    assert safe_cell(text) == "'" + text


def test_a_negative_number_typed_as_text_is_prefixed_too():
    assert safe_cell("-5") == "'-5"


@pytest.mark.parametrize("number", [Decimal("-5.00"), -5, -0.5], ids=["decimal", "int", "float"])
def test_negative_numbers_computed_by_the_code_are_written_unchanged(number):
    assert safe_cell(number) == number
    (_header, row) = read(csv_lines(["amount"], [[number]]))
    assert row == [str(number)]


@pytest.mark.parametrize("text", ["KM-2026-000001", "卡盟 =HYPERLINK", "a-b", ""])
def test_ordinary_text_is_written_unchanged(text):
    assert safe_cell(text) == text


def test_none_is_an_empty_cell():
    assert safe_cell(None) == ""


def test_the_file_starts_with_a_byte_order_mark_for_spreadsheet_programs():
    assert next(iter(csv_lines(["a"], []))) == "\ufeff"


def test_header_cells_are_neutralised_like_data():
    (header,) = read(csv_lines(["=evil", "ok"], []))
    assert header == ["'=evil", "ok"]


def test_response_is_a_utf8_csv_attachment_with_every_row():
    response = csv_response(filename="x.csv", header=["订单号"], rows=iter([["=1"], ["A1"]]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    content = b"".join(response.streaming_content).decode("utf-8")
    assert read([content]) == [["订单号"], ["'=1"], ["A1"]]
