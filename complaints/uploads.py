"""Validation of uploaded evidence files by content sniffing, thumbnails, and the per-complaint file cap.

Evidence is uploaded by anonymous-ish consumers and later opened by platform staff and regulators, so every
decision here is made from the bytes, never from the client's file name or ``Content-Type`` header: both are
chosen by the uploader. The policy, in order:

1. Size: empty files and files over ``settings.PORTAL_EVIDENCE_MAX_BYTES`` are refused. The whole file is
   read (in chunks, hashing as we go) and kept in memory for the checks below; the size cap bounds it.
2. Type: ``filetype`` recognises binary formats by their magic numbers; our own checks add MP3 streams without
   an ID3 tag, AMR-WB and plain text. Anything not on the allow-list (images, PDF, text, audio) is refused,
   including executables, archives, Office files, HTML and SVG. A name that disagrees with the content is not
   an error by itself (phones name things oddly); the sniffed type wins and the name gets its extension.
3. Per-type checks: images must be a single well-formed image of sane dimensions with no HTML/JS markers in
   the bytes (polyglots); PDFs must not carry JavaScript, automatic actions or embedded files.

Everything accepted is later served only as an attachment with ``X-Content-Type-Options: nosniff``; these
checks are the second line of defence, not the only one.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import unicodedata
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

#: Largest image accepted, in pixels (width × height). A 40 MP photo is bigger than any phone camera takes; a
#: decoded RGBA image of this size already needs 160 MB, so larger ones are treated as decompression bombs.
MAX_IMAGE_PIXELS = 40_000_000

#: Longest display name kept, in characters (extension included).
MAX_NAME_LENGTH = 150

#: Budget for inflating a PDF's object streams while looking for active content (bytes, whole file).
PDF_INFLATE_BUDGET = 32 * 1024 * 1024

_CHUNK_SIZE = 64 * 1024
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class _FileType:
    content_type: str
    extension: str  # canonical extension, used when the uploaded name has none we accept
    aliases: frozenset[str]  # extensions a user may legitimately give this type (lower case)
    is_image: bool = False
    pillow_format: str | None = None


_JPEG = _FileType("image/jpeg", "jpg", frozenset({"jpg", "jpeg", "jpe", "jfif"}), True, "JPEG")
_PNG = _FileType("image/png", "png", frozenset({"png", "apng"}), True, "PNG")
_GIF = _FileType("image/gif", "gif", frozenset({"gif"}), True, "GIF")
_WEBP = _FileType("image/webp", "webp", frozenset({"webp"}), True, "WEBP")
_PDF = _FileType("application/pdf", "pdf", frozenset({"pdf"}))
_TEXT = _FileType("text/plain", "txt", frozenset({"txt", "csv", "log", "text"}))
_MP3 = _FileType("audio/mpeg", "mp3", frozenset({"mp3"}))
_M4A = _FileType("audio/mp4", "m4a", frozenset({"m4a", "mp4", "aac"}))
_AAC = _FileType("audio/aac", "aac", frozenset({"aac"}))
_WAV = _FileType("audio/wav", "wav", frozenset({"wav", "wave"}))
_AMR = _FileType("audio/amr", "amr", frozenset({"amr", "awb"}))
_OGG = _FileType("audio/ogg", "ogg", frozenset({"ogg", "oga", "opus"}))

# filetype's MIME answer -> our type. Anything filetype recognises that is not listed here is refused.
_ALLOWED_BY_FILETYPE_MIME: dict[str, _FileType] = {
    "image/jpeg": _JPEG,
    "image/png": _PNG,
    "image/apng": _PNG,
    "image/gif": _GIF,
    "image/webp": _WEBP,
    "application/pdf": _PDF,
    "audio/mpeg": _MP3,
    "audio/mp4": _M4A,
    "audio/aac": _AAC,
    "audio/x-wav": _WAV,
    "audio/amr": _AMR,
    "audio/ogg": _OGG,
}

# Executable formats filetype does not know (Mach-O, Java class) or that we want refused before any other
# reading of the bytes (a shebang script is otherwise valid text).
_EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)

# A text file whose first non-blank character opens a tag is a markup document (HTML, SVG, XML), not a chat
# log.
_MARKUP_START = re.compile(r"<[A-Za-z!?/]")

# HTML/JS markers that have no business inside image bytes. Each is at least five fixed bytes so that
# compressed image data hits one by chance with odds around 1 in 10^4 for a 10 MB file; a bare "<svg" would be
# 1 in 50.
_POLYGLOT_MARKERS = re.compile(
    rb"<(?:script|html|iframe|object|embed|body|svg[\s/>]|\?php)|javascript:|on(?:error|load)\s*=",
)

# PDF names that run code or act without the reader asking: JavaScript, automatic actions (open/page/field
# events), launching programs, embedded files (an .exe inside a "receipt"), forms that submit or import data.
# Long names are looked for everywhere, stream bodies included: seven or more fixed bytes never occur in
# compressed data by chance. Short ones ("/JS" plus a delimiter turns up in about one 10 MB PDF in 25) are
# looked for outside stream bodies only; an action using them also names /JavaScript, /Launch… anyway.
_ACTIVE_PDF_LONG_NAMES = frozenset(
    {
        "JavaScript",
        "OpenAction",
        "Launch",
        "EmbeddedFile",
        "EmbeddedFiles",
        "RichMedia",
        "SubmitForm",
        "ImportData",
    }
)
_ACTIVE_PDF_NAMES = _ACTIVE_PDF_LONG_NAMES | {"JS", "AA", "XFA", "GoToE"}
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_PDF_ENDSTREAM = b"endstream"

# MPEG audio bitrates (kbit/s) by (version is MPEG-1, layer) and sample rates (Hz) by version bits.
_MP3_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_SAMPLE_RATES = {0b11: (44100, 48000, 32000), 0b10: (22050, 24000, 16000), 0b00: (11025, 12000, 8000)}

# Characters never kept in a display name: path separators are handled separately; these are the ones
# Windows refuses in names, which would otherwise break a download's Content-Disposition on that platform.
_NAME_RESERVED = re.compile(r'[<>:"|?*]')


class UploadRejected(ValidationError):
    """An uploaded evidence file is refused; ``code`` says why, the message says it to the uploader.

    A ``ValidationError`` so that a form field or a DRF serializer field reports it like any other field
    error.
    """

    def __init__(self, message: Any, code: str, params: dict[str, Any] | None = None):
        super().__init__(message, code=code, params=params)


@dataclass(frozen=True)
class InspectedFile:
    """What the content of an accepted upload turned out to be."""

    content_type: str
    extension: str
    size: int
    sha256: str
    safe_name: str
    is_image: bool


def inspect_upload(upload: UploadedFile, *, max_bytes: int | None = None) -> InspectedFile:
    """Check an uploaded evidence file by its content and describe it; raise ``UploadRejected`` if refused.

    The file is read once in chunks (hashing as it goes) and rewound afterwards, so the caller can save it.
    """
    limit = settings.PORTAL_EVIDENCE_MAX_BYTES if max_bytes is None else max_bytes
    try:
        data, sha256 = _read_bounded(upload, limit)
    finally:
        _rewind(upload)
    if not data:
        raise UploadRejected(_("The file is empty."), "empty")

    kind = _sniff(data)
    if kind.is_image:
        _check_image(data, kind)
    elif kind is _PDF:
        _check_pdf(data)

    base_name = _clean_base_name(upload.name or "")
    extension = _extension_for(base_name, kind)
    return InspectedFile(
        content_type=kind.content_type,
        extension=extension,
        size=len(data),
        sha256=sha256,
        safe_name=safe_display_name(base_name, extension),
        is_image=kind.is_image,
    )


def make_thumbnail(upload: UploadedFile, *, max_size: tuple[int, int] = (320, 320)) -> ContentFile | None:
    """Return a PNG thumbnail of an image upload (EXIF orientation applied, metadata dropped), else None.

    The original is only read, never re-encoded: evidence keeps its exact bytes (its hash is on record).
    Rendering from a fresh pixel buffer guarantees no EXIF (GPS position!) or text chunks reach the thumbnail.
    """
    try:
        data = b"".join(upload.chunks(_CHUNK_SIZE))
    finally:
        _rewind(upload)
    kind = _ALLOWED_BY_FILETYPE_MIME.get(filetype.guess_mime(data[:_SNIFF_BYTES]) or "")
    if kind is None or not kind.is_image:
        return None
    with _open_image(data) as image:
        if image.format == "JPEG":
            image.draft("RGB", max_size)  # decode at a reduced scale: much faster, less memory
        oriented = ImageOps.exif_transpose(image)
        has_alpha = oriented.mode in {"RGBA", "LA", "PA"} or "transparency" in oriented.info
        oriented = oriented.convert("RGBA" if has_alpha else "RGB")
        oriented.thumbnail(max_size, Image.Resampling.LANCZOS)
        clean = Image.frombytes(oriented.mode, oriented.size, oriented.tobytes())
    buffer = io.BytesIO()
    clean.save(buffer, format="PNG", optimize=True)
    return ContentFile(buffer.getvalue(), name="thumbnail.png")


def validate_evidence_count(existing: int, adding: int, *, limit: int | None = None) -> None:
    """Refuse adding ``adding`` files to a complaint holding ``existing`` when that would pass the cap."""
    cap = settings.PORTAL_EVIDENCE_MAX_FILES if limit is None else limit
    if existing < 0 or adding < 0:
        raise ValueError("file counts cannot be negative")
    if existing + adding > cap:
        raise UploadRejected(
            _("A complaint can have at most %(limit)d evidence files."), "too_many_files", {"limit": cap}
        )


def safe_display_name(name: str, extension: str) -> str:
    """Turn a client-supplied file name into a harmless display name ending in ``.extension``.

    Keeps only the last path component (``../``, ``..\\``, ``C:\\…`` and ``/etc/…`` reduce to a base name),
    drops control and format characters (the bidi override U+202E makes ``gnp.exe`` display as ``exe.png``),
    and puts ``extension`` in place of the name's own, so a name never claims a type the content is not.
    Falls back to ``evidence.<extension>``.
    """
    name = _clean_base_name(name)
    stem, dot, suffix = name.rpartition(".")
    if not dot or not suffix or " " in suffix or len(suffix) > 10:
        stem = name  # no extension, or "Screenshot 10.30 am": the dot was not an extension separator
    ending = f".{extension}"
    stem = stem.strip(" .")[: MAX_NAME_LENGTH - len(ending)].rstrip(" .")
    return f"{stem or 'evidence'}{ending}"


def _clean_base_name(name: str) -> str:
    """The last path component of ``name`` without control/format characters or Windows-reserved ones."""
    name = unicodedata.normalize("NFC", name)
    # Removed before splitting on separators, so that "..\x00/" or an override cannot hide a separator.
    name = "".join(char for char in name if unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Zl", "Zp"})
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"^[A-Za-z]:", "", name)  # drive-relative Windows path: "C:report.pdf"
    name = _NAME_RESERVED.sub("_", name)
    return re.sub(r"\s+", " ", name).strip(" .")  # no hidden ".files", no Windows-trailing dots


# --- reading ----------------------------------------------------------------------------------------------


def _read_bounded(upload: UploadedFile, limit: int) -> tuple[bytes, str]:
    """Read the whole upload, hashing it, and refuse it as soon as it passes ``limit`` bytes."""
    if upload.size is not None and upload.size > limit:
        raise _too_large(limit)
    digest = hashlib.sha256()
    buffer = bytearray()
    for chunk in upload.chunks(_CHUNK_SIZE):
        if len(buffer) + len(chunk) > limit:
            raise _too_large(limit)
        digest.update(chunk)
        buffer += chunk
    return bytes(buffer), digest.hexdigest()


def _too_large(limit: int) -> UploadRejected:
    megabytes = f"{limit / (1024 * 1024):.2f}".rstrip("0").rstrip(".")
    return UploadRejected(
        _("The file is larger than the %(limit)s MB limit."),
        "too_large",
        {"limit": megabytes if megabytes != "0" else "0.01"},
    )


def _rewind(upload: IO[bytes]) -> None:
    # A closed or unseekable file has no position to restore.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        upload.seek(0)


# --- sniffing ---------------------------------------------------------------------------------------------


def _type_not_allowed() -> UploadRejected:
    return UploadRejected(
        _(
            "This type of file is not accepted. Upload a photo or screenshot (JPEG, PNG, GIF, WebP), a PDF, "
            "a plain-text file (for example an exported chat log) or an audio recording "
            "(MP3, M4A, AAC, WAV, AMR, OGG)."
        ),
        "type_not_allowed",
    )


def _sniff(data: bytes) -> _FileType:
    """Decide the file's type from its bytes alone, or raise ``type_not_allowed``."""
    head = data[:_SNIFF_BYTES]
    guessed = filetype.guess_mime(head)
    if guessed == "audio/mpeg" and not _is_mp3(data):
        guessed = None  # filetype trusts three bytes ("ID3", 0xFFFB); text can start with them too
    if guessed is not None:
        kind = _ALLOWED_BY_FILETYPE_MIME.get(guessed)
        if kind is None:
            raise _type_not_allowed()
        return kind
    if head.startswith((b"#!AMR\n", b"#!AMR-WB\n")):
        return _AMR
    if head.startswith(_EXECUTABLE_MAGIC):
        raise _type_not_allowed()
    if _is_mp3(data):
        return _MP3
    if _is_text(data):
        return _TEXT
    raise _type_not_allowed()


