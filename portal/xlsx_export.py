"""Exports as Excel workbooks (XLSX), cell for cell the same as the CSV files of ``portal.csv_export``.

An XLSX file is a ZIP of a few XML parts (ECMA-376 / ISO/IEC 29500, SpreadsheetML); one sheet of text and number
cells needs five small fixed parts and the sheet itself, written here with the standard library.

Every cell goes through ``portal.csv_export.safe_cell`` first, so a text starting with ``=``, ``+``, ``-`` or
``@`` reads as text with a leading quote in both formats. Text is written as inline strings, which a spreadsheet
never evaluates; the guard is kept anyway so that both files say the same and a file re-saved as CSV stays safe.
Numbers the code computed (``int``, ``Decimal``, ``float``) are number cells. Characters XML 1.0 cannot carry
(control characters other than tab and line breaks) are dropped.
"""

import re
import tempfile
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.http import FileResponse, HttpResponseBase

from .csv_export import csv_response, safe_cell

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv"
FILE_FORMATS = ("csv", "xlsx")
# Kept in memory up to this size, then spilled to a temporary file.
IN_MEMORY_BYTES = 8 * 1024 * 1024
SHEET_NAME_MAX = 31

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = (
    _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELATIONSHIPS = (
    _XML + f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELATIONSHIPS = (
    _XML + f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Two cell formats: 0 plain, 1 bold (the header row).
STYLES = (
    _XML + f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    "</styleSheet>"
)
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def column_letters(index: int) -> str:
    """The spreadsheet name of the 0-based column ``index``: A … Z, AA, AB …"""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _cell(reference: str, value: Any, style: int) -> str:
    value = safe_cell(value)
    style_attribute = f' s="{style}"' if style else ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return f'<c r="{reference}"{style_attribute}><v>{value}</v></c>'
    text = _NOT_IN_XML.sub("", str(value))
    if not text:
        return ""
    return f'<c r="{reference}"{style_attribute} t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def _row(number: int, values: Iterable[Any], style: int = 0) -> str:
    cells = "".join(_cell(f"{column_letters(index)}{number}", value, style) for index, value in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def _workbook(sheet_name: str) -> str:
    name = _NOT_IN_SHEET_NAME.sub(" ", _NOT_IN_XML.sub("", sheet_name)).strip()[:SHEET_NAME_MAX] or "Sheet1"
    return (
        _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
        f'<sheets><sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def write_xlsx(file, *, header: Iterable[Any], rows: Iterable[Iterable[Any]], sheet_name: str = "Sheet1") -> None:
    """Write a one-sheet workbook to the binary ``file``: ``header`` (bold, kept in view when scrolling), then
    ``rows``, which may be a lazy iterator: the sheet is compressed as the rows come."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELATIONSHIPS)
        archive.writestr("xl/workbook.xml", _workbook(sheet_name))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELATIONSHIPS)
        archive.writestr("xl/styles.xml", STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                (
                    _XML + f'<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
                    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                    "</sheetView></sheetViews><sheetData>"
                ).encode()
            )
            # Labels (often lazy translations) are rendered in the request's language.
            sheet.write(_row(1, [str(label) for label in header], style=1).encode())
            for number, values in enumerate(rows, start=2):
                sheet.write(_row(number, values).encode())
            sheet.write(b"</sheetData></worksheet>")


def xlsx_response(
    *, filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]], sheet_name: str = "Sheet1"
) -> FileResponse:
    """A download of ``rows`` under ``header`` as a workbook, built in memory (or a temporary file if large)."""
    buffer = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)  # noqa: SIM115 - FileResponse closes it
    write_xlsx(buffer, header=header, rows=rows, sheet_name=sheet_name)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def table_response(
    *,
    file_format: str,
    filename_stem: str,
    header: Iterable[Any],
    rows: Iterable[Iterable[Any]],
    sheet_name: str = "Sheet1",
) -> HttpResponseBase:
    """The same table as ``<filename_stem>.csv`` or ``.xlsx``; ``file_format`` is one of ``FILE_FORMATS``."""
    if file_format == "xlsx":
        return xlsx_response(filename=f"{filename_stem}.xlsx", header=header, rows=rows, sheet_name=sheet_name)
    if file_format == "csv":
        return csv_response(filename=f"{filename_stem}.csv", header=header, rows=rows)
    raise ValueError(f"Unknown file format {file_format!r}; known: {', '.join(FILE_FORMATS)}")
