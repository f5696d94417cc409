"""Chargeback pack API: build the ZIP for the payment channel, follow its progress, download it.

For the consumer who filed the complaint and regulators whose scope holds it; for anyone else the complaint does
not exist (404), platform staff included.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from complaints.api.base import ComplaintEndpoint
from complaints.api.dossier import ZipRenderer
from complaints.chargeback import (
    chargeback_complaint_for,
    chargeback_download_response,
    chargeback_pack_for,
    chargeback_pack_request,
)
from complaints.models import ChargebackPack, DossierExportStatus


class ChargebackPackSerializer(serializers.Serializer):
    pack_id = serializers.IntegerField(source="pk")
    status = serializers.ChoiceField(choices=DossierExportStatus.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    failure_message = serializers.CharField(read_only=True, help_text="Why it failed (empty unless it did).")
    sha256 = serializers.CharField(help_text="SHA-256 of the ZIP, once it is done.")
    size = serializers.IntegerField(allow_null=True)
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    def _url(self, pack: ChargebackPack, name: str) -> str:
        return self.context["request"].build_absolute_uri(
            reverse(name, kwargs={"id": pack.complaint_id, "pack_id": pack.pk})
        )

    def get_status_url(self, pack: ChargebackPack) -> str:
        return self._url(pack, "complaints_api:chargeback-status")

    def get_download_url(self, pack: ChargebackPack) -> str | None:
        if pack.status != DossierExportStatus.DONE:
            return None
        return self._url(pack, "complaints_api:chargeback-download")


class ChargebackEndpoint(ComplaintEndpoint):
    renderer_classes = [JSONRenderer]

    def get_complaint(self, queryset=None):
        return chargeback_complaint_for(self.request.user, self.kwargs[self.complaint_url_kwarg])


class ChargebackRequestView(ChargebackEndpoint):
    @extend_schema(
        operation_id="complaints_chargeback_request",
        summary="Build a chargeback pack (ZIP) for the payment channel",
        description=(
            "Queues the pack: dossier PDF, payment-voucher evidence, a signed statement in Chinese for the "
            "channel's dispute process, and manifest.json with the SHA-256 and size of every file. A request "
            "while the caller's previous pack is still being built returns that pack."
        ),
        request=None,
        responses={
            202: ChargebackPackSerializer,
            404: OpenApiResponse(description="No such complaint in your scope."),
        },
    )
    def post(self, request, *args, **kwargs):
        pack = chargeback_pack_request(complaint=self.get_complaint(), by=request.user)
        body = ChargebackPackSerializer(pack, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ChargebackStatusView(ChargebackEndpoint):
    @extend_schema(
        operation_id="complaints_chargeback_status",
        summary="Progress of a chargeback pack",
        responses={200: ChargebackPackSerializer, 404: OpenApiResponse(description="No such pack.")},
    )
    def get(self, request, *args, **kwargs):
        pack = chargeback_pack_for(self.get_complaint(), self.kwargs["pack_id"])
        return Response(ChargebackPackSerializer(pack, context={"request": request}).data)


class ChargebackDownloadView(ChargebackEndpoint):
    renderer_classes = [ZipRenderer, JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        operation_id="complaints_chargeback_download",
        summary="Download a finished chargeback pack (ZIP)",
        responses={
            (200, ZipRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The pack."),
            404: OpenApiResponse(description="No such pack, or not ready yet."),
        },
    )
    def get(self, request, *args, **kwargs):
        complaint = self.get_complaint()
        pack = chargeback_pack_for(complaint, self.kwargs["pack_id"])
        if pack.status != DossierExportStatus.DONE:
            return Response({"detail": "This chargeback pack is not ready yet."}, status=status.HTTP_404_NOT_FOUND)
        return chargeback_download_response(request, complaint, pack)
