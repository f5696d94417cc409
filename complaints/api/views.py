"""The complaints API (/api/v1/…): parse the request, call one service, render the result.

Scoping and who-may-act live in the audience base classes (``base.py``); business rules live in the services.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from complaints import services
from complaints.files import evidence_download_response
from complaints.models import Complaint
from complaints.selectors import events_visible_to, evidence_visible_to
from complaints.uploads import UploadRejected
from portal.access import sees_consumer_contact
from portal.api import FIELD_ERRORS, error
from portal.audit import log_access

from .base import (
    ComplaintEndpoint,
    ConsumerComplaintEndpoint,
    CursorOrder,
    InternalComplaintEndpoint,
    IsConsumerForWrites,
    KeyAndIdCursorPagination,
    PlatformComplaintEndpoint,
    PlatformInboxEndpoint,
    ThrottledWritesMixin,
)
from .filters import ComplaintFilter, InboxFilter
from .serializers import (
    AcceptIn,
    AssignIn,
    ComplaintDetailOut,
    ComplaintFileIn,
    ComplaintListOut,
    EventOut,
    EvidenceBatchOut,
    EvidenceOut,
    EvidenceUploadIn,
    InboxComplaintOut,
    MessageIn,
    NoteIn,
    NoteOut,
    PublicationIn,
    ReasonIn,
    RespondIn,
    RespondOut,
    WithdrawIn,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 100
# Room for multipart boundaries, part headers and the ``kind`` field around the files themselves.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


NOT_FOUND = error("No such complaint in your scope (another tenant's looks exactly like a missing one).")
FORBIDDEN = error("You can see the complaint but your role may not do this.")
ILLEGAL = error("Illegal move for the complaint's current status.")


class ComplaintRepresentationMixin:
    """Answers with the full, freshly read complaint; the consumer's contact data only for those entitled."""

    def complaint_response(
        self, complaint_id: int, *, status_code: int = status.HTTP_200_OK, headers: dict | None = None
    ) -> Response:
        complaint = (
            self.get_queryset()
            .select_related("consumer", "assigned_to")
            .prefetch_related("deadlines", "responses", "evidence")
            .get(pk=complaint_id)
        )
        return self.render_complaint(complaint, status_code=status_code, headers=headers)

    def render_complaint(
        self, complaint: Complaint, *, status_code: int = status.HTTP_200_OK, headers: dict | None = None
    ) -> Response:
        """``complaint`` as ``ComplaintDetailOut``; it must come with its deadlines, responses and evidence."""
        include_contact = sees_consumer_contact(self.request.user, complaint)
        if include_contact:
            log_access(self.request, action="personal_data_read", obj=complaint, detail=complaint.reference)
        context = {**self.get_serializer_context(), "include_consumer_contact": include_contact}
        data = ComplaintDetailOut(complaint, context=context).data
        return Response(data, status=status_code, headers=headers)


# --- the complaint list, filing, detail, timeline ------------------------------------------------------


