"""The API's JSON parser: refuses over-large or over-deep bodies with a 400 before ``json`` sees them.

DRF's own parser reads the whole stream (Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` guards ``request.body`` and
forms, not the stream DRF reads), and Python's ``json`` recurses once per level of nesting: a ~100 KB body of
``[[[[…`` raised RecursionError, a 500, on every JSON endpoint.
"""

import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

# A JSON string, escapes included (unrolled so a long string is one linear scan); its brackets are text.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


def json_nesting_exceeds(text: str, max_depth: int) -> bool:
    """Whether arrays and objects in ``text`` nest deeper than ``max_depth``, brackets inside strings ignored.

    Counted on the text, without parsing it: invalid JSON is left to the parser to name.
    """
    depth = 0
    for bracket in _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


class BoundedJSONParser(JSONParser):
    """``JSONParser`` with a size cap (``PORTAL_JSON_MAX_BYTES``) and a nesting cap (``PORTAL_JSON_MAX_DEPTH``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        max_bytes = settings.PORTAL_JSON_MAX_BYTES
        # One byte over the cap is enough to know; a body of any size is never held whole.
        body = stream.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise ParseError(_("The JSON body is larger than %(limit)s bytes.") % {"limit": f"{max_bytes:,}"})
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(
                _("JSON parse error - the body is not valid %(encoding)s: %(error)s")
                % {"encoding": encoding, "error": exc}
            ) from None
        max_depth = settings.PORTAL_JSON_MAX_DEPTH
        too_deep = _("JSON parse error - arrays and objects nest deeper than %(limit)s levels.") % {"limit": max_depth}
        if json_nesting_exceeds(text, max_depth):
            raise ParseError(too_deep)
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError:  # only if the cap is set above what the interpreter's stack allows
            raise ParseError(too_deep) from None
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
