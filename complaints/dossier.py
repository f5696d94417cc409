"""The complaint dossier (投诉证据材料): one PDF a consumer can take to payment-channel arbitration, 12315
or a lawyer, with every fact, clock, timeline event and evidence hash needed to check the record
independently.

Small complaints are rendered in the request; complaints with many evidence files are rendered by a Celery
task into a ``DossierExport`` whose progress the requester can follow. Either way the PDF is kept as a finished
``DossierExport`` stamped with the chain head it was rendered from: while the complaint's head has not moved
(no event since), every download serves that file instead of rendering again. Everything the dossier shows about
the complaint changes only with an event, and the PDF does not depend on who downloads it, so the head is the
whole key (the platform's registry details are shown as they were at the render, whose time the PDF prints).
Only the newest finished dossier of a complaint is kept.
"""

import base64
import io
import logging
import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache

import holidays
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse
from django.utils import timezone, translation

from portal.audit import log_access
from portal.celery import enqueue
from portal.models import IssuedDocumentKind
from portal.pdf import image_data_uri, record_issued_document, render_pdf, sign_pdf

from .anchoring import head_anchor
from .calendar import SHANGHAI
from .events import verify_chain
from .models import (
    ClockCounting,
    ClockKind,
    Complaint,
    Deadline,
    DossierExport,
    DossierExportStatus,
    Event,
    Evidence,
    Response,
)
from .selectors import thread_messages

logger = logging.getLogger(__name__)

DOSSIER_LANGUAGE = "zh-hans"
READY_COOKIE = "dossier_ready"
READY_TOKEN = re.compile(r"[a-z0-9]{8,40}")
ProgressCallback = Callable[[int], None]

# Progress milestones of a background export, in percent.
PROGRESS_STARTED = 5
PROGRESS_LOADED = 10
PROGRESS_IMAGES_DONE = 80
PROGRESS_RENDERED = 95

# Reasons calendar.day_status gives for non-working days that are not named public holidays.
SKIPPED_DAY_REASONS_ZH = {"weekend": "周末", "regulator exception": "监管部门调整"}

DOSSIER_PREFETCH = (
    "platform",
    Prefetch("events", queryset=Event.objects.order_by("sequence")),
    Prefetch("evidence", queryset=Evidence.objects.order_by("received_at", "pk")),
    Prefetch("responses", queryset=Response.objects.select_related("responder").order_by("created_at")),
    Prefetch("deadlines", queryset=Deadline.objects.order_by("started_at", "due_at")),
    Prefetch("messages", queryset=thread_messages()),
)


@lru_cache(maxsize=16)
def _china_holidays_zh(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year, language="zh_CN")


def _skipped_day_label(day: str, reason: str) -> str:
    """The Chinese name of a skipped date's reason, with the stored (English) reason beside it."""
    chinese = SKIPPED_DAY_REASONS_ZH.get(reason) or _china_holidays_zh(date.fromisoformat(day).year).get(day)
    return f"{chinese}（{reason}）" if chinese else reason


def _clock_facts(clock: Deadline) -> dict:
    explanation = clock.explanation or {}
    return {
        "clock": clock,
        "unit": explanation.get("unit", ""),
        "length": explanation.get("working_days", explanation.get("days")),
        "counting_from": explanation.get("counting_from", ""),
        "skipped": [
            {"date": skipped["date"], "reason": _skipped_day_label(skipped["date"], skipped["reason"])}
            for skipped in explanation.get("skipped", [])
        ],
        "pauses": explanation.get("pauses", []),
        "last_day": explanation.get("last_day", ""),
        "extension": explanation.get("extension"),
        "citation": explanation.get("citation", ""),
        "citation_en": explanation.get("citation_en", ""),
        "whole_days": explanation.get("counting") == ClockCounting.ARTICLE_45,
    }


# Event data keys whose values are clock codes: shown with the clock's name beside them.
CLOCK_KEYS = ("clock", "clocks", "clocks_paused")


def _data_summary(data: dict) -> list[tuple[str, str]]:
    """An event's data as (key, value) pairs, lists joined, so every recorded fact can be read in the PDF."""
    return [(key, _data_value(key, value)) for key, value in sorted(data.items()) if value not in (None, "", [])]


def _data_value(key: str, value) -> str:
    """The stored value as it is; a clock's code has the clock's name before it: 处理时限（resolution）."""
    if isinstance(value, list):
        return ", ".join(_data_value(key, item) for item in value)
    if key in CLOCK_KEYS and value in ClockKind.values:
        return f"{ClockKind(value).label}（{value}）"
    return str(value)


def _image_uri(evidence: Evidence) -> str | None:
    """The stored thumbnail (or, lacking one, the original image) as a data URI; None if it cannot be read."""
    stored, content_type = (
        (evidence.thumbnail, "image/png") if evidence.thumbnail else (evidence.file, evidence.content_type)
    )
    try:
        with stored.open("rb") as image:
            return image_data_uri(image.read(), content_type)
    except (OSError, ValueError):  # a missing file, or a type WeasyPrint may not inline
        logger.warning("evidence %s: image not inlined in the dossier", evidence.pk, exc_info=True)
        return None


