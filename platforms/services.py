"""What a platform manager changes in the workspace: staff, API keys and webhooks.

Every action checks that ``by`` manages the platform concerned (PermissionDenied otherwise) and looks the
object up inside that platform only, so another platform's staff member, key or webhook is exactly as missing
as a wrong id (Http404).
"""

import ipaddress
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from portal import outbox
from portal.access import manages_platform
from portal.audit import record_act
from portal.models import AuditAction, Role, StaffRole

from .authentication import generate_api_key
from .models import ApiKey, WebhookEndpoint, WebhookEvent
from .signals import staff_deactivated, webhook_deactivated

User = get_user_model()

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def require_manager(by) -> None:
    if not manages_platform(by):
        raise PermissionDenied(_("Only managers of a platform can do that."))


def get_in_platform(queryset, by, pk):
    """The object with ``pk`` if it belongs to ``by``'s platform; otherwise as missing as a wrong id."""
    try:
        return queryset.select_for_update().get(pk=pk, platform_id=by.platform_id)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("No such object.") from None


# --- staff ---------------------------------------------------------------------------------------------


def staff_invite(*, by, username: str, email: str, staff_role: str, first_name: str = "",
                 last_name: str = "") -> User:
    """Create a staff account of the manager's platform with no password, and e-mail a link to set one.

    The link is Django's password-reset link (same token and confirmation page); it is sent through the
    outbox, so it goes out after commit and survives a broker outage.
    """
    require_manager(by)
    username, email = (username or "").strip(), (email or "").strip()
    errors: dict[str, list[str]] = {}
    if staff_role not in StaffRole.values:
        errors["staff_role"] = [_("Choose agent or manager.")]
    if not email:
        errors["email"] = [_("Give the staff member's e-mail address: the invitation goes there.")]
    elif User.objects.filter(email__iexact=email).exists():
        errors["email"] = [_("An account with this e-mail address already exists.")]
    if not username:
        errors["username"] = [_("Choose a username.")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is taken.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = User(
            username=username, email=email, first_name=first_name, last_name=last_name,
            role=Role.PLATFORM_STAFF, platform_id=by.platform_id, staff_role=staff_role,
        )
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        link = settings.SITE_URL + reverse(
            "portal:password_reset_confirm",
            kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user)},
        )
        outbox.queue_email(
            "staff_invitation", [email], {
                "platform": str(by.platform), "username": username, "invited_by": by.get_username(),
                "set_password_url": link,
            },
            language=user.preferred_language,
        )
        record_act(by=by, action=AuditAction.STAFF_INVITED, obj=user, object_repr=username, data={
            "platform": by.platform_id, "username": username, "staff_role": staff_role,
        })
    return user


def staff_deactivate(*, by, user_id: int) -> User:
    """Switch off a staff member's account (not one's own); their open complaints go back to unassigned.

    The complaints are the complaints app's: it unassigns them on ``staff_deactivated``, in this transaction.
    """
    require_manager(by)
    with transaction.atomic():
        member = get_in_platform(User.objects.filter(role=Role.PLATFORM_STAFF), by, user_id)
        if member.pk == by.pk:
            raise ValidationError(_("You cannot deactivate your own account."))
        was_active = member.is_active
        member.is_active = False
        member.save(update_fields=["is_active"])
        staff_deactivated.send(sender=User, member=member, by=by)
        record_act(by=by, action=AuditAction.STAFF_DEACTIVATED, obj=member, object_repr=member.username, data={
            "platform": member.platform_id, "is_active": {"before": was_active, "after": False},
        })
    return member


# --- API keys ------------------------------------------------------------------------------------------


def api_key_create(*, by, name: str) -> tuple[ApiKey, str]:
    """A new key for the manager's platform; returns (key, raw key). Only the hash is stored: show it once."""
    require_manager(by)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Name the key after the system that will use it.")]})
    raw_key, prefix, key_hash = generate_api_key()
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            platform_id=by.platform_id, name=name, prefix=prefix, key_hash=key_hash, created_by=by
        )
        record_act(by=by, action=AuditAction.API_KEY_CREATED, obj=api_key, data={
            "platform": api_key.platform_id, "name": name, "prefix": prefix,
        })
    return api_key, raw_key


def api_key_revoke(*, by, key_id: int) -> ApiKey:
    """Revoke a key at once; revoking a revoked key changes nothing."""
    require_manager(by)
    with transaction.atomic():
        api_key = get_in_platform(ApiKey.objects.all(), by, key_id)
        if api_key.revoked_at is None:
            api_key.revoked_at = timezone.now()
            api_key.save(update_fields=["revoked_at"])
            record_act(by=by, action=AuditAction.API_KEY_REVOKED, obj=api_key, data={
                "platform": api_key.platform_id, "name": api_key.name, "prefix": api_key.prefix,
                "revoked_at": api_key.revoked_at,
            })
    return api_key


# --- webhooks ------------------------------------------------------------------------------------------


def _validate_webhook_url(url: str) -> list[str]:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return [_("Enter a valid URL.")]
    parts = urlsplit(url)
    if parts.username or parts.password:
        return [_("Do not put credentials in the URL; verify our signature instead.")]
    host = (parts.hostname or "").lower()
    if settings.DEBUG and host in LOCAL_HOSTS:
        return []
    if _is_internal_address(host):
        # The portal's own network must not be reachable through a platform's webhook (SSRF).
        return [_("Webhooks must point to a public address.")]
    if parts.scheme == "https":
        return []
    return [_("Use an https:// URL (plain http is allowed only for a local test server).")]


def _is_internal_address(host: str) -> bool:
    if host in LOCAL_HOSTS or host.endswith((".local", ".internal", ".localhost")):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def webhook_register(*, by, url: str, events: Sequence[str]) -> WebhookEndpoint:
    """Register an endpoint for some events. Its signing secret is new and random; show it once."""
    require_manager(by)
    url = (url or "").strip()
    errors: dict[str, list[str]] = {}
    if url_errors := _validate_webhook_url(url):
        errors["url"] = url_errors
    events = sorted(set(events or []))
    if not events:
        errors["events"] = [_("Choose at least one event.")]
    elif unknown := set(events) - set(WebhookEvent.values):
        errors["events"] = [_("Unknown events: %(events)s.") % {"events": ", ".join(sorted(unknown))}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            platform_id=by.platform_id, url=url, events=events, secret=secrets.token_hex(32)
        )
        # The secret is never recorded: the trail shows what changed, not how to forge a signature.
        record_act(by=by, action=AuditAction.WEBHOOK_REGISTERED, obj=endpoint, object_repr=url, data={
            "platform": endpoint.platform_id, "url": url, "events": events,
        })
    return endpoint


def webhook_deactivate(*, by, webhook_id: int) -> WebhookEndpoint:
    """Stop sending to an endpoint. Deliveries already pending are not sent either (the complaints app, which
    owns them, fails them on ``webhook_deactivated``, in this transaction)."""
    require_manager(by)
    with transaction.atomic():
        endpoint = get_in_platform(WebhookEndpoint.objects.all(), by, webhook_id)
        was_active = endpoint.is_active
        endpoint.is_active = False
        endpoint.save(update_fields=["is_active"])
        webhook_deactivated.send(sender=WebhookEndpoint, endpoint=endpoint)
        if was_active:
            record_act(by=by, action=AuditAction.WEBHOOK_DEACTIVATED, obj=endpoint, object_repr=endpoint.url, data={
                "platform": endpoint.platform_id, "url": endpoint.url,
                "is_active": {"before": True, "after": False},
            })
    return endpoint