def _is_mp3(data: bytes) -> bool:
    """True for an MPEG audio stream: a valid ID3v2 header, or a frame header followed by another one."""
    if data.startswith(b"ID3"):
        return (
            len(data) >= 10
            and data[3] in {2, 3, 4}
            and data[4] != 0xFF
            and all(byte < 0x80 for byte in data[6:10])  # ID3 sizes are "syncsafe": high bit always clear
        )
    first = _mp3_frame_length(data, 0)
    if first is None:
        return False
    # One header is four bytes of luck; two in a row at the computed distance is an MP3 stream. A file that
    # ends right after its first frame is accepted on the one header.
    return len(data) < first + 4 or _mp3_frame_length(data, first) is not None


def _mp3_frame_length(data: bytes, offset: int) -> int | None:
    """Length in bytes of the MPEG audio frame whose header starts at ``offset``, or None if there is none."""
    header = data[offset : offset + 4]
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version_bits = (header[1] >> 3) & 0b11
    layer = 4 - ((header[1] >> 1) & 0b11)  # bits 11 = layer I, 10 = II, 01 = III, 00 = reserved
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 0b11
    if version_bits == 0b01 or layer == 4 or bitrate_index in {0, 15} or rate_index == 3:
        return None
    is_mpeg1 = version_bits == 0b11
    bitrate = _MP3_BITRATES[(is_mpeg1, layer)][bitrate_index] * 1000
    sample_rate = _MP3_SAMPLE_RATES[version_bits][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 1:
        return (12 * bitrate // sample_rate + padding) * 4
    if layer == 3 and not is_mpeg1:
        return 72 * bitrate // sample_rate + padding
    return 144 * bitrate // sample_rate + padding


def _is_text(data: bytes) -> bool:
    """True for UTF-8 or GB18030 text without NULs that is not a markup document.

    Markup *documents* (a file starting with ``<html``, ``<svg``, ``<?xml``…) are refused: no one needs to
    upload a web page as evidence, and an SVG is a script container. Markup quoted *inside* a chat log is
    kept: the file is stored as ``text/plain`` and only ever served as an attachment with ``nosniff``, so no
    browser renders it.
    """
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        return False
    # GB18030 decodes many binary strings too; real text has almost no C0 control characters besides
    # tab, line breaks, form feed and the DOS end-of-file marker.
    stray_controls = sum(1 for char in text if char < " " and char not in "\t\n\r\f\v\x1a")
    if stray_controls > len(text) // 100:
        return False
    return not _MARKUP_START.match(text.lstrip("\ufeff \t\r\n"))


# --- per-type checks --------------------------------------------------------------------------------------


def _check_image(data: bytes, kind: _FileType) -> None:
    """Refuse polyglots, decompression bombs and images Pillow cannot decode completely.

    ``verify()`` checks structure (PNG chunk CRCs) but is a no-op for JPEG and GIF, so the first frame is also
    decoded in full. Truncation is checked by hand for JPEG and GIF: importing WeasyPrint sets Pillow's global
    ``ImageFile.LOAD_TRUNCATED_IMAGES = True``, after which ``load()`` silently pads a truncated image.
    The pixel count is checked before decoding anything.
    """
    if _POLYGLOT_MARKERS.search(data.lower()):
        raise UploadRejected(
            _(
                "This image also contains web page or script code and cannot be accepted. "
                "Take a new screenshot and upload that instead."
            ),
            "polyglot",
        )
    with _open_image(data) as image:
        if image.format != kind.pillow_format:
            raise _corrupt()
        try:
            image.verify()
        except Exception as error:
            raise _corrupt() from error
    if _is_truncated(data, kind):
        raise _corrupt()
    with _open_image(data) as image:
        try:
            image.load()
        except Image.DecompressionBombError as error:
            raise _image_too_large() from error
        except Exception as error:
            raise _corrupt() from error


def _is_truncated(data: bytes, kind: _FileType) -> bool:
    """True if a JPEG lacks its end-of-image marker after the last scan, or a GIF its trailer byte."""
    if kind is _JPEG:
        # 0xFFD9 cannot occur inside entropy-coded data (0xFF is stuffed there as 0xFF00).
        return data.rfind(b"\xff\xd9") < data.rfind(b"\xff\xda")
    if kind is _GIF:
        return not data.rstrip(b"\x00").endswith(b"\x3b")
    return False  # PNG: verify() reads every chunk with its CRC; WebP: the decoder checks the RIFF size


def _open_image(data: bytes) -> Image.Image:
    """Open image bytes with Pillow; refuse bombs (``image_too_large``) and undecodable data (``corrupt``)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _image_too_large() from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _corrupt() from error
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        image.close()
        raise _image_too_large()
    return image


def _image_too_large() -> UploadRejected:
    return UploadRejected(
        _("The image is too large (more than %(megapixels)d megapixels)."),
        "image_too_large",
        {"megapixels": MAX_IMAGE_PIXELS // 1_000_000},
    )


def _corrupt() -> UploadRejected:
    return UploadRejected(_("The file is damaged or incomplete and cannot be opened."), "corrupt")


def _check_pdf(data: bytes) -> None:
    """Refuse PDFs with JavaScript, automatic actions or embedded files.

    Dictionaries live either in the file's plain bytes or, since PDF 1.5, inside compressed object streams
    (``/ObjStm``): both are searched, object streams after inflating them. Names are compared after decoding
    ``#xx`` escapes (``/J#61vaScript`` is ``/JavaScript``). An object stream we cannot inflate (encrypted,
    unusual filter, too big) leaves the file unverifiable, and it is refused rather than trusted.
    """
    if _has_active_pdf_names(data, _ACTIVE_PDF_LONG_NAMES):
        raise _active_pdf()
    skeleton = bytearray()
    budget = PDF_INFLATE_BUDGET
    position = 0
    for dictionary_start, body_start, body_end in _pdf_streams(data):
        skeleton += data[position:body_start]
        position = body_end
        dictionary = data[max(0, dictionary_start - 512) : dictionary_start]
        dictionary = dictionary[dictionary.rfind(b"obj") + 3 :]  # this stream's own object (or the window)
        if b"ObjStm" not in _decode_pdf_name_escapes(dictionary):
            continue  # page content, images, fonts: no dictionaries live there
        if budget <= 0:
            raise _unverifiable_pdf()
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(data[body_start:body_end], budget)
        except zlib.error as error:
            raise _unverifiable_pdf() from error
        if inflater.unconsumed_tail:
            raise _unverifiable_pdf()
        budget -= len(inflated)
        if _has_active_pdf_names(inflated, _ACTIVE_PDF_NAMES):
            raise _active_pdf()
    skeleton += data[position:]
    if _has_active_pdf_names(bytes(skeleton), _ACTIVE_PDF_NAMES):
        raise _active_pdf()


def _pdf_streams(data: bytes) -> Iterator[tuple[int, int, int]]:
    """``(keyword_start, body_start, body_end)`` of each stream, the body ending at its ``endstream``."""
    position = 0
    while match := _PDF_STREAM.search(data, position):
        body_end = data.find(_PDF_ENDSTREAM, match.end())
        if body_end == -1:
            body_end = len(data)
        yield match.start(), match.end(), body_end
        position = body_end + len(_PDF_ENDSTREAM)


def _has_active_pdf_names(data: bytes, names: frozenset[str]) -> bool:
    for match in _PDF_NAME.finditer(data):
        name = _decode_pdf_name_escapes(match.group(1))
        if name.decode("latin-1") in names:
            return True
    return False


def _decode_pdf_name_escapes(name: bytes) -> bytes:
    return _PDF_NAME_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), name)


def _active_pdf() -> UploadRejected:
    return UploadRejected(
        _(
            "This PDF contains scripts, automatic actions or embedded files and cannot be accepted. "
            "Print it to a new PDF or upload screenshots instead."
        ),
        "active_pdf",
    )


def _unverifiable_pdf() -> UploadRejected:
    return UploadRejected(
        _(
            "This PDF could not be checked (it may be encrypted or damaged). "
            "Print it to a new PDF or upload screenshots instead."
        ),
        "unverifiable_pdf",
    )


# --- names ------------------------------------------------------------------------------------------------


def _extension_for(name: str, kind: _FileType) -> str:
    """The name's extension if it is a usual one for the sniffed type (``.jpeg``, ``.csv``), else ours."""
    suffix = name.rpartition(".")[2].strip().lower() if "." in name else ""
    return suffix if suffix in kind.aliases else kind.extension
