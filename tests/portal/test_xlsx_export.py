"""portal.xlsx_export: a workbook with the same cells as the CSV, the formula guard, and XML-safe text."""

import io
import zipfile
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from portal.xlsx_export import column_letters, table_response, write_xlsx

SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def cells(header, rows) -> list[list[tuple[str, str | None, str]]]:
    """(reference, type, text) of every cell of the sheet written for ``header`` and ``rows``."""
    buffer = io.BytesIO()
    write_xlsx(buffer, header=header, rows=rows, sheet_name="导出")
    with zipfile.ZipFile(buffer) as archive:
        assert archive.testzip() is None
        ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314 - well-formed
        root = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))  # noqa: S314 - written by the test itself
    table = []
    for row in root.iter(f"{SHEET}row"):
        line = []
        for cell in row.iter(f"{SHEET}c"):
            text = cell.find(f"{SHEET}is/{SHEET}t")
            value = cell.find(f"{SHEET}v")
            line.append((cell.get("r"), cell.get("t"), text.text if text is not None else value.text))
        table.append(line)
    return table


def test_column_letters_follow_the_spreadsheet_names():
    assert [column_letters(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_numbers_are_number_cells_and_text_is_inline_text():
    table = cells(["金额", "订单号"], [[Decimal("-5.50"), "DK0001"], [3, "-5"]])
    assert table[0] == [("A1", "inlineStr", "金额"), ("B1", "inlineStr", "订单号")]
    assert table[1] == [("A2", None, "-5.50"), ("B2", "inlineStr", "DK0001")]
    # A computed number stays a number; the text "-5" is quoted like any text starting with "-".
    assert table[2] == [("A3", None, "3"), ("B3", "inlineStr", "'-5")]


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_text_is_quoted_as_in_the_csv(text):
    ((_ref, kind, value),) = cells(["x"], [[text]])[1]
    assert kind == "inlineStr" and value.startswith("'")


def test_characters_xml_cannot_carry_are_dropped_and_markup_is_escaped():
    ((_ref, _kind, value),) = cells(["x"], [['a\x00b\x07<c>&"d']])[1]
    assert value == 'ab<c>&"d'


def test_empty_and_none_cells_are_left_out():
    assert cells(["a", "b"], [[None, ""]])[1] == []


def test_table_response_refuses_an_unknown_format():
    with pytest.raises(ValueError):
        table_response(file_format="pdf", filename_stem="x", header=[], rows=[])


def test_table_response_names_the_file_after_its_format():
    response = table_response(file_format="xlsx", filename_stem="complaints-x", header=["a"], rows=[[1]])
    assert response["Content-Disposition"] == 'attachment; filename="complaints-x.xlsx"'
