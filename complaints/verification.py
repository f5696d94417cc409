"""The public check (/verify/ and ``POST /api/v1/verify/``): does the portal hold this file?

Anyone may ask, without an account, by a file or its SHA-256. The answer says whether the portal holds the file as
evidence of a complaint or issued it as a document (a dossier, a penalty notice), since when (the time it was
received or issued, and the trusted time of the first anchor that covers it), and which complaint or decision in
masked form (KM-2026-****12). It never says who filed, what the complaint is about, or anything of the file: the
asker already has the file; the answer only confirms it. A complaint's evidence bundle (ZIP) is checked as
``tools/verify_bundle.py`` checks it offline.

Not holding a file is an answer too: ``found: false`` with status 200, never a 404 (a 404 would mean the address
is wrong, and the asker could not tell the two apart).
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle

from portal.models import AnchorLeaf, IssuedDocument
from tools.verify_bundle import verify_bundle

from .anchoring import SOURCE as COMPLAINT_SOURCE
from .models import Event, EventKind, Evidence

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
ZIP_MAGIC = b"PK\x03\x04"
#: At most this many holdings of one file are listed (the same screenshot may back several complaints).
MAX_MATCHES = 10
READ_CHUNK_BYTES = 1024 * 1024


# --- input -------------------------------------------------------------------------------------------------


def clean_sha256(value: str) -> str:
    """A SHA-256 as 64 lowercase hex digits; ValidationError with a message a person can act on otherwise."""
    digest = (value or "").strip().lower()
    if not digest:
        raise missing_input_error()
    if len(digest) != 64:
        raise ValidationError(
            _("A SHA-256 has 64 hexadecimal digits; this has %(length)d.") % {"length": len(digest)},
            code="length",
        )
    if not SHA256_HEX.fullmatch(digest):
        raise ValidationError(_("A SHA-256 has only the digits 0-9 and the letters a-f."), code="not_hex")
    return digest


def missing_input_error() -> ValidationError:
    return ValidationError(_("Paste the SHA-256 of the file, or choose the file itself."), code="required")


def both_given_error() -> ValidationError:
    return ValidationError(_("Give either a file or a SHA-256, not both."), code="both")


class HashingUploadHandler(FileUploadHandler):
    """Hashes each uploaded file while it arrives and stops the upload past ``PORTAL_VERIFY_MAX_BYTES``.

    Installed before the stock handlers, which still store the file (a bundle must be opened as a ZIP); the digests
    are kept on the request by field name (``verify_sha256s``), so nothing is read twice. An oversized upload is
    dropped unread (``verify_too_large``) and the form reports it.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.max_bytes = settings.PORTAL_VERIFY_MAX_BYTES
        self.digest = hashlib.sha256()
        self.received = 0
        self.announced_too_large = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # A body announced larger than the cap (plus the multipart framing's allowance) is refused at its first
        # chunk; raising here would escape Django's parser.
        self.request.verify_too_large = False
        self.announced_too_large = bool(content_length and content_length > self.max_bytes + 64 * 1024)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.digest = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.announced_too_large or self.received > self.max_bytes:
            self.request.verify_too_large = True
            # The rest of the body is left unread (the server closes the connection), never stored or hashed.
            raise StopUpload(connection_reset=True)
        self.digest.update(raw_data)
        return raw_data

    def file_complete(self, file_size):
        self.request.verify_sha256s = {
            **getattr(self.request, "verify_sha256s", {}),
            self.field_name: self.digest.hexdigest(),
        }
        return None  # the next handler makes the file


def install_upload_handler(request) -> None:
    """Hash uploads as they arrive; must run before the request's body is read."""
    request.upload_handlers.insert(0, HashingUploadHandler(request))


def too_large_error() -> ValidationError:
    return ValidationError(
        _("The file is larger than %(megabytes)d MB, the most this check accepts.")
        % {"megabytes": settings.PORTAL_VERIFY_MAX_BYTES // (1024 * 1024)},
        code="too_large",
    )


def file_sha256(upload: IO[bytes]) -> str:
    """The SHA-256 of a file object read in chunks (uploads not hashed on arrival, such as a test's)."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(READ_CHUNK_BYTES), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def uploaded_sha256(request, upload, *, field: str = "file") -> str:
    """The digest taken while ``field``'s file arrived, or (without the handler) read again from the file."""
    return getattr(request, "verify_sha256s", {}).get(field) or file_sha256(upload)


# --- throttling --------------------------------------------------------------------------------------------


class VerifyRateThrottle(SimpleRateThrottle):
    """One allowance per client address for the page and the API together (``PORTAL_VERIFY_RATE``)."""

    scope = "verify"

    def get_rate(self) -> str:
        return settings.PORTAL_VERIFY_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


# --- the answer --------------------------------------------------------------------------------------------


def mask_reference(reference: str) -> str:
    """A reference with all but the last two digits of its serial number starred: KM-2026-000123 → KM-2026-****23,
    〔2026〕第0007号 → 〔2026〕第**07号; a serial of one or two digits keeps only its last (杭西市监处罚〔2026〕12号 →
    杭西市监处罚〔2026〕**2号). The year and the kind of document stay; the case cannot be looked up."""
    serials = list(re.finditer(r"\d+", reference))
    if not serials:
        return "*" * len(reference)
    serial = serials[-1]
    digits = serial.group()
    masked = "*" * (len(digits) - 2) + digits[-2:] if len(digits) > 2 else "**" + digits[-1]
    return reference[: serial.start()] + masked + reference[serial.end() :]


@dataclass(frozen=True)
class Holding:
    """One way the portal holds the file: as evidence, or as a document it issued."""

    kind: str  # "evidence", "dossier", "penalty_notice"
    reference: str  # masked
    since: datetime  # received (evidence) or issued (documents)
    size: int
    signed: bool | None = None  # documents only: whether the PDF carries the portal's signature
    anchored_at: datetime | None = None  # the TSA time of the first anchor covering it, when anchored


@dataclass
class LookupResult:
    sha256: str
    holdings: list[Holding] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.holdings)


