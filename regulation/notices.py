"""The desk's written notices: 不予受理告知书, 受理告知书 and 终止调解告知书 (Order 121 Art. 15, Art. 23, Art. 25).

A decision writes its notice row (number, ground, reason) in its own transaction; the PDF is rendered after
commit, stored once with the SHA-256 of its bytes, and a ``notice_issued`` event enters the complaint's chain. A
termination notice meets the 7-working-day clock of Art. 23 when it is issued. Who may read a notice is decided
by ``notices_visible_to``: the consumer all of theirs, the platform those addressed to it, regulators every one.
"""

import hashlib
import logging
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from complaints import rulebook
from complaints.calendar import SHANGHAI
from complaints.deadlines import meet_clocks
from complaints.events import record_event
from complaints.models import ClockKind, Complaint, EventKind, GroundKind, NoticeKind, NoticeTemplate, Party
from complaints.selectors import complaints_visible_to, unscoped_complaints_for_system
from portal.access import acts_as_regulator, is_platform_staff
from portal.pdf import render_pdf
from portal.sequences import sequence_next

from .models import Notice

logger = logging.getLogger(__name__)

# 《中华人民共和国消费者权益保护法》第三十九条: the routes a refusal (Art. 15) and a termination (Art. 25) name.
CONSUMER_LAW_ART39_ROUTES = (
    "与经营者协商和解",
    "请求消费者协会或者依法成立的其他调解组织调解",
    "向有关行政部门投诉",
    "根据与经营者达成的仲裁协议提请仲裁机构仲裁",
    "向人民法院提起诉讼",
)

# The word in the notice number: 〔2026〕不受字第0001号.
NUMBER_WORDS = {NoticeKind.REFUSAL: "不受", NoticeKind.ACCEPTANCE: "受", NoticeKind.TERMINATION: "终调"}
GROUND_KINDS = {NoticeKind.REFUSAL: GroundKind.REFUSAL, NoticeKind.TERMINATION: GroundKind.TERMINATION}
# A refusal is told to the complainant (Art. 15); acceptance and termination to both parties (Art. 23).
ADDRESSED_TO_PLATFORM = {NoticeKind.REFUSAL: False, NoticeKind.ACCEPTANCE: True, NoticeKind.TERMINATION: True}


# --- reads -----------------------------------------------------------------------------------------------


def notices_visible_to(user) -> QuerySet[Notice]:
    """The notices ``user`` may read; fails closed through ``complaints_visible_to``."""
    notices = Notice.objects.filter(complaint__in=complaints_visible_to(user).values("pk"))
    if acts_as_regulator(user):
        return notices
    if is_platform_staff(user):
        return notices.filter(addressed_to_platform=True)
    return notices


def notice_event_link(event, user) -> str | None:
    """The download of the notice a ``notice_issued`` event records, for a reader it is addressed to (the page
    showing the event already holds the complaint in the reader's scope)."""
    if is_platform_staff(user) and Party.PLATFORM not in event.data.get("addressed_to", []):
        return None
    return reverse("regulation:notice-pdf", args=[event.data["notice"]])


def notice_filename(notice: Notice) -> str:
    return f"notice-{notice.kind}-{notice.year}-{notice.sequence:04d}.pdf"


