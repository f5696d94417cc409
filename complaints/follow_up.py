"""Follow-up surveys (回访, Order 121 Art. 26): the consumer of a closed complaint drawn by the weekly sample is
asked whether the problem was resolved, how satisfied they are (1–5) and for a comment.

Who is asked is the regulators' choice (``regulation.follow_up`` draws the sample); this module opens the surveys
it drew and takes the answers. Both are moves on the complaint: row lock, one chained event.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import owns_complaint
from portal.errors import IllegalTransition

from . import notifications
from .calendar import SHANGHAI
from .events import record_event
from .models import Complaint, EventKind, FollowUp, Status
from .selectors import complaints_visible_to, unscoped_complaints_for_system

# The complaints a follow-up may be about: handled to the end (withdrawn ones were not).
FOLLOWED_UP_STATUSES = (Status.RESOLVED, Status.CLOSED)


def follow_ups_request(*, complaint_ids: Sequence[int], week: str, now: datetime | None = None) -> list[FollowUp]:
    """Open a survey for each complaint that has none yet, tell its consumer, and record it in the timeline.

    A system action (the weekly draw). A complaint surveyed before, or no longer closed, is skipped, so running
    the same draw again opens nothing.
    """
    now = now or timezone.now()
    expires_at = now + timedelta(days=settings.PORTAL_FOLLOW_UP_OPEN_DAYS)
    with transaction.atomic():
        complaints = list(
            unscoped_complaints_for_system()
            .select_for_update(of=("self",))
            .select_related("consumer")
            .filter(pk__in=complaint_ids, status__in=FOLLOWED_UP_STATUSES, follow_up__isnull=True)
            .order_by("pk")
        )
        follow_ups = FollowUp.objects.bulk_create(
            FollowUp(complaint=complaint, week=week, requested_at=now, expires_at=expires_at)
            for complaint in complaints
        )
        for complaint in complaints:
            record_event(
                complaint,
                kind=EventKind.FOLLOW_UP_REQUESTED,
                at=now,
                data={"week": week, "expires_at": expires_at},
            )
            if complaint.consumer.email:
                notifications.queue_email(
                    "follow_up_survey",
                    [complaint.consumer.email],
                    complaint,
                    extra={
                        "survey_url": settings.SITE_URL + reverse("complaints:follow-up", args=[complaint.pk]),
                        "expires_at": expires_at.astimezone(SHANGHAI).strftime("%Y-%m-%d"),
                    },
                    language=complaint.consumer.preferred_language,
                )
    return follow_ups


def follow_up_for_consumer(user, complaint_id: int) -> FollowUp:
    """The survey of ``user``'s own complaint; anyone else, even a regulator, gets a 404 as for a missing one."""
    follow_up = (
        follow_ups_visible_to(user).select_related("complaint", "complaint__platform").filter(complaint_id=complaint_id)
    ).first()
    if follow_up is None or not owns_complaint(user, follow_up.complaint):
        raise Http404(_("No such survey."))
    return follow_up


def follow_ups_visible_to(user) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(complaint__in=complaints_visible_to(user).values("pk"))


def follow_up_answer(*, complaint_id: int, by, resolved, rating, comment: str = "") -> FollowUp:
    """The consumer answers the survey of their complaint, once, before it expires."""
    _validate_answer(resolved=resolved, rating=rating, comment=comment)
    now = timezone.now()
    with transaction.atomic():
        try:
            complaint = complaints_visible_to(by).select_for_update().get(pk=complaint_id)
            follow_up = FollowUp.objects.select_for_update().get(complaint=complaint)
        except (Complaint.DoesNotExist, FollowUp.DoesNotExist, ValueError, TypeError):
            raise Http404(_("No such survey.")) from None
        if not owns_complaint(by, complaint):
            raise Http404(_("No such survey."))
        if follow_up.is_answered:
            raise IllegalTransition(_("This survey has already been answered. Thank you."))
        if now >= follow_up.expires_at:
            closed_on = f"{follow_up.expires_at.astimezone(SHANGHAI):%Y-%m-%d}"
            raise IllegalTransition(_("This survey closed on %(date)s.") % {"date": closed_on})
        follow_up.answered_at = now
        follow_up.resolved = resolved
        follow_up.rating = int(rating)
        follow_up.comment = comment.strip()
        follow_up.save(update_fields=["answered_at", "resolved", "rating", "comment"])
        record_event(
            complaint,
            kind=EventKind.FOLLOW_UP_ANSWERED,
            actor=by,
            at=now,
            data={"resolved": follow_up.resolved, "rating": follow_up.rating, "comment": follow_up.comment},
        )
    return follow_up


def _validate_answer(*, resolved, rating, comment: str) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(resolved, bool):
        errors["resolved"] = [_("Say whether the problem was resolved.")]
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = [_("Give a rating from 1 to 5.")]
    if not isinstance(comment, str):
        errors["comment"] = [_("The comment must be text.")]
    elif len(comment) > settings.PORTAL_FOLLOW_UP_COMMENT_MAX_LENGTH:
        errors["comment"] = [
            _("Keep the comment under %(limit)d characters.") % {"limit": settings.PORTAL_FOLLOW_UP_COMMENT_MAX_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
