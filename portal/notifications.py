"""In-app notifications beside the e-mails: the one place that decides, per recipient, which channel tells them.

Every e-mail of the portal is an unsaved ``OutboxMessage`` first (``outbox.email_message``, or the complaints
app's ``notifications.outbox_message``). ``deliver`` writes it: each address that belongs to exactly one active
account is that user, and their preference for the e-mail's kind (``NotificationPreference``, both channels when
they set none) says whether the address stays on the e-mail, whether a ``Notification`` row is written, or both,
in the caller's transaction. An address that is no account (a platform's complaints contact, a configured
regulator mailbox) or is shared by several stays e-mail only: an in-app notification must never reach someone
the e-mail was not meant for. ``outbox.queue_email`` and the complaints app's ``queue_many`` both go through it,
so any new e-mail gets its in-app twin without its caller knowing.

Notifications are not complaint events: they are a user's own inbox, read by nobody else, and carry no chain.
"""

from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .access import has_account
from .models import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    User,
)

# The invitation sets the first password of an account that cannot sign in yet: only the mailbox can reach it.
EMAIL_ONLY_KINDS = frozenset({NotificationKind.STAFF_INVITATION})
# The kinds a user chooses a channel for, in the order of the preferences page.
PREFERENCE_KINDS = [kind for kind in NotificationKind if kind not in EMAIL_ONLY_KINDS]


# --- writing: the e-mail and its in-app twin ------------------------------------------------------------------


Accounts = dict[str, tuple[int, dict[str, str]]]


def accounts_by_address(addresses: Iterable[str]) -> Accounts:
    """Each address held by exactly one active account: (user id, {kind: channel}), in one query. ``deliver``
    looks them up itself unless given them: a caller that writes its e-mails under a busy lock (filing, after the
    year's number) looks them up before taking it."""
    addresses = set(addresses)
    if not addresses:
        return {}
    channels: defaultdict[int, dict[str, str]] = defaultdict(dict)
    holders: defaultdict[str, set[int]] = defaultdict(set)
    rows = User.objects.filter(email__in=addresses, is_active=True).values_list(
        "pk", "email", "notification_preferences__kind", "notification_preferences__channel"
    )
    for user_id, email, kind, channel in rows:
        holders[email].add(user_id)
        if kind is not None:
            channels[user_id][kind] = channel
    return {email: (user_id, channels[user_id]) for email, ids in holders.items() if len(ids) == 1 for user_id in ids}


def site_path(url: str | None) -> str:
    """The path of a link into this site (an e-mail's ``url``), or "" for anything else."""
    if not url or not url.startswith(settings.SITE_URL.rstrip("/") + "/"):
        return ""
    path = urlsplit(url).path
    return path if path.startswith("/") and not path.startswith("//") else ""


def deliver(messages: Iterable[OutboxMessage | None], *, accounts: Accounts | None = None) -> list[OutboxMessage]:
    """Write unsaved e-mails and their in-app notifications, each recipient by their preference, in the caller's
    transaction: one query for the accounts and one INSERT per table, whatever the number of messages.

    Returns the e-mails written (a message left with no recipient is not written), for the caller to send after
    commit."""
    messages = [message for message in messages if message is not None]
    if not messages:
        return []
    if accounts is None:
        accounts = accounts_by_address(
            address
            for message in messages
            if message.template not in EMAIL_ONLY_KINDS
            for address in message.recipients
        )
    emails: list[OutboxMessage] = []
    notifications: list[Notification] = []
    for message in messages:
        if message.template in EMAIL_ONLY_KINDS:
            emails.append(message)
            continue
        keep = []
        for address in message.recipients:
            account = accounts.get(address)
            if account is None:
                keep.append(address)
                continue
            user_id, channels = account
            channel = channels.get(message.template, NotificationChannel.BOTH)
            if channel != NotificationChannel.IN_APP:
                keep.append(address)
            if channel != NotificationChannel.EMAIL:
                notifications.append(
                    Notification(
                        recipient_id=user_id,
                        kind=message.template,
                        context=message.context,
                        complaint_id=message.complaint_id,
                        link=site_path(message.context.get("url")),
                    )
                )
        if keep:
            message.recipients = keep
            emails.append(message)
    OutboxMessage.objects.bulk_create(emails)
    Notification.objects.bulk_create(notifications)
    return emails