def dossier_context(complaint: Complaint, *, on_progress: ProgressCallback | None = None) -> dict:
    """Everything the dossier shows, loaded in a fixed number of queries whatever the size of the complaint.

    ``complaint`` must come from a scoped read: this function does no access checks.
    """
    prefetch_related_objects([complaint], *DOSSIER_PREFETCH)
    events = list(complaint.events.all())
    evidence_items = list(complaint.evidence.all())
    image_count = sum(1 for evidence in evidence_items if evidence.is_image) or 1
    images_read = 0
    evidence_rows = []
    for evidence in evidence_items:
        image_uri = None
        if evidence.is_image:
            image_uri = _image_uri(evidence)
            images_read += 1
            if on_progress:
                span = PROGRESS_IMAGES_DONE - PROGRESS_LOADED
                on_progress(PROGRESS_LOADED + span * images_read // image_count)
        evidence_rows.append({"evidence": evidence, "image_uri": image_uri})
    return {
        "complaint": complaint,
        "platform": complaint.platform,
        "generated_at": timezone.now(),
        "responses": list(complaint.responses.all()),
        "messages": list(complaint.messages.all()),
        "clocks": [_clock_facts(clock) for clock in complaint.deadlines.all()],
        "events": [{"event": event, "data": _data_summary(event.data)} for event in events],
        "evidence_rows": evidence_rows,
        "head_hash": complaint.last_event_hash,
        "chain_break": verify_chain(complaint, events),
        "head_anchor": _anchor_facts(head_anchor(complaint)),
    }


def _anchor_facts(leaf) -> dict | None:
    """The head's RFC 3161 anchor as the dossier prints it: root, time, TSA, the Merkle path and the token."""
    if leaf is None:
        return None
    anchor = leaf.anchor
    return {
        "root": anchor.root,
        "gen_time": anchor.gen_time,
        "tsa": anchor.tsa_name,
        "leaf_index": leaf.leaf_index,
        "tree_size": anchor.tree_size,
        "path": leaf.path,
        "token_base64": base64.b64encode(bytes(anchor.token)).decode("ascii"),
    }


def render_dossier(complaint: Complaint, *, on_progress: ProgressCallback | None = None) -> bytes:
    """The dossier PDF (A4, Chinese, fonts embedded, signed by the portal when it has a certificate) of a
    complaint fetched through a scoped read. Its SHA-256 is kept, so /verify/ recognises it later."""
    with translation.override(DOSSIER_LANGUAGE), timezone.override(SHANGHAI):
        context = dossier_context(complaint, on_progress=on_progress)
        pdf = render_pdf("pdf/dossier.html", context)
    pdf = sign_pdf(pdf, reason=f"投诉证据材料 {complaint.reference}")
    record_issued_document(kind=IssuedDocumentKind.DOSSIER, data=pdf, reference=complaint.reference, obj=complaint)
    return pdf


def dossier_filename(complaint: Complaint) -> str:
    return f"{complaint.reference}-dossier.pdf"


def dossier_stored(complaint: Complaint) -> DossierExport | None:
    """The finished dossier rendered at the complaint's current chain head (and after its anchor, if anchored),
    if one is kept; else None."""
    if not complaint.last_event_hash:
        return None
    stored = (
        complaint.dossier_exports.filter(status=DossierExportStatus.DONE, head_hash=complaint.last_event_hash)
        .exclude(file="")
        .order_by("-finished_at", "-pk")
        .first()
    )
    # Anchoring does not move the head, but the dossier prints the head's anchor: one rendered before the anchor
    # says "not yet anchored" and is rendered again.
    anchored = head_anchor(complaint) if stored is not None else None
    if stored is not None and anchored is not None and stored.finished_at < anchored.anchor.created_at:
        return None
    return stored


def dossier_render_and_store(*, complaint: Complaint, by) -> DossierExport:
    """Render ``complaint``'s dossier in the request and keep it for the next download at the same head."""
    head_hash = complaint.last_event_hash  # what the PDF prints as the head: read before rendering
    pdf = render_dossier(complaint)
    export = DossierExport(
        complaint=complaint,
        requested_by=by if getattr(by, "pk", None) else None,
        status=DossierExportStatus.DONE,
        progress=100,
        head_hash=head_hash,
        finished_at=timezone.now(),
    )
    export.file.save(dossier_filename(complaint), ContentFile(pdf), save=False)
    export.save()
    _forget_superseded(export)
    return export


def _forget_superseded(export: DossierExport) -> None:
    """Delete the complaint's dossiers finished before ``export`` (an older head, or a concurrent render of the
    same one). The files go once the rows' deletion is committed, so a rollback never leaves a row without one."""
    older = DossierExport.objects.filter(
        complaint_id=export.complaint_id, status=DossierExportStatus.DONE, pk__lt=export.pk
    )
    names = [name for name in older.values_list("file", flat=True) if name]
    older.delete()
    storage = export.file.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


def needs_background_export(complaint: Complaint) -> bool:
    """Complaints with many evidence files take too long to render within a request."""
    return complaint.evidence.count() > settings.PORTAL_DOSSIER_ASYNC_EVIDENCE


def dossier_export_request(*, complaint: Complaint, by) -> DossierExport:
    """Queue a background render of ``complaint``'s dossier, or return the requester's unfinished one.

    A second click while the first export is still pending reuses it instead of rendering twice.
    """
    requested_by = by if getattr(by, "pk", None) else None
    with transaction.atomic():
        export = DossierExport.objects.filter(
            complaint=complaint,
            requested_by=requested_by,
            status__in=[DossierExportStatus.PENDING, DossierExportStatus.RUNNING],
        ).first()
        if export is None:
            export = DossierExport.objects.create(complaint=complaint, requested_by=requested_by)
            transaction.on_commit(lambda: _queue_render(export.pk))
    return export


def _queue_render(export_id: int) -> None:
    from .tasks import render_dossier_task

    # Nothing else would ever pick a pending export up: with the broker down, say so at once.
    if not enqueue(render_dossier_task, export_id):
        dossier_export_failed(export_id, reason=DossierExport.NOT_QUEUED)


def dossier_export_failed(export_id: int, *, reason: str) -> None:
    """Mark an unfinished export failed; ``reason`` is kept in ``error`` (a ``DossierExport`` failure code or
    an exception's text). Its requester sees why and can ask again, which starts a new export."""
    DossierExport.objects.filter(pk=export_id).exclude(status=DossierExportStatus.DONE).update(
        status=DossierExportStatus.FAILED, error=reason[:500], finished_at=timezone.now()
    )


def dossier_for_download(*, complaint: Complaint, by) -> DossierExport:
    """The dossier a download request gets: the one kept at the current chain head, else a fresh render (small
    complaints, rendered here and kept), else a background export to follow (status PENDING or RUNNING)."""
    stored = dossier_stored(complaint)
    if stored is not None:
        return stored
    if needs_background_export(complaint):
        return dossier_export_request(complaint=complaint, by=by)
    return dossier_render_and_store(complaint=complaint, by=by)


def _set_progress(export_id: int, percent: int) -> None:
    DossierExport.objects.filter(pk=export_id).update(progress=percent)


def dossier_export_run(export_id: int) -> DossierExport | None:
    """Render a queued export into the default (private) storage. Running it again is harmless.

    A finished export is left as it is; a failed or interrupted one is rendered again from the start.
    Returns None when the export no longer exists.
    """
    claimed = (
        DossierExport.objects.filter(pk=export_id)
        .exclude(status=DossierExportStatus.DONE)
        .update(status=DossierExportStatus.RUNNING, progress=PROGRESS_STARTED, error="")
    )
    export = DossierExport.objects.select_related("complaint").filter(pk=export_id).first()
    if not claimed or export is None:
        return export
    head_hash = export.complaint.last_event_hash
    try:
        pdf = render_dossier(export.complaint, on_progress=lambda percent: _set_progress(export_id, percent))
        _set_progress(export_id, PROGRESS_RENDERED)
        export.file.save(dossier_filename(export.complaint), ContentFile(pdf), save=False)
    except SoftTimeLimitExceeded:
        # The task's soft time limit: rendering again at once would hit it again, so the requester decides.
        logger.warning("dossier export %s stopped at its time limit", export_id)
        dossier_export_failed(export_id, reason=DossierExport.TIMED_OUT)
        export.refresh_from_db()
        return export
    except Exception as error:
        dossier_export_failed(export_id, reason=str(error))
        raise
    export.status = DossierExportStatus.DONE
    export.progress = 100
    export.head_hash = head_hash
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "status", "progress", "head_hash", "finished_at"])
    _forget_superseded(export)
    return export


def dossier_export_for(complaint: Complaint, export_id) -> DossierExport:
    """One export of a complaint already fetched through a scoped read; DoesNotExist for any other id."""
    return complaint.dossier_exports.get(pk=export_id)


def dossier_download_response(request, complaint: Complaint, pdf: bytes | DossierExport) -> FileResponse:
    """A dossier as a logged, never-sniffed attachment; ``pdf`` is freshly rendered or a finished export."""
    log_access(request, action="dossier_download", obj=complaint, detail=complaint.reference)
    stream = pdf.file.open("rb") if isinstance(pdf, DossierExport) else io.BytesIO(pdf)
    response = FileResponse(
        stream, as_attachment=True, filename=dossier_filename(complaint), content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    token = request.GET.get("ready", "")
    if READY_TOKEN.fullmatch(token):
        # Tells the complaint page's script that the download has started, so it can stop showing "being
        # prepared" (the browser gives a page no other sign of a finished attachment download).
        response.set_cookie(
            READY_COOKIE, token, max_age=120, path="/", samesite="Strict", secure=request.is_secure(), httponly=False
        )
    return response
