"""Reading the PDFs the portal renders, for assertions: text, embedded fonts, images, pages.

Pure Python (pypdf), so the suite needs no poppler-utils binaries. Text extraction differs from pdftotext in
its spacing (CJK runs may come out with or without spaces, lines wrap at other places), so assertions on
text should compare ``compact(text)``, which drops all whitespace, unless the spaces matter.
"""

import io
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

FONT_FILE_KEYS = ("/FontFile", "/FontFile2", "/FontFile3")
NOTO_CJK = re.compile(r"NotoSans(Mono)?CJK", re.IGNORECASE)


@dataclass(frozen=True)
class PdfFont:
    """A font a page uses: its /BaseFont (a subset's carries a "ABCDEF+" tag) and whether its program is in
    the file (the "emb" column of pdffonts)."""

    name: str
    subtype: str
    embedded: bool


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def page_count(pdf: bytes) -> int:
    return len(reader(pdf).pages)


def pdf_text(pdf: bytes) -> str:
    """The text of every page, pages separated by a newline."""
    return "\n".join(page.extract_text() or "" for page in reader(pdf).pages)


def compact(text: str) -> str:
    """``text`` without any whitespace: hashes wrapped at a column edge and spaced-out CJK become findable."""
    return re.sub(r"\s+", "", text)


def pdf_fonts(pdf: bytes) -> list[PdfFont]:
    """Every font the pages (and the forms they draw) use, once each, in the order first met."""
    fonts: dict[int | str, PdfFont] = {}
    for page in reader(pdf).pages:
        for key, font in _resources_of_kind(page.get("/Resources"), "/Font"):
            if key not in fonts:
                fonts[key] = _describe_font(font)
    return list(fonts.values())


def noto_cjk_fonts(pdf: bytes) -> list[PdfFont]:
    """The Noto Sans (Mono) CJK fonts among ``pdf_fonts``.

    WeasyPrint names a subset "TSPJMR+Noto-Sans-CJK-SC" (or "…Noto-Sans-Mono-CJK-SC"); other producers write
    "NotoSansCJKsc-Regular": the comparison ignores the dashes and the case.
    """
    return [font for font in pdf_fonts(pdf) if NOTO_CJK.search(font.name.replace("-", ""))]


def pdf_images(pdf: bytes) -> list[tuple[int, int]]:
    """(width, height) of each raster image the pages draw, once per image object; soft masks are not counted."""
    images: dict[int | str, tuple[int, int]] = {}
    for page in reader(pdf).pages:
        for key, xobject in _resources_of_kind(page.get("/Resources"), "/XObject"):
            if xobject.get("/Subtype") == "/Image" and key not in images:
                images[key] = (int(xobject["/Width"]), int(xobject["/Height"]))
    return list(images.values())


def _resources_of_kind(resources, kind: str, seen: set | None = None):
    """(identity, object) of every entry of ``kind`` in ``resources``, following form XObjects' own resources."""
    seen = set() if seen is None else seen
    resources = _resolve(resources)
    if not isinstance(resources, DictionaryObject):
        return
    entries = _resolve(resources.get(kind))
    for name, reference in (entries or {}).items():
        yield _identity(reference, name), _resolve(reference)
    for reference in (_resolve(resources.get("/XObject")) or {}).values():
        identity = _identity(reference, id(reference))
        xobject = _resolve(reference)
        if identity in seen or xobject.get("/Subtype") != "/Form":
            continue
        seen.add(identity)
        yield from _resources_of_kind(xobject.get("/Resources"), kind, seen)


def _describe_font(font: DictionaryObject) -> PdfFont:
    """A composite (Type0) font's program lives in its descendant CIDFont's descriptor."""
    descriptors = [font.get("/FontDescriptor")]
    for descendant in _resolve(font.get("/DescendantFonts")) or []:
        descriptors.append(_resolve(descendant).get("/FontDescriptor"))
    embedded = any(
        key in descriptor for descriptor in map(_resolve, descriptors) if descriptor for key in FONT_FILE_KEYS
    )
    return PdfFont(
        name=str(font.get("/BaseFont", "")).lstrip("/"), subtype=str(font.get("/Subtype")), embedded=embedded
    )


def _resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def _identity(reference, fallback) -> int | str:
    return reference.idnum if isinstance(reference, IndirectObject) else f"direct:{fallback}"