class ComplaintListCreateView(ThrottledWritesMixin, ComplaintRepresentationMixin, ComplaintEndpoint):
    permission_classes = [IsAuthenticated, IsConsumerForWrites]
    throttle_scope = "filing"
    filterset_class = ComplaintFilter

    def get_serializer_class(self):
        return ComplaintFileIn if self.request.method == "POST" else ComplaintListOut

    @extend_schema(
        summary="List the complaints you can see",
        description="Consumers see their own, platform staff their platform's, regulators all. Newest first.",
        responses=ComplaintListOut(many=True),
        tags=["complaints"],
    )
    def get(self, request, *args, **kwargs):
        complaints = self.filter_queryset(self.get_queryset().order_by("-created_at", "-pk"))
        page = self.paginate_queryset(complaints)
        return self.get_paginated_response(ComplaintListOut(page, many=True).data)

    @extend_schema(
        summary="File a complaint (consumers)",
        description=(
            "Give `platform` (slug) or `unregistered_platform`. With an `Idempotency-Key` header a retry "
            "returns the first result with 200 and `Idempotent-Replayed: true`; the same key with another "
            "body is 409."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="Any unique string (≤ 100 characters), e.g. a UUID, per filing.",
            ),
        ],
        request=ComplaintFileIn,
        responses={
            201: ComplaintDetailOut,
            200: OpenApiResponse(ComplaintDetailOut, description="A replay of an earlier filing (same key)."),
            400: FIELD_ERRORS,
            403: error("Only consumers file complaints."),
            409: error(
                "An open complaint for this order exists (see `link`), or the key was used for another body."
            ),
            429: error("Too many filings; retry after the Retry-After header's seconds."),
        },
        tags=["complaints"],
    )
    def post(self, request, *args, **kwargs):
        idempotency_key = request.headers.get(IDEMPOTENCY_HEADER, "").strip() or None
        if idempotency_key and len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            message = _("Use at most %(max)d characters.") % {"max": IDEMPOTENCY_KEY_MAX_LENGTH}
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [message]})
        serializer = ComplaintFileIn(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        complaint, created = services.complaint_file(
            consumer=request.user,
            data=serializer.service_data(),
            idempotency_key=idempotency_key,
            with_related=True,
        )
        if created:
            # A new complaint comes back complete with its related rows: rendered without reading it back.
            return self.render_complaint(complaint, status_code=status.HTTP_201_CREATED)
        return self.complaint_response(complaint.pk, headers={"Idempotent-Replayed": "true"})


class ComplaintDetailView(ComplaintRepresentationMixin, ComplaintEndpoint):
    serializer_class = ComplaintDetailOut

    @extend_schema(
        summary="One complaint with its clocks, answers and evidence",
        description="`consumer` (contact data) is filled only for the platform concerned and regulators; "
        "such reads are written to the access log.",
        responses={200: ComplaintDetailOut, 404: NOT_FOUND},
        tags=["complaints"],
    )
    def get(self, request, *args, **kwargs):
        return self.complaint_response(self.get_complaint().pk)


class ComplaintEventsView(ComplaintEndpoint):
    serializer_class = EventOut
    pagination_class = None

    @extend_schema(
        summary="The complaint's hash-chained timeline",
        description="Every event in sequence order; `hash` = SHA-256(`prev_hash` + canonical event JSON).",
        responses={200: EventOut(many=True), 404: NOT_FOUND},
        tags=["complaints"],
    )
    def get(self, request, *args, **kwargs):
        events = events_visible_to(request.user, self.get_complaint())
        return Response(EventOut(events, many=True).data)


# --- evidence ------------------------------------------------------------------------------------------


class EvidenceUploadView(ThrottledWritesMixin, ComplaintEndpoint):
    parser_classes = [MultiPartParser]
    serializer_class = EvidenceUploadIn
    throttle_scope = "upload"

    @extend_schema(
        summary="Add evidence files",
        description=(
            "multipart/form-data: one or more `file` parts and one `kind`. All files are stored or none. "
            'One file answers with the evidence object; several with `{"evidence": [...]}`.'
        ),
        request={"multipart/form-data": EvidenceUploadIn},
        responses={
            201: PolymorphicProxySerializer(
                component_name="EvidenceUploadResult",
                serializers=[EvidenceOut, EvidenceBatchOut],
                resource_type_field_name=None,
            ),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="`file` or `kind` field messages."),
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: error("The complaint is finished."),
            413: error("The request body is larger than the upload cap."),
            429: error("Too many uploads; retry after the Retry-After header's seconds."),
        },
        tags=["evidence"],
    )
    def post(self, request, *args, **kwargs):
        complaint = self.get_complaint()
        files_cap = settings.PORTAL_EVIDENCE_MAX_BYTES * settings.PORTAL_EVIDENCE_MAX_FILES
        try:
            body_size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            body_size = 0
        if body_size > files_cap + MULTIPART_OVERHEAD_BYTES:
            raise RequestDataTooBig("evidence upload body over the cap")  # answered 413
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kind = serializer.validated_data["kind"]
        try:
            stored = services.complaint_add_evidence(
                complaint_id=complaint.pk,
                by=request.user,
                files=[(upload, kind) for upload in serializer.validated_data["file"]],
            )
        except UploadRejected as rejection:
            raise exceptions.ValidationError({"file": rejection.messages}) from None
        context = self.get_serializer_context()
        if len(stored) == 1:
            return Response(EvidenceOut(stored[0], context=context).data, status=status.HTTP_201_CREATED)
        return Response(
            {"evidence": EvidenceOut(stored, many=True, context=context).data}, status=status.HTTP_201_CREATED
        )


class EvidenceDownloadView(GenericAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Download one evidence file",
        description="Always an attachment with `X-Content-Type-Options: nosniff`; every download is logged.",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: error("No such evidence.")},
        tags=["evidence"],
    )
    def get(self, request, *args, **kwargs):
        visible = evidence_visible_to(request.user).select_related("complaint")
        evidence = get_object_or_404(visible, pk=kwargs["id"])
        return evidence_download_response(request, evidence)


# --- actions -------------------------------------------------------------------------------------------


class ComplaintActionMixin(ComplaintRepresentationMixin):
    """POST ``serializer_class`` → ``service(complaint_id=…, by=…, **fields)`` → the updated complaint."""

    service = None

    @extend_schema(
        responses={200: ComplaintDetailOut, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: ILLEGAL},
    )
    def post(self, request, *args, **kwargs):
        complaint = self.get_complaint()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.service(complaint_id=complaint.pk, by=request.user, **serializer.validated_data)
        return self.complaint_response(complaint.pk)


class ComplaintWithdrawView(ComplaintActionMixin, ConsumerComplaintEndpoint):
    """The consumer withdraws the complaint (any time before it is resolved or closed)."""

    serializer_class = WithdrawIn
    service = staticmethod(services.complaint_withdraw)