def lookup_sha256(digest: str) -> LookupResult:
    """What the portal holds with this SHA-256 (already cleaned by ``clean_sha256``), oldest first."""
    result = LookupResult(sha256=digest)
    evidence_rows = list(
        Evidence.objects.filter(sha256=digest)
        .select_related("complaint")
        .only("pk", "size", "received_at", "complaint__reference")
        .order_by("received_at", "pk")[:MAX_MATCHES]
    )
    for evidence in evidence_rows:
        result.holdings.append(
            Holding(
                kind="evidence",
                reference=mask_reference(evidence.complaint.reference),
                since=evidence.received_at,
                size=evidence.size,
                anchored_at=evidence_anchor_time(evidence),
            )
        )
    for document in IssuedDocument.objects.filter(sha256=digest).order_by("issued_at")[:MAX_MATCHES]:
        result.holdings.append(
            Holding(
                kind=document.kind,
                reference=mask_reference(document.reference),
                since=document.issued_at,
                size=document.size,
                signed=document.signed,
            )
        )
    return result


def evidence_anchor_time(evidence: Evidence) -> datetime | None:
    """The TSA time of the first anchor whose head comes at or after the event that recorded this evidence's hash,
    so the anchor proves the hash was in the chain by then; None while no anchor covers it yet."""
    recorded = (
        Event.objects.filter(
            complaint_id=evidence.complaint_id, kind=EventKind.EVIDENCE_ADDED, data__evidence_id=evidence.pk
        )
        .values_list("sequence", flat=True)
        .first()
    )
    if recorded is None:
        return None
    leaf = (
        AnchorLeaf.objects.filter(source=COMPLAINT_SOURCE, chain=evidence.complaint.reference, sequence__gte=recorded)
        .select_related("anchor")
        .order_by("anchor__gen_time")
        .first()
    )
    return leaf.anchor.gen_time if leaf else None


# --- bundles -----------------------------------------------------------------------------------------------


def looks_like_zip(upload: IO[bytes]) -> bool:
    upload.seek(0)
    magic = upload.read(len(ZIP_MAGIC))
    upload.seek(0)
    return magic == ZIP_MAGIC


@dataclass(frozen=True)
class BundleCheck:
    """What ``tools/verify_bundle.py`` found, with the complaint's reference masked."""

    ok: bool
    check: str | None
    failure: str | None
    reference: str | None
    events: int
    evidence_files: int
    head_anchored_at: str | None
    trusted_by: str  # "portal" (the portal's TSA certificates) or "bundle" (the bundle's own copy)
    held_by_portal: bool  # the bundle's chain head is a head the portal recorded


def check_bundle(upload: IO[bytes]) -> BundleCheck:
    """Verify an uploaded bundle as the standalone verifier does, trusting the portal's TSA certificates when it has
    them (otherwise the bundle's own copy, which proves the token intact but not who issued it)."""
    trusted = [Path(path).read_bytes() for path in settings.PORTAL_TSA_CA_CERTIFICATES] or None
    upload.seek(0)
    result = verify_bundle(
        upload, trusted_certificates=trusted, max_uncompressed_bytes=settings.PORTAL_VERIFY_MAX_UNPACKED_BYTES
    )
    head_hash = (result.head or {}).get("hash")
    held = bool(
        result.ok
        and head_hash
        and result.complaint
        and Event.objects.filter(complaint__reference=result.complaint, hash=head_hash).exists()
    )
    failure = result.failure
    if failure and result.complaint:
        failure = failure.replace(result.complaint, mask_reference(result.complaint))
    return BundleCheck(
        ok=result.ok,
        check=result.check,
        failure=failure,
        reference=mask_reference(result.complaint) if result.complaint else None,
        events=result.events,
        evidence_files=result.evidence_files,
        head_anchored_at=(result.head_anchor or {}).get("gen_time"),
        trusted_by="portal" if trusted else "bundle",
        held_by_portal=held,
    )


def result_document(result: LookupResult, bundle: BundleCheck | None = None) -> dict:
    """The answer as the API returns it and the page shows it (docs/api.md, "Public check")."""
    return {
        "sha256": result.sha256,
        "found": result.found,
        "holdings": [
            {
                "kind": holding.kind,
                "reference": holding.reference,
                "since": holding.since.isoformat(),
                "size": holding.size,
                "signed": holding.signed,
                "anchored_at": holding.anchored_at.isoformat() if holding.anchored_at else None,
            }
            for holding in result.holdings
        ],
        "bundle": None
        if bundle is None
        else {
            "ok": bundle.ok,
            "check": bundle.check,
            "failure": bundle.failure,
            "reference": bundle.reference,
            "events": bundle.events,
            "evidence_files": bundle.evidence_files,
            "head_anchored_at": bundle.head_anchored_at,
            "trusted_by": bundle.trusted_by,
            "held_by_portal": bundle.held_by_portal,
        },
    }


def public_check(
    *, digest: str | None = None, upload=None, upload_digest: str | None = None
) -> tuple[LookupResult, BundleCheck | None]:
    """Answer a check by a cleaned SHA-256, or by an uploaded file (hashed on arrival: ``upload_digest``); an
    uploaded ZIP is also verified as an evidence bundle."""
    if upload is None:
        return lookup_sha256(digest), None
    bundle = check_bundle(upload) if looks_like_zip(upload) else None
    return lookup_sha256(upload_digest or file_sha256(upload)), bundle
