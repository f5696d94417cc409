"""The evidence bundle: one ZIP with everything needed to check a complaint's record without the portal.

Its layout is normative (docs/evidence-format.md, "The bundle"): ``timeline.json`` (every event in the form
that is hashed), ``evidence/`` (every file exactly as received), ``anchors/<id>/proof.json`` and ``token.tsr``
(each anchored head's Merkle path and the TSA's reply), ``tsa/ca.pem`` (the certificates the tokens chain to),
``dossier.pdf``, and ``manifest.json`` with the SHA-256 and size of every other member. ``tools/verify_bundle.py``
checks it offline.

Files are copied into the ZIP in chunks and hashed as they go; the ZIP is spooled to a temporary file past a few
megabytes, so a complaint with many large files never sits in memory.
"""

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC

from django.conf import settings
from django.http import FileResponse
from django.utils import timezone

from portal.anchoring import FORMAT_VERSION, proof_document
from portal.audit import log_access

from .anchoring import anchor_leaves
from .dossier import dossier_render_and_store, dossier_stored, needs_background_export
from .events import event_document
from .models import Complaint, DossierExport, DossierExportStatus, Event, Evidence

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
SPOOL_BYTES = 8 * 1024 * 1024
MANIFEST = "manifest.json"
TIMELINE = "timeline.json"
DOSSIER = "dossier.pdf"
TSA_CERTIFICATES = "tsa/ca.pem"


def bundle_filename(complaint: Complaint) -> str:
    return f"{complaint.reference}-evidence-bundle.zip"


def evidence_path(evidence: Evidence) -> str:
    # The stored name is random and the original may be anything: the id and the original's extension.
    extension = os.path.splitext(evidence.original_name)[1].lower()
    safe_extension = extension if extension[1:].isalnum() and len(extension) <= 10 else ""
    return f"evidence/{evidence.pk}{safe_extension}"


@dataclass
class _ManifestWriter:
    archive: zipfile.ZipFile
    files: list[dict] = field(default_factory=list)

    def write_bytes(self, path: str, content: bytes) -> None:
        self.archive.writestr(path, content)
        self.files.append({"path": path, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)})

    def write_json(self, path: str, document) -> None:
        self.write_bytes(path, (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))

    def copy_stream(self, path: str, source) -> dict:
        digest, size = hashlib.sha256(), 0
        with self.archive.open(path, "w", force_zip64=True) as member:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                member.write(chunk)
                size += len(chunk)
        entry = {"path": path, "sha256": digest.hexdigest(), "size": size}
        self.files.append(entry)
        return entry


def _dossier_for_bundle(complaint: Complaint, by) -> DossierExport | None:
    """The dossier kept at the current head; rendered now when that is quick; else the newest kept one."""
    stored = dossier_stored(complaint)
    if stored is not None:
        return stored
    if not needs_background_export(complaint):
        return dossier_render_and_store(complaint=complaint, by=by)
    return (
        complaint.dossier_exports.filter(status=DossierExportStatus.DONE)
        .exclude(file="")
        .order_by("-finished_at", "-pk")
        .first()
    )


def _tsa_certificates() -> bytes:
    pem = b""
    for path in settings.PORTAL_TSA_CA_CERTIFICATES:
        with open(path, "rb") as certificates:
            pem += certificates.read().strip() + b"\n"
    return pem


def write_bundle(complaint: Complaint, target, *, by=None) -> None:
    """Write ``complaint``'s evidence bundle as a ZIP into the binary file ``target``.

    ``complaint`` must come from a scoped read (``complaints_visible_to``): no access check is made here.
    """
    events = list(Event.objects.filter(complaint=complaint).order_by("sequence"))
    evidence_items = list(Evidence.objects.filter(complaint=complaint).order_by("received_at", "pk"))
    leaves = anchor_leaves(complaint)
    dossier = _dossier_for_bundle(complaint, by)
    head = {"sequence": complaint.event_count, "hash": complaint.last_event_hash}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        writer = _ManifestWriter(archive)
        writer.write_json(
            TIMELINE,
            {
                "format_version": FORMAT_VERSION,
                "complaint": complaint.reference,
                "events": [event_document(event) for event in events],
                "head": head,
            },
        )
        evidence_entries = []
        for evidence in evidence_items:
            path = evidence_path(evidence)
            try:
                stored = evidence.file.open("rb")
            except OSError:
                # Left out, not papered over: the verifier then names the evidence its event records.
                logger.error("evidence %s: file missing from storage, left out of the bundle", evidence.pk)
                continue
            with stored:
                entry = writer.copy_stream(path, stored)
            evidence_entries.append(
                {
                    "evidence_id": evidence.pk,
                    "path": path,
                    "sha256": entry["sha256"],
                    "size": entry["size"],
                    "original_name": evidence.original_name,
                    "content_type": evidence.content_type,
                    "received_at": evidence.received_at.astimezone(UTC).isoformat(),
                }
            )
        for leaf in leaves:
            folder = f"anchors/{leaf.anchor_id}"
            writer.write_json(f"{folder}/proof.json", proof_document(leaf))
            writer.write_bytes(f"{folder}/token.tsr", bytes(leaf.anchor.token))
        if leaves and (certificates := _tsa_certificates()):
            writer.write_bytes(TSA_CERTIFICATES, certificates)
        dossier_entry = None
        if dossier is not None:
            with dossier.file.open("rb") as pdf:
                writer.copy_stream(DOSSIER, pdf)
            dossier_entry = {"path": DOSSIER, "head_hash": dossier.head_hash}
        manifest = {
            "format_version": FORMAT_VERSION,
            "complaint": complaint.reference,
            "generated_at": timezone.now().astimezone(UTC).isoformat(),
            "head": head,
            "files": writer.files,
            "evidence": evidence_entries,
            "dossier": dossier_entry,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")


def bundle_response(request, complaint: Complaint) -> FileResponse:
    """The bundle of a complaint fetched through a scoped read, as a logged attachment."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - FileResponse closes it
    write_bundle(complaint, spool, by=request.user)
    spool.seek(0)
    log_access(request, action="bundle_download", obj=complaint, detail=complaint.reference)
    response = FileResponse(
        spool, as_attachment=True, filename=bundle_filename(complaint), content_type="application/zip"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
