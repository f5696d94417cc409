"""Chargeback pack pages: build the pack for the payment channel, follow its progress, download it."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .chargeback import (
    chargeback_complaint_for,
    chargeback_download_response,
    chargeback_pack_for,
    chargeback_pack_request,
)
from .models import DossierExportStatus


def _pack_urls(complaint_id: int, pack_id: int) -> dict[str, str]:
    kwargs = {"pk": complaint_id, "pack_id": pack_id}
    return {
        "status_json_url": reverse("complaints:chargeback-status-json", kwargs=kwargs),
        "download_url": reverse("complaints:chargeback-download", kwargs=kwargs),
    }


@require_POST
@login_required
def chargeback_request(request, pk: int):
    complaint = chargeback_complaint_for(request.user, pk)
    pack = chargeback_pack_request(complaint=complaint, by=request.user)
    return redirect("complaints:chargeback-status", pk=complaint.pk, pack_id=pack.pk)


@require_GET
@login_required
def chargeback_status(request, pk: int, pack_id: int):
    complaint = chargeback_complaint_for(request.user, pk)
    pack = chargeback_pack_for(complaint, pack_id)
    return render(
        request,
        "complaints/chargeback_status.html",
        {"complaint": complaint, "pack": pack, **_pack_urls(complaint.pk, pack.pk)},
    )


@require_GET
@login_required
def chargeback_status_json(request, pk: int, pack_id: int):
    complaint = chargeback_complaint_for(request.user, pk)
    pack = chargeback_pack_for(complaint, pack_id)
    urls = _pack_urls(complaint.pk, pack.pk)
    return JsonResponse(
        {
            "status": pack.status,
            "progress": pack.progress,
            "failure_message": pack.failure_message,
            "download_url": urls["download_url"] if pack.status == DossierExportStatus.DONE else None,
        }
    )


@require_GET
@login_required
def chargeback_download(request, pk: int, pack_id: int):
    complaint = chargeback_complaint_for(request.user, pk)
    pack = chargeback_pack_for(complaint, pack_id)
    if pack.status != DossierExportStatus.DONE:
        raise Http404("This chargeback pack is not ready yet.")
    return chargeback_download_response(request, complaint, pack)
