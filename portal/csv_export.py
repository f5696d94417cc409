"""The one CSV writer: every export of the portal is written by ``csv_response``.

Exports carry text that consumers and platforms typed (order numbers, platform names, findings). A spreadsheet
evaluates a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab or carriage return can
hide one (OWASP "CSV Injection"), so such text cells are prefixed with a single quote and shown as text.
Numbers the code itself computed (``int``, ``Decimal``, ``float``) are data, never formulas, and stay as they are:
a refund of ``Decimal("-5")`` remains a number a spreadsheet can add up, while the text ``"-5"`` is prefixed like
any other text, since text that starts with ``-`` cannot be told apart from ``-1+cmd|…``.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A byte-order mark first, so spreadsheet programs read the Chinese text as UTF-8, not as the locale's code page.
BOM = "\ufeff"


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell: text that a spreadsheet would evaluate is quoted, ``None`` is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose ``write`` hands the line back, so ``csv.writer`` can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The file line by line: the byte-order mark, the header, then one line per row, every cell made safe."""
    writer = csv.writer(_Echo())
    # Labels (often lazy translations) are rendered now, in the request's language, not when the server
    # drains the stream.
    header_line = writer.writerow([safe_cell(str(label)) for label in header])
    return _lines(writer, header_line, rows)


def _lines(writer, header_line: str, rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    yield BOM
    yield header_line
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_response(*, filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    """A download of ``rows`` under ``header``; rows may be a lazy iterator, they are written as they come."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
