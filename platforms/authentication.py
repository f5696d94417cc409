"""``Authorization: Api-Key <key>``: a platform's system acting as an agent of that platform."""

import hashlib
import secrets
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiKey

KEY_PREFIX_LENGTH = 8


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def generate_api_key() -> tuple[str, str, str]:
    """A new key as (raw key to show once, prefix to identify it, hash to store)."""
    prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
    raw_key = f"km_{prefix}_{secrets.token_urlsafe(32)}"
    return raw_key, prefix, hash_api_key(raw_key)


@dataclass(frozen=True)
class ApiKeyUser:
    """Stands in for ``request.user`` when a platform's key authenticates: an agent of that platform."""

    api_key: ApiKey

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    is_regulator = False
    is_consumer = False
    is_platform_staff = True
    is_platform_manager = False
    pk = None
    id = None
    email = ""

    @property
    def platform_id(self) -> int:
        return self.api_key.platform_id

    @property
    def platform(self):
        return self.api_key.platform

    @property
    def username(self) -> str:
        return f"api-key:{self.api_key.prefix}"

    def __str__(self) -> str:
        return self.username


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _sep, raw_key = header.partition(" ")
        if scheme != self.keyword:
            return None
        raw_key = raw_key.strip()
        if not raw_key:
            raise exceptions.AuthenticationFailed(_("No API key given."))
        api_key = (
            ApiKey.objects.select_related("platform")
            .filter(key_hash=hash_api_key(raw_key), revoked_at__isnull=True)
            .first()
        )
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        now = timezone.now()
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword
