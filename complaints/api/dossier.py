"""Dossier API: the PDF itself, or (for complaints with many evidence files) a background export to follow."""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from complaints.api.base import ComplaintEndpoint
from complaints.bundle import bundle_response
from complaints.dossier import dossier_download_response, dossier_export_for, dossier_for_download
from complaints.models import DossierExport, DossierExportStatus


class PdfRenderer(BaseRenderer):
    """Lets clients ask for ``Accept: application/pdf``; the PDF itself is returned as a file response."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class ZipRenderer(BaseRenderer):
    """Lets clients ask for ``Accept: application/zip``; the bundle itself is returned as a file response."""

    media_type = "application/zip"
    format = "zip"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class DossierExportSerializer(serializers.Serializer):
    export_id = serializers.IntegerField(source="pk")
    status = serializers.ChoiceField(choices=DossierExportStatus.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    failure_message = serializers.CharField(
        read_only=True, help_text="Why the export failed (empty unless it did); request the dossier again to retry."
    )
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    def _url(self, export: DossierExport, name: str) -> str:
        return self.context["request"].build_absolute_uri(
            reverse(name, kwargs={"id": export.complaint_id, "export_id": export.pk})
        )

    def get_status_url(self, export: DossierExport) -> str:
        return self._url(export, "complaints_api:dossier-export-status")

    def get_download_url(self, export: DossierExport) -> str | None:
        if export.status != DossierExportStatus.DONE:
            return None
        return self._url(export, "complaints_api:dossier-export-download")


class DossierEndpoint(ComplaintEndpoint):
    """Anyone who can see the complaint may have its dossier; for anyone else it is missing (404)."""

    def get_export(self) -> DossierExport:
        complaint = self.get_complaint()
        try:
            return dossier_export_for(complaint, self.kwargs["export_id"])
        except DossierExport.DoesNotExist:
            raise Http404("No such dossier export.") from None


class PdfDownloadEndpoint(DossierEndpoint):
    renderer_classes = [PdfRenderer, JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        # Everything but the PDF file itself (errors, "being prepared") is JSON, whatever the client accepted.
        if isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class DossierPdfView(PdfDownloadEndpoint):
    @extend_schema(
        operation_id="complaints_dossier_pdf",
        summary="Download the complaint dossier (PDF)",
        description=(
            "The dossier PDF (facts, clocks, hash-chained timeline, evidence manifest). Complaints with more "
            "evidence files than the synchronous limit answer 202 with an export to poll instead, unless the "
            "dossier at the complaint's current chain head is already kept: it is served at once, not rendered "
            "again, until a new event moves the head."
        ),
        responses={
            (200, PdfRenderer.media_type): OpenApiResponse(
                OpenApiTypes.BINARY, description="The dossier PDF, as an attachment."
            ),
            (202, JSONRenderer.media_type): OpenApiResponse(
                DossierExportSerializer, description="Being prepared in the background."
            ),
            404: OpenApiResponse(description="No such complaint in your scope."),
        },
    )
    def get(self, request, *args, **kwargs):
        complaint = self.get_complaint()
        export = dossier_for_download(complaint=complaint, by=request.user)
        if export.status != DossierExportStatus.DONE:
            body = DossierExportSerializer(export, context={"request": request}).data
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return dossier_download_response(request, complaint, export)


class DossierExportStatusView(DossierEndpoint):
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="complaints_dossier_export_status",
        summary="Progress of a background dossier export",
        description="Status and progress (0-100) of an export; download_url is set once it is done.",
        responses={200: DossierExportSerializer, 404: OpenApiResponse(description="No such export.")},
    )
    def get(self, request, *args, **kwargs):
        export = self.get_export()
        return Response(DossierExportSerializer(export, context={"request": request}).data)


class DossierExportDownloadView(PdfDownloadEndpoint):
    @extend_schema(
        operation_id="complaints_dossier_export_download",
        summary="Download a finished background dossier export (PDF)",
        description="The PDF of a finished export, as an attachment; 404 until the export is done.",
        responses={
            (200, PdfRenderer.media_type): OpenApiResponse(
                OpenApiTypes.BINARY, description="The dossier PDF, as an attachment."
            ),
            404: OpenApiResponse(description="No such export, or not ready yet."),
        },
    )
    def get(self, request, *args, **kwargs):
        export = self.get_export()
        if export.status != DossierExportStatus.DONE:
            raise Http404("This dossier is not ready yet.")
        return dossier_download_response(request, export.complaint, export)


class EvidenceBundleView(ComplaintEndpoint):
    renderer_classes = [ZipRenderer, JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever the client accepted; only the bundle itself is a ZIP.
        if isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        operation_id="complaints_evidence_bundle",
        summary="Download the complaint's evidence bundle (ZIP)",
        description=(
            "Everything needed to check the complaint's record offline (docs/evidence-format.md): timeline.json "
            "(every event as hashed), every evidence file, the anchor proofs with their RFC 3161 tokens and the "
            "TSA certificates, the dossier PDF, and manifest.json (SHA-256 and size of each file, format_version). "
            "Check it with tools/verify_bundle.py. For the consumer who filed, the complaint's platform and "
            "regulators."
        ),
        responses={
            (200, ZipRenderer.media_type): OpenApiResponse(
                OpenApiTypes.BINARY, description="The evidence bundle, as an attachment."
            ),
            404: OpenApiResponse(description="No such complaint in your scope."),
        },
    )
    def get(self, request, *args, **kwargs):
        return bundle_response(request, self.get_complaint())