# --- reading ----------------------------------------------------------------------------------------------------


def notifications_for(user) -> QuerySet[Notification]:
    """The notifications of ``user``, newest first; nobody else's, ever. Raises for a caller without an account
    (anonymous, a platform's API key): there is no "all notifications" to fall back to."""
    if not has_account(user):
        raise PermissionError("notifications are read for a signed-in account only")
    return Notification.objects.filter(recipient_id=user.pk)


def unread_count(user) -> int:
    """How many notifications ``user`` has not read: one COUNT on the partial index of unread rows."""
    return notifications_for(user).filter(read_at__isnull=True).count()


def preferences_of(user) -> dict[str, str]:
    """The channel of every kind a user chooses for, with the default (both) where they chose nothing."""
    chosen = dict(NotificationPreference.objects.filter(user_id=user.pk).values_list("kind", "channel"))
    return {kind: chosen.get(kind, NotificationChannel.BOTH) for kind in PREFERENCE_KINDS}


def kind_label(kind: str) -> str:
    """The human name of a kind; a kind added to the e-mails before it has a name shows its code."""
    try:
        return str(NotificationKind(kind).label)
    except ValueError:
        return kind


def title_of(notification: Notification) -> str:
    """A notification in words, in the active language: the subject line of its e-mail."""
    try:
        return render_to_string(f"emails/{notification.kind}.subject.txt", notification.context).strip()
    except TemplateDoesNotExist:
        return kind_label(notification.kind)


def with_titles(notifications: Iterable[Notification]) -> list[Notification]:
    """``notifications`` with ``title`` set on each, for a page or an API answer."""
    notifications = list(notifications)
    for notification in notifications:
        notification.title = title_of(notification)
        notification.kind_label = kind_label(notification.kind)
    return notifications


def unread_notifications(request) -> dict:
    """Template context: the signed-in user's unread count, counted only if the page shows it (the header)."""
    user = getattr(request, "user", None)
    if not has_account(user):
        return {}
    # A callable: templates call it where they show the count, and the cache keeps it to one query per page.
    return {"unread_notification_count": cache(lambda: unread_count(user))}


# --- services ---------------------------------------------------------------------------------------------------


def notification_read(*, user, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read (again reading one keeps the first time). Another user's is
    missing (404), exactly like one that does not exist."""
    with transaction.atomic():
        notification = notifications_for(user).select_for_update().filter(pk=notification_id).first()
        if notification is None:
            raise Http404(_("No such notification."))
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def notifications_read_all(*, user) -> int:
    """Mark every unread notification of ``user`` read; returns how many were unread."""
    with transaction.atomic():
        return notifications_for(user).filter(read_at__isnull=True).update(read_at=timezone.now())


def notification_preferences_set(*, user, channels: dict[str, str]) -> dict[str, str]:
    """Set ``user``'s channel for each kind given (others keep theirs); returns every kind's channel.

    An unknown kind or channel is a ValidationError on that kind, nothing is saved."""
    if not has_account(user):
        raise PermissionError("preferences belong to a signed-in account")
    errors = {}
    for kind, channel in channels.items():
        if kind not in PREFERENCE_KINDS:
            errors[kind] = _("Not a kind of notification you can choose a channel for.")
        elif channel not in NotificationChannel.values:
            errors[kind] = _("Choose e-mail, in the portal, or both.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(user_id=user.pk, kind=kind, channel=channel) for kind, channel in channels.items()],
            update_conflicts=True,
            unique_fields=["user", "kind"],
            update_fields=["channel"],
        )
    return preferences_of(user)
