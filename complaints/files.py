"""Serving evidence: always as an attachment, never inline, never sniffed, and every download logged."""

from django.http import FileResponse

from portal.audit import log_access

from .models import Evidence


def evidence_download_response(request, evidence: Evidence, *, thumbnail: bool = False) -> FileResponse:
    """Stream an evidence file (already fetched through a scoped selector) as a download."""
    if thumbnail and evidence.thumbnail:
        response = FileResponse(evidence.thumbnail.open("rb"), content_type="image/png")
        response["Content-Disposition"] = "inline"
    else:
        log_access(request, action="evidence_download", obj=evidence, detail=evidence.complaint.reference)
        response = FileResponse(
            evidence.file.open("rb"),
            as_attachment=True,
            filename=evidence.original_name,
            content_type=evidence.content_type,
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
