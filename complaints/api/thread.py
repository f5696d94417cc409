"""A complaint's message thread over the API: ``GET`` and ``POST /api/v1/complaints/{id}/messages/``, and
``POST …/messages/with-files/``.

Whoever sees the complaint reads its thread and may post: its consumer (token), its platform's staff and API
keys (a key posts as the platform), the regulators whose office scope holds it. Another tenant's complaint, or
one outside the office scope, answers 404 like a missing id. A message alone is JSON (``messages/``); a message
with files is multipart/form-data (``messages/with-files/``): each operation declares and parses one body type,
which keeps clients generated from the schema working.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from portal.access import owns_complaint
from portal.api import FIELD_ERRORS, error

from ..models import MESSAGE_MAX_LENGTH, EvidenceKind, Message
from ..selectors import messages_visible_to
from ..thread import message_post
from .base import ComplaintEndpoint, CursorOrder, KeyAndIdCursorPagination, ThrottledWritesMixin
from .serializers import EvidenceOut

# Room for multipart boundaries, part headers and the text fields around the files themselves.
MULTIPART_OVERHEAD_BYTES = 64 * 1024

NOT_FOUND = error("No such complaint in your scope (another tenant's looks exactly like a missing one).")


class ThreadMessageIn(serializers.Serializer):
    body = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, help_text=_("The message, plain text."))


class ThreadMessageUploadIn(ThreadMessageIn):
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False,
        default=list,
        help_text=_("Files attached to the message (repeat the part). Images, PDF, text or audio; each is evidence."),
    )
    kind = serializers.ChoiceField(
        choices=EvidenceKind.choices,
        default=EvidenceKind.OTHER,
        help_text=_("What the attached files show."),
    )


class MessageOut(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(
        help_text=_("Who wrote it, for the platform and regulators; the consumer sees the party only.")
    )
    attachments = EvidenceOut(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "party", "author", "body", "created_at", "attachments"]
        read_only_fields = fields

    def get_author(self, message: Message) -> str | None:
        if self.context.get("reader_is_consumer"):
            return None
        if message.author_id:
            return message.author.get_username()
        if message.api_key_id:
            return f"api-key:{message.api_key.prefix}"
        return None


class ThreadPagination(KeyAndIdCursorPagination):
    page_size = 50
    orderings = {
        "created_at": CursorOrder("created_at"),
        "-created_at": CursorOrder("created_at", descending=True),
    }
    default_ordering = "created_at"


class MessageEndpoint(ThrottledWritesMixin, ComplaintEndpoint):
    throttle_scope = "upload"

    def get_serializer_context(self):
        context = super().get_serializer_context()
        complaint = getattr(self, "complaint", None)
        context["reader_is_consumer"] = complaint is not None and owns_complaint(self.request.user, complaint)
        return context

    def create(self, request, serializer_class) -> Response:
        self.complaint = self.get_complaint()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        message = message_post(
            complaint_id=self.complaint.pk,
            by=request.user,
            body=data["body"],
            files=data.get("files", []),
            kind=data.get("kind", EvidenceKind.OTHER),
        )
        message = messages_visible_to(request.user, self.complaint).get(pk=message.pk)
        return Response(MessageOut(message, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)


POST_RESPONSES = {
    201: MessageOut,
    400: FIELD_ERRORS,
    403: error("Your role may not post on this complaint's thread."),
    404: NOT_FOUND,
    409: error("The complaint is finished: its thread takes no new messages."),
    429: error("Too many posts; retry after the Retry-After header's seconds."),
}
POSTING = (
    "A message never changes the complaint's status or deadlines; it appends a chained `message_posted` event "
    "and the other parties are told by e-mail. Refused (409) once the complaint is resolved, closed or withdrawn."
)


@extend_schema(tags=["complaints"])
class ComplaintMessagesView(MessageEndpoint):
    """The thread, and a message without files (JSON only: a message with files goes to ``with-files/``)."""

    serializer_class = ThreadMessageIn
    pagination_class = ThreadPagination

    @extend_schema(
        operation_id="complaints_messages_list",
        summary="The complaint's message thread, oldest first",
        description=(
            "Everyone who sees the complaint reads its whole thread. Cursor pages: follow `next` / `previous`; "
            "`ordering=-created_at` for the newest first."
        ),
        responses={200: MessageOut(many=True), 404: NOT_FOUND},
    )
    def get(self, request, *args, **kwargs):
        self.complaint = self.get_complaint()
        page = self.paginate_queryset(messages_visible_to(request.user, self.complaint))
        return self.get_paginated_response(MessageOut(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        operation_id="complaints_messages_create",
        summary="Post a message on the complaint's thread",
        description=f"JSON. To attach files, post multipart/form-data to `messages/with-files/`. {POSTING}",
        request=ThreadMessageIn,
        responses=POST_RESPONSES,
    )
    def post(self, request, *args, **kwargs):
        return self.create(request, ThreadMessageIn)


@extend_schema(tags=["complaints"])
class ComplaintMessageWithFilesView(MessageEndpoint):
    """A message with files: multipart only, parsed and declared here alone (one body type per operation keeps
    generated clients working)."""

    parser_classes = [MultiPartParser]
    serializer_class = ThreadMessageUploadIn

    @extend_schema(
        operation_id="complaints_messages_create_with_files",
        summary="Post a message with attached files on the complaint's thread",
        description=(
            "multipart/form-data: `body`, one or more `files` parts and an optional `kind` (default `other`). "
            "Each file becomes evidence of the complaint, checked like any evidence upload; all are stored or "
            f"none, and a refused file is a 400 on `files`. {POSTING}"
        ),
        request={"multipart/form-data": ThreadMessageUploadIn},
        responses={**POST_RESPONSES, 413: error("The request body is larger than the upload cap.")},
    )
    def post(self, request, *args, **kwargs):
        cap = settings.PORTAL_EVIDENCE_MAX_BYTES * settings.PORTAL_MESSAGE_MAX_FILES + MULTIPART_OVERHEAD_BYTES
        try:
            body_size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            body_size = 0
        if body_size > cap:
            raise RequestDataTooBig("message body over the cap")  # answered 413
        return self.create(request, ThreadMessageUploadIn)
