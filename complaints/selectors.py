"""Scoped reads. Every read of tenant data goes through ``complaints_visible_to``; it fails closed."""

from django.db.models import Count, Q, QuerySet

from platforms.models import WebhookEndpoint
from portal.access import acts_as_regulator, is_consumer, is_platform_staff, office_scope

from .models import OPEN_STATUSES, PLATFORM_TURN_STATUSES, Complaint, Event, Evidence, Message, WebhookDelivery


class MissingUserContext(RuntimeError):
    """A read of tenant data was attempted without saying on whose behalf."""


def complaints_visible_to(user) -> QuerySet[Complaint]:
    """The complaints ``user`` may see: for regulators those of their office and the offices below it (all for
    the national supervisor), their platform's for staff, their own for consumers.

    No user, an anonymous user or an inactive account raises instead of returning everything; a regulator
    without an office sees none (``portal.access.office_scope``).
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise MissingUserContext("complaints_visible_to needs an authenticated user")
    if not user.is_active:
        return Complaint.objects.none()
    if acts_as_regulator(user):
        return Complaint.objects.filter(office_scope(user).filter("office"))
    if is_platform_staff(user):
        return Complaint.objects.filter(platform_id=user.platform_id)
    if is_consumer(user):
        return Complaint.objects.filter(consumer_id=user.pk)
    return Complaint.objects.none()


def unscoped_complaints_for_system() -> QuerySet[Complaint]:
    """Every complaint, for system jobs (sweeps, statistics, load tools). Never use it for a user's request."""
    return Complaint.objects.all()


def evidence_visible_to(user) -> QuerySet[Evidence]:
    return Evidence.objects.filter(complaint__in=complaints_visible_to(user).values("pk"))


def events_visible_to(user, complaint: Complaint) -> QuerySet[Event]:
    # The complaint was fetched through the scoped selector; its events are public to everyone who sees it.
    return complaint.events.select_related("actor").order_by("sequence")


def thread_messages() -> QuerySet[Message]:
    """Messages with their authors, keys and attachments (two queries whatever their number), oldest first.
    Only for ``Prefetch`` on complaints read through ``complaints_visible_to``, or through the function below."""
    return Message.objects.select_related("author", "api_key").prefetch_related("attachments").order_by(
        "created_at", "pk"
    )


def messages_visible_to(user, complaint: Complaint) -> QuerySet[Message]:
    """The thread of a complaint fetched through ``complaints_visible_to``: whoever sees the complaint reads all
    of it (its consumer, its platform's staff and keys, the regulators whose office scope holds it)."""
    return thread_messages().filter(complaint=complaint)


def workspace_overview(user) -> dict[str, int]:
    """The counts on the platform workspace's home page, in one query over ``user``'s complaints."""
    return complaints_visible_to(user).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        awaiting_answer=Count("pk", filter=Q(status__in=PLATFORM_TURN_STATUSES)),
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, is_overdue=True)),
        unassigned=Count("pk", filter=Q(status__in=PLATFORM_TURN_STATUSES, assigned_to__isnull=True)),
        mine=Count("pk", filter=Q(status__in=OPEN_STATUSES, assigned_to=user)),
    )


def webhook_delivery_log(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Deliveries to ``endpoint``, newest first; ``pk`` breaks ties so pages never overlap or skip a row."""
    return endpoint.deliveries.order_by("-created_at", "-pk")
