"""Dossier pages: download the PDF, or follow a background export of a large complaint until it is ready."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from .bundle import bundle_response
from .dossier import dossier_download_response, dossier_export_for, dossier_for_download
from .models import DossierExport, DossierExportStatus
from .selectors import complaints_visible_to


def _complaint_and_export(request, pk: int, export_id: int):
    complaint = get_object_or_404(complaints_visible_to(request.user), pk=pk)
    try:
        return complaint, dossier_export_for(complaint, export_id)
    except DossierExport.DoesNotExist:
        raise Http404("No such dossier export.") from None


def _export_urls(complaint_id: int, export_id: int) -> dict[str, str]:
    kwargs = {"pk": complaint_id, "export_id": export_id}
    return {
        "status_json_url": reverse("complaints:dossier-status-json", kwargs=kwargs),
        "download_url": reverse("complaints:dossier-export-download", kwargs=kwargs),
    }


@require_GET
@login_required
def dossier_download(request, pk: int):
    complaint = get_object_or_404(complaints_visible_to(request.user), pk=pk)
    export = dossier_for_download(complaint=complaint, by=request.user)
    if export.status != DossierExportStatus.DONE:
        return redirect("complaints:dossier-status", pk=complaint.pk, export_id=export.pk)
    return dossier_download_response(request, complaint, export)


@require_GET
@login_required
def dossier_status(request, pk: int, export_id: int):
    complaint, export = _complaint_and_export(request, pk, export_id)
    return render(
        request,
        "complaints/dossier_status.html",
        {
            "complaint": complaint,
            "export": export,
            "is_unfinished": export.is_unfinished,
            **_export_urls(complaint.pk, export.pk),
        },
    )


@require_GET
@login_required
def dossier_status_json(request, pk: int, export_id: int):
    complaint, export = _complaint_and_export(request, pk, export_id)
    urls = _export_urls(complaint.pk, export.pk)
    return JsonResponse({
        "status": export.status,
        "progress": export.progress,
        "failure_message": export.failure_message,
        "download_url": urls["download_url"] if export.status == DossierExportStatus.DONE else None,
    })


@require_GET
@login_required
def dossier_export_download(request, pk: int, export_id: int):
    complaint, export = _complaint_and_export(request, pk, export_id)
    if export.status != DossierExportStatus.DONE:
        raise Http404("This dossier is not ready yet.")
    return dossier_download_response(request, complaint, export)


@require_GET
@login_required
def bundle_download(request, pk: int):
    """The evidence bundle (ZIP) for the owner, the complaint's platform and regulators; 404 for anyone else."""
    complaint = get_object_or_404(complaints_visible_to(request.user), pk=pk)
    return bundle_response(request, complaint)
