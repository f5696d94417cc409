"""PDF rendering with WeasyPrint and signing with pyHanko, shared by the complaint dossier and the penalty notice.

Templates extend ``templates/pdf/base.html`` (A4, page numbers, Noto CJK fonts). Everything a PDF shows comes
from the template context: WeasyPrint may read ``data:`` URIs and our own static files, nothing else. A
consumer's narrative or an evidence file name that smuggles in ``<img src="http://…">`` or
``file:///etc/passwd`` therefore neither leaks the server's files into the PDF nor makes the server call out
(Django autoescaping already keeps such markup as text; the fetcher is the second lock).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from weasyprint import HTML
from weasyprint.text import ffi as weasyprint_ffi
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .models import IssuedDocument

logger = logging.getLogger(__name__)

#: Shared by every rendering in the process: fontconfig's font list is built once, not per PDF.
FONT_CONFIG = FontConfiguration()

#: Image types that may be inlined. Raster only: an SVG is a document that could reference other resources.
INLINE_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


#: What to install when WeasyPrint cannot subset fonts with HarfBuzz (Debian / Ubuntu package name).
HARFBUZZ_SUBSET_PACKAGE = "libharfbuzz-subset0"
SLOW_SUBSETTING_HINT = (
    f"Install HarfBuzz-Subset >= 4.1.0 (sudo apt-get install -y {HARFBUZZ_SUBSET_PACKAGE}, or `make sysdeps`; "
    "harfbuzz on Homebrew) and restart: without it WeasyPrint subsets the Noto CJK fonts with fontTools, and a "
    "dossier takes about 30 s instead of well under one."
)


def fast_font_subsetting() -> bool:
    """Whether WeasyPrint will subset fonts with HarfBuzz, by the test ``weasyprint.pdf.fonts`` makes.

    Otherwise it falls back to fontTools, which needs 10-30 s per CJK font in every PDF (and logs "Using fontTools
    instead of HarfBuzz-Subset"): the library is loaded with ``dlopen`` at import, and version 4.1.0 is needed.
    """
    return weasyprint_ffi.harfbuzz_subset is not None and bool(weasyprint_ffi.harfbuzz.hb_version_atleast(4, 1, 0))


@checks.register(checks.Tags.compatibility)
def check_font_subsetting(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """portal.W001 at start-up (runserver, migrate, check) rather than a slow first dossier."""
    if fast_font_subsetting():
        return []
    return [
        checks.Warning(
            "WeasyPrint cannot load HarfBuzz-Subset: every PDF (dossiers, penalty notices) will take 10-30 s.",
            hint=SLOW_SUBSETTING_HINT,
            id="portal.W001",
        )
    ]


class BlockedURL(ValueError):
    """A PDF template asked WeasyPrint for a resource outside ``data:`` URIs and the static directories."""


def render_pdf(template_name: str, context: dict[str, Any], *, request: HttpRequest | None = None) -> bytes:
    """Render a Django template to HTML, then to PDF bytes with WeasyPrint.

    ``request`` only feeds the template's context processors. It is deliberately not used as the base URL:
    relative URLs resolve against the static root, so nothing is ever fetched over the network.
    """
    # The base template says whether the document will carry a signature (sign_pdf, called after rendering).
    context = {**context, "electronically_signed": signing_configured()}
    html = render_to_string(template_name, context, request=request)
    document = HTML(string=html, base_url=_static_root_url(), url_fetcher=StaticOnlyURLFetcher())
    return document.write_pdf(font_config=FONT_CONFIG)


def image_data_uri(file_bytes: bytes, content_type: str) -> str:
    """Return ``file_bytes`` as a base64 ``data:`` URI for an ``<img>`` in a PDF template.

    Only raster image types are accepted (``ValueError`` otherwise): evidence is inlined this way because the
    fetcher will not read media files, and the type comes from our sniffing, never from the uploader.
    """
    if content_type not in INLINE_IMAGE_TYPES:
        raise ValueError(f"cannot inline {content_type!r} in a PDF")
    return f"data:{content_type};base64,{base64.b64encode(file_bytes).decode('ascii')}"


class StaticOnlyURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher that serves ``data:`` URIs and files under the static directories only.

    Allowed roots are ``STATIC_ROOT`` and ``STATICFILES_DIRS``. URLs under ``STATIC_URL`` (what
    ``{% static %}`` produces) map to those roots; ``file:`` URLs are allowed only if the resolved path
    (symlinks and ``..`` followed) stays inside a root. Everything else — http(s), ftp, other files — raises
    ``BlockedURL``;
    WeasyPrint logs it and renders without the resource.
    """

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        path = self._static_path(url)
        if path is None:
            raise BlockedURL(f"PDF resources must be data: URIs or static files, not {url!r}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})

    def _static_path(self, url: str) -> Path | None:
        """The existing file inside an allowed root that ``url`` names, or None."""
        static_url = settings.STATIC_URL or "/static/"
        parts = urlsplit(url)
        if url.startswith(static_url) and "://" in static_url:
            return _find_static(unquote(url.removeprefix(static_url).split("?")[0].split("#")[0]))
        if parts.scheme.lower() != "file" or parts.netloc not in {"", "localhost"}:
            return None
        path = unquote(parts.path)
        if path.startswith(static_url):
            return _find_static(path.removeprefix(static_url))
        candidate = Path(path).resolve()
        for _prefix, root in _static_roots():
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        return None


def _static_roots() -> list[tuple[str, Path]]:
    """``(url prefix, resolved directory)`` of each allowed root; STATICFILES_DIRS may give prefixes."""
    roots: list[tuple[str, Path]] = []
    for entry in settings.STATICFILES_DIRS:
        prefix, directory = entry if isinstance(entry, tuple | list) else ("", entry)
        roots.append((prefix.strip("/"), Path(directory).resolve()))
    if settings.STATIC_ROOT:
        roots.append(("", Path(settings.STATIC_ROOT).resolve()))
    return roots


def _find_static(relative: str) -> Path | None:
    """Look ``relative`` (a path below STATIC_URL) up in the allowed roots, like the static finders do."""
    relative = relative.lstrip("/")
    for prefix, root in _static_roots():
        if prefix:
            if not relative.startswith(f"{prefix}/"):
                continue
            inside = relative.removeprefix(f"{prefix}/")
        else:
            inside = relative
        candidate = (root / inside).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    return None


def _static_root_url() -> str:
    """Base URL for relative references: the static root (it need not exist), as a ``file:`` URL."""
    root = settings.STATIC_ROOT or (settings.BASE_DIR / "staticfiles")
    return Path(root).resolve().as_uri() + "/"


# --- signing (PAdES) -----------------------------------------------------------------------------------------
# Electronic data whose integrity an electronic signature and a trusted timestamp show is accepted by the internet
# courts (SPC provisions on internet courts, Art. 11); 《电子签名法》Art. 13-14 give a reliable electronic signature
# the effect of a handwritten one. The portal signs as itself, the issuer of the document.

SIGNATURE_FIELD = "PortalSignature"


def signing_configured() -> bool:
    """Whether a signing certificate is configured (a PKCS#12 file, or a key and a certificate)."""
    return bool(settings.PORTAL_SIGNING_PKCS12 or (settings.PORTAL_SIGNING_KEY and settings.PORTAL_SIGNING_CERT))


@functools.lru_cache(maxsize=4)
def _load_signer(pkcs12: str, key: str, cert: str, chain: tuple[str, ...], passphrase: str) -> signers.SimpleSigner:
    secret = passphrase.encode() or None
    if pkcs12:
        signer = signers.SimpleSigner.load_pkcs12(pkcs12, ca_chain_files=chain or None, passphrase=secret)
    else:
        signer = signers.SimpleSigner.load(key, cert, ca_chain_files=chain or None, key_passphrase=secret)
    if signer is None:  # pyHanko logs why
        raise ImproperlyConfigured("The PDF signing key or certificate cannot be read (SIGNING_* settings).")
    return signer


def portal_signer() -> signers.SimpleSigner:
    """The portal's signer from settings, loaded once per set of paths."""
    return _load_signer(
        settings.PORTAL_SIGNING_PKCS12,
        settings.PORTAL_SIGNING_KEY,
        settings.PORTAL_SIGNING_CERT,
        tuple(settings.PORTAL_SIGNING_CHAIN),
        settings.PORTAL_SIGNING_PASSPHRASE,
    )


def sign_pdf(data: bytes, *, reason: str) -> bytes:
    """``data`` with a PAdES signature of the portal (an incremental update), timestamped by the TSA if one is
    configured; ``data`` unchanged when no signing certificate is configured (the PDF then says it is unsigned).

    A TSA that cannot be reached does not stop the document: it is signed without the timestamp, and the
    failure is logged (the signature then carries the signing time of the portal's clock only).
    """
    if not signing_configured():
        return data
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        reason=reason,
        location=settings.PORTAL_AUTHORITY_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    timestamper = (
        HTTPTimeStamper(settings.PORTAL_TSA_URL, timeout=settings.PORTAL_TSA_TIMEOUT)
        if settings.PORTAL_TSA_URL
        else None
    )
    try:
        return _sign(data, metadata, timestamper)
    except TimestampRequestError:
        logger.warning("the TSA did not answer: PDF signed without a timestamp", exc_info=True)
        return _sign(data, metadata, None)


def _sign(data: bytes, metadata: signers.PdfSignatureMetadata, timestamper) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    signed = signers.sign_pdf(writer, metadata, signer=portal_signer(), timestamper=timestamper)
    return signed.getvalue()


@checks.register(checks.Tags.security)
def check_pdf_signing(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """portal.I001 in production without a signing certificate: PDFs are then issued unsigned."""
    if settings.DEBUG or signing_configured():
        return []
    return [
        checks.Info(
            "No PDF signing certificate is configured: dossiers and penalty notices are issued unsigned.",
            hint="Set SIGNING_PKCS12_FILE (or SIGNING_KEY_FILE and SIGNING_CERT_FILE); see docs/operations.md.",
            id="portal.I001",
        )
    ]


def record_issued_document(*, kind: str, data: bytes, reference: str, obj) -> IssuedDocument:
    """Keep the SHA-256 of a PDF handed out (an identical one is kept once), for /verify/."""
    document, _created = IssuedDocument.objects.get_or_create(
        sha256=hashlib.sha256(data).hexdigest(),
        defaults={
            "kind": kind,
            "size": len(data),
            "reference": reference,
            "object_type": obj._meta.label_lower,
            "object_id": str(obj.pk),
            "signed": signing_configured(),
            "issued_at": timezone.now(),
        },
    )
    return document
