"""What regulators change in the platform registry (through the admin): licence details and verification.

Each change is one service call in one transaction that leaves an audit entry with the values before and after.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import acts_as_regulator
from portal.audit import changes, record_act
from portal.models import AuditAction

from .models import Platform

#: Fields of the registry entry a regulator edits; the trail keeps their values before and after.
REGISTRY_FIELDS = (
    "name",
    "slug",
    "website",
    "domain",
    "contact_email",
    "operator_id",
    "icp_filing_number",
    "telecom_licence_number",
    "business_licence_code",
    "payment_account",
    "compensation_standard",
    "compensation_hours",
    "reported_monthly_orders",
)


def _require_regulator(by) -> None:
    if not acts_as_regulator(by):
        raise PermissionDenied(_("Only regulators can change the platform registry."))


def platforms_verify(*, by, platform_ids: Iterable[int]) -> list[Platform]:
    """Mark the licences of the given platforms verified (those not verified yet); returns the ones changed."""
    _require_regulator(by)
    verified = []
    with transaction.atomic():
        platforms = Platform.objects.select_for_update().filter(pk__in=list(platform_ids), is_verified=False)
        for platform in platforms.order_by("pk"):
            platform.is_verified = True
            platform.verified_at = timezone.now()
            platform.save(update_fields=["is_verified", "verified_at"])
            record_act(
                by=by,
                action=AuditAction.PLATFORM_VERIFIED,
                obj=platform,
                data={
                    "is_verified": {"before": False, "after": True},
                    "verified_at": platform.verified_at,
                    "icp_filing_number": platform.icp_filing_number,
                    "business_licence_code": platform.business_licence_code,
                },
            )
            verified.append(platform)
    return verified


def platform_save(*, by, platform: Platform) -> Platform:
    """Save a registry entry edited (not yet saved) by a regulator, recording what changed."""
    _require_regulator(by)
    with transaction.atomic():
        if platform.pk is None:
            platform.save()
            record_act(
                by=by,
                action=AuditAction.PLATFORM_CHANGED,
                obj=platform,
                data={
                    "created": {name: getattr(platform, name) for name in REGISTRY_FIELDS},
                },
            )
            return platform
        before = Platform.objects.select_for_update().get(pk=platform.pk)
        platform.save()
        changed = changes(before, platform, REGISTRY_FIELDS)
        if changed:
            record_act(by=by, action=AuditAction.PLATFORM_CHANGED, obj=platform, data={"changes": changed})
    return platform