def notice_pdf_response(notice: Notice) -> HttpResponse:
    """The stored PDF of ``notice`` (fetched through ``notices_visible_to``), issued first if it is not yet."""
    notice = notice_issue(notice_id=notice.pk)
    with notice.file.open("rb") as stored:
        response = HttpResponse(stored.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{notice_filename(notice)}"'
    response["X-Content-SHA256"] = notice.sha256
    return response


# --- writes --------------------------------------------------------------------------------------------


def notice_decide(
    complaint: Complaint, *, kind: str, by, at: datetime, ground_code: str = "", reason: str = ""
) -> Notice | None:
    """Write the notice of a decision on ``complaint`` (locked by the caller), numbered gap-free per kind and
    year; None when the edition in force at ``at`` has no such notice (Order 20 had none). Its PDF is rendered
    by ``notice_issue``: beat, or the first download."""
    try:
        rulebook.notice_template(kind, at)
    except NoticeTemplate.DoesNotExist:
        return None
    year = timezone.localtime(at, SHANGHAI).year
    sequence = sequence_next(scope=f"notice-{kind}", year=year)
    return Notice.objects.create(
        complaint=complaint,
        kind=kind,
        year=year,
        sequence=sequence,
        number=f"〔{year}〕{NUMBER_WORDS[kind]}字第{sequence:04d}号",
        ground_code=ground_code,
        reason=reason,
        addressed_to_platform=ADDRESSED_TO_PLATFORM[kind] and complaint.platform_id is not None,
        decided_at=at,
        decided_by=by if getattr(by, "pk", None) else None,
    )


def notice_render(notice: Notice) -> bytes:
    """The PDF of ``notice``: its ground with article and citation, the reason, and the routes left open."""
    complaint = notice.complaint
    template = rulebook.notice_template(notice.kind, notice.decided_at)
    cited = None
    if notice.ground_code:
        cited = rulebook.ground(notice.ground_code, kind=GROUND_KINDS[notice.kind], at=notice.decided_at)
    return render_pdf(
        template.template_name,
        {
            "notice": notice,
            "template": template,
            "edition": template.edition,
            "complaint": complaint,
            "consumer_name": complaint.consumer.get_full_name() or complaint.consumer.username,
            "ground": cited,
            "routes": CONSUMER_LAW_ART39_ROUTES,
            "authority": settings.PORTAL_AUTHORITY_NAME,
            "decided_on": timezone.localtime(notice.decided_at, SHANGHAI).date(),
            "filed_on": timezone.localtime(complaint.created_at, SHANGHAI).date(),
        },
    )


def notice_issue(*, notice_id: int) -> Notice:
    """Render and store the PDF of a decided notice, once: a notice already issued is returned as it is."""
    notice = Notice.objects.select_related("complaint__consumer", "complaint__platform").get(pk=notice_id)
    if notice.issued_at is not None:
        return notice
    pdf = notice_render(notice)  # outside the lock: rendering takes a while and reads nothing that changes
    now = timezone.now()
    with transaction.atomic():
        complaint = unscoped_complaints_for_system().select_for_update().get(pk=notice.complaint_id)
        notice = Notice.objects.select_for_update().get(pk=notice_id)
        if notice.issued_at is not None:
            return notice
        notice.sha256 = hashlib.sha256(pdf).hexdigest()
        notice.issued_at = now
        notice.file.save(notice_filename(notice), ContentFile(pdf), save=False)
        notice.save(update_fields=["file", "sha256", "issued_at"])
        if notice.kind == NoticeKind.TERMINATION:
            meet_clocks(complaint, [ClockKind.TERMINATION_NOTICE], now)
        addressed_to = [Party.CONSUMER, Party.PLATFORM] if notice.addressed_to_platform else [Party.CONSUMER]
        record_event(
            complaint,
            kind=EventKind.NOTICE_ISSUED,
            actor=notice.decided_by,
            at=now,
            data={
                "notice": notice.pk,
                "number": notice.number,
                "kind": notice.kind,
                "sha256": notice.sha256,
                "addressed_to": addressed_to,
            },
        )
    return notice


def notices_issue_pending(limit: int = 100) -> int:
    """Issue the decided notices not issued yet, oldest first (beat); returns how many were issued.

    One that fails to render is logged and left for the next run: it does not hold up the others.
    """
    issued = 0
    for notice_id in Notice.objects.filter(issued_at=None).order_by("pk").values_list("pk", flat=True)[:limit]:
        try:
            notice_issue(notice_id=notice_id)
        except Exception:
            logger.exception("notice %s could not be issued", notice_id)
        else:
            issued += 1
    return issued
