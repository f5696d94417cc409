"""A complaint's message thread: the consumer and the platform's staff exchange messages (a question, a
screenshot, "please check again"), and the regulators of the complaint's office read them and may post.

A message never moves the complaint: its status, clocks and ``platform_due_at`` stay as they are. Each message
appends one chained ``message_posted`` event carrying the SHA-256 of its body and of its attachments, and the
attachments go through the evidence pipeline (content sniffing, size and count caps, hashing, storage), so they
are evidence like any other file of the complaint.
"""

import hashlib
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.access import acts_as_regulator, may_post_in_thread, owns_complaint, works_for_platform_of
from portal.errors import IllegalTransition

from . import notifications
from .events import record_event
from .models import MESSAGE_MAX_LENGTH, Complaint, EventKind, EvidenceKind, Message, Party, Status
from .services import evidence_files_removed_on_failure, evidence_inspect, evidence_store, lock_complaint
from .uploads import UploadRejected

# While one of these is the status, the complaint is before a regulator, who hears of new messages too.
REGULATOR_STATUSES = (Status.TRIAGE, Status.ESCALATED, Status.ACCEPTED, Status.MEDIATION, Status.TESTING)


def thread_party(user, complaint: Complaint) -> str:
    """The party ``user`` speaks for on the complaint's thread; PermissionDenied if they may not post."""
    if not may_post_in_thread(user, complaint):
        raise PermissionDenied(_("You cannot post on this complaint's thread."))
    if owns_complaint(user, complaint):
        return Party.CONSUMER
    if works_for_platform_of(user, complaint):
        return Party.PLATFORM
    if acts_as_regulator(user):
        return Party.REGULATOR
    raise PermissionDenied(_("You cannot post on this complaint's thread."))


def body_sha256(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _validate(body: str, files: Sequence) -> str:
    errors: dict[str, list[str]] = {}
    body = (body or "").strip()
    if not body:
        errors["body"] = [_("Write a message.")]
    elif len(body) > MESSAGE_MAX_LENGTH:
        errors["body"] = [
            _("A message has at most %(limit)d characters (it has %(length)d).")
            % {"limit": MESSAGE_MAX_LENGTH, "length": len(body)}
        ]
    limit = settings.PORTAL_MESSAGE_MAX_FILES
    if len(files) > limit:
        errors["files"] = [
            ngettext(
                "Attach at most %(limit)d file to one message.", "Attach at most %(limit)d files to one message.", limit
            )
            % {"limit": limit}
        ]
    if errors:
        raise ValidationError(errors)
    return body


def message_post(
    *,
    complaint_id: int,
    by,
    body: str,
    files: Sequence[UploadedFile] = (),
    kind: str = EvidenceKind.OTHER,
) -> Message:
    """Post a message, with optional attachments, on a complaint's thread; all of it is stored or none.

    Refused on a finished complaint (resolved, closed, withdrawn: 409). A refused attachment raises a
    ``ValidationError`` under ``files`` and leaves nothing behind: no message, no evidence, no event.
    The other parties are told by e-mail after commit.
    """
    body = _validate(body, files)
    try:
        inspected = evidence_inspect([(upload, kind) for upload in files])
    except UploadRejected as rejection:
        raise ValidationError({"files": rejection.messages}) from None
    now = timezone.now()
    stored = []
    with evidence_files_removed_on_failure(stored), transaction.atomic():
        complaint = lock_complaint(by, complaint_id)
        party = thread_party(by, complaint)
        if not complaint.is_open:
            raise IllegalTransition(
                _(
                    "This complaint is finished (%(status)s): its thread takes no new messages. "
                    "Everything posted before stays readable."
                )
                % {"status": complaint.get_status_display()},
                code="thread_closed",
            )
        if inspected:
            try:
                stored += evidence_store(complaint, by=by, party=party, inspected=inspected, now=now)
            except UploadRejected as rejection:  # the complaint's file cap
                raise ValidationError({"files": rejection.messages}) from None
        message = Message.objects.create(
            complaint=complaint,
            party=party,
            author=by if getattr(by, "pk", None) else None,
            api_key=getattr(by, "api_key", None),
            body=body,
            created_at=now,
        )
        if stored:
            message.attachments.set(stored)
        record_event(
            complaint,
            kind=EventKind.MESSAGE_POSTED,
            actor=by,
            at=now,
            data={
                "message_id": message.pk,
                "party": party,
                "body_sha256": body_sha256(body),
                "attachments": [evidence.sha256 for evidence in stored],
            },
        )
        _notify(complaint, message, len(stored))
    return message


def _notify(complaint: Complaint, message: Message, attachments: int) -> None:
    """Tell every party but the author, as every other complaint event does: one e-mail through the outbox."""
    recipients: list[str] = []
    if message.party != Party.CONSUMER and complaint.consumer.email:
        recipients.append(complaint.consumer.email)
    if message.party != Party.PLATFORM:
        recipients += notifications.platform_recipients(complaint.platform_id)
    if message.party != Party.REGULATOR and complaint.status in REGULATOR_STATUSES:
        recipients += notifications.regulator_recipients(complaint.office_id)
    context = notifications.complaint_context(complaint)
    notifications.queue_email(
        "complaint_message",
        recipients,
        complaint,
        extra={
            "party": message.party,
            "body": message.body,
            "attachments": attachments,
            "url": f"{context['url']}#thread",
        },
    )