class ComplaintAcceptView(ComplaintActionMixin, ConsumerComplaintEndpoint):
    """The consumer accepts the platform's final answer, with a rating from 1 to 5."""

    serializer_class = AcceptIn
    service = staticmethod(services.complaint_accept)


class ComplaintDisputeView(ComplaintActionMixin, ConsumerComplaintEndpoint):
    """The consumer disputes the platform's final answer; the platform must answer again."""

    serializer_class = ReasonIn
    service = staticmethod(services.complaint_dispute)


class ComplaintEscalateView(ComplaintActionMixin, ConsumerComplaintEndpoint):
    """The consumer takes a disputed or overdue complaint to the regulator."""

    serializer_class = ReasonIn
    service = staticmethod(services.complaint_escalate)


class ComplaintSupplyInfoView(ComplaintActionMixin, ConsumerComplaintEndpoint):
    """The consumer answers the platform's request for information; the paused clocks resume."""

    serializer_class = MessageIn
    service = staticmethod(services.complaint_supply_info)


class ComplaintPublicationView(ComplaintActionMixin, ConsumerComplaintEndpoint):
    """The consumer publishes (redacted) or unpublishes the narrative on the platform's public page."""

    serializer_class = PublicationIn
    service = staticmethod(services.complaint_set_publication)


class ComplaintRequestInfoView(ComplaintActionMixin, PlatformComplaintEndpoint):
    """The platform asks the consumer for information; its resolution clocks pause meanwhile."""

    serializer_class = MessageIn
    service = staticmethod(services.complaint_request_info)


class ComplaintRespondView(PlatformComplaintEndpoint):
    serializer_class = RespondIn

    @extend_schema(
        summary="Answer the complaint (platform staff or API key)",
        description=(
            "A final outcome (delivered, refunded, compensated, rejected) hands the complaint to the "
            "consumer; "
            "`in_progress` (once, with `promised_by`) keeps it with the platform. Fields each outcome needs: "
            "delivered → delivered_at, delivery_method, delivery_record (masked); refunded → refund_amount, "
            "refund_reference; compensated → compensation; rejected → rejection_reason; in_progress → "
            "promised_by."
        ),
        responses={201: RespondOut, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: ILLEGAL},
        tags=["platform"],
    )
    def post(self, request, *args, **kwargs):
        complaint = self.get_complaint()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        response = services.complaint_respond(
            complaint_id=complaint.pk, by=request.user, **serializer.validated_data
        )
        return Response(RespondOut(response).data, status=status.HTTP_201_CREATED)


class ComplaintAssignView(ComplaintRepresentationMixin, PlatformComplaintEndpoint):
    serializer_class = AssignIn

    @extend_schema(
        summary="Assign the complaint to one of your platform's staff (or unassign with null)",
        description="Open to platform staff and to the platform's API keys (e.g. a ticketing integration).",
        responses={200: ComplaintDetailOut, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["platform"],
    )
    def post(self, request, *args, **kwargs):
        complaint = self.get_complaint()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.complaint_assign(
            complaint_ids=[complaint.pk], by=request.user, assignee=serializer.validated_data["assignee"]
        )
        return self.complaint_response(complaint.pk)


class ComplaintNotesView(InternalComplaintEndpoint):
    serializer_class = NoteIn
    pagination_class = None

    @extend_schema(
        summary="Internal notes (platform staff of that platform and regulators; never consumers)",
        responses={200: NoteOut(many=True), 404: NOT_FOUND},
        tags=["platform"],
    )
    def get(self, request, *args, **kwargs):
        notes = self.get_complaint().internal_notes.select_related("author")
        return Response(NoteOut(notes, many=True).data)

    @extend_schema(
        summary="Add an internal note",
        request=NoteIn,
        responses={201: NoteOut, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["platform"],
    )
    def post(self, request, *args, **kwargs):
        complaint = self.get_complaint()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.complaint_add_note(
            complaint_id=complaint.pk, by=request.user, **serializer.validated_data
        )
        return Response(NoteOut(note).data, status=status.HTTP_201_CREATED)


# --- the platform inbox --------------------------------------------------------------------------------

class InboxPagination(KeyAndIdCursorPagination):
    orderings = {
        # Most urgent first; complaints without a running platform clock after them, newest first.
        "due": CursorOrder("platform_due_at", id_descending=True, nullable=True),
        "-created_at": CursorOrder("created_at", descending=True),
    }
    default_ordering = "due"


class PlatformInboxView(PlatformInboxEndpoint):
    serializer_class = InboxComplaintOut
    filterset_class = InboxFilter
    pagination_class = InboxPagination

    @extend_schema(
        summary="Your platform's complaints, most urgent first (platform staff or API key)",
        description=(
            "`ordering=due` (default): by the earliest running (not paused) platform deadline, then complaints "
            "without one, newest first; `ordering=-created_at`: newest first. Cursor pages: follow `next` / "
            "`previous`."
        ),
        responses={200: InboxComplaintOut(many=True), 403: error("Not platform staff.")},
        tags=["platform"],
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(InboxComplaintOut(page, many=True).data)
