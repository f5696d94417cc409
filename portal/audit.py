"""Two records of who did what, kept apart because they answer different questions.

- The **access log** (``log_access`` → ``AccessLog``): reads of personal data and evidence — who looked.
- The **audit trail** (``record_act`` → ``AuditEntry``): acts that change something outside a complaint's own
  timeline — staff invited or deactivated, API keys, webhooks, platform verification and licence edits, calendar
  exceptions, penalty decisions and their status changes, regulators signing in. One append-only chain for the
  whole portal, hashed like a complaint's timeline (``complaints/events.py``), written by the service in the
  same transaction as the act, so an act and its entry commit or roll back together. docs/audit-trail.md
  describes the canonical form, so the chain can be checked without this code.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .access import acts_as_regulator, is_platform_staff
from .anchoring import ChainHead
from .models import AccessLog, ActorKind, AuditAction, AuditChainHead, AuditEntry

# --- access log (reads) -------------------------------------------------------------------------------------


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def log_access(request, *, action: str, obj, detail: str = "") -> AccessLog:
    user = getattr(request, "user", None)
    return AccessLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        actor_label=str(getattr(user, "username", "") or "anonymous"),
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        detail=detail[:255],
        ip_address=client_ip(request),
    )


# --- audit trail (acts) -------------------------------------------------------------------------------------

#: The version of the canonical form below; docs/audit-trail.md describes it. Part of every hashed entry.
AUDIT_FORMAT_VERSION = 1
SYSTEM_ACTOR = "system"


def actor_of(user) -> tuple[str, str]:
    """``(label, kind)`` of whoever acts: the label names the account as the complaint timeline does."""
    if user is None or not getattr(user, "is_authenticated", False):
        return SYSTEM_ACTOR, ActorKind.SYSTEM
    if getattr(user, "api_key", None) is not None:
        return f"platform:{user.platform_id}:{user.username}", ActorKind.API_KEY
    if acts_as_regulator(user):
        return f"regulator:{user.username}", ActorKind.REGULATOR
    if is_platform_staff(user):
        return f"platform:{user.platform_id}:{user.username}", ActorKind.PLATFORM_STAFF
    return f"consumer:{user.pk}", ActorKind.CONSUMER


def canonical_entry(
    *,
    sequence: int,
    at: datetime,
    actor: str,
    actor_kind: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    data: dict,
) -> str:
    """The exact text that is hashed (UTF-8): sorted keys, no spaces, non-ASCII kept, UTC time in microseconds.

    Changing this breaks every stored chain: raise ``AUDIT_FORMAT_VERSION`` and keep the old form if you must.
    """
    return json.dumps(
        {
            "version": AUDIT_FORMAT_VERSION,
            "sequence": sequence,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "actor_kind": actor_kind,
            "action": action,
            "object": {"type": object_type, "id": object_id, "repr": object_repr},
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _normalised(data: dict) -> dict:
    # Store exactly what is hashed: a JSON round trip turns Decimals, dates and UUIDs into strings.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def changes(before, after, fields: Iterable[str]) -> dict:
    """``{field: {"before": old, "after": new}}`` for each of ``fields`` whose value differs."""
    return {
        name: {"before": getattr(before, name), "after": getattr(after, name)}
        for name in fields
        if getattr(before, name) != getattr(after, name)
    }


def record_act(*, by, action: str, obj, data: dict | None = None, object_repr: str | None = None) -> AuditEntry:
    """Append one entry for ``by`` doing ``action`` to ``obj``, in the caller's transaction.

    The chain head row is locked for the rest of the transaction: concurrent acts queue behind it, so each
    entry links to the one committed before it. Call it last in a service (the lock is held until commit).
    """
    label, kind = actor_of(by)
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=AuditChainHead.SINGLETON_PK)
        at = timezone.now()
        payload = _normalised(data or {})
        sequence = head.sequence + 1
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
        shown = (object_repr if object_repr is not None else str(obj))[:200]
        digest = chain_hash(
            head.hash,
            canonical_entry(
                sequence=sequence,
                at=at,
                actor=label,
                actor_kind=kind,
                action=action,
                object_type=object_type,
                object_id=object_id,
                object_repr=shown,
                data=payload,
            ),
        )
        entry = AuditEntry.objects.create(
            sequence=sequence,
            at=at,
            actor=by if getattr(by, "pk", None) and kind != ActorKind.API_KEY else None,
            actor_label=label,
            actor_kind=kind,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=shown,
            data=payload,
            prev_hash=head.hash,
            hash=digest,
        )
        AuditChainHead.objects.filter(pk=head.pk).update(sequence=sequence, hash=digest)
    return entry


@dataclass
class AuditBreak:
    sequence: int
    reason: str

    def __str__(self) -> str:
        return f"BROKEN audit trail at entry #{self.sequence}: {self.reason}"


def verify_audit_trail(entries: Iterable[AuditEntry] | None = None) -> tuple[int, AuditBreak | None]:
    """Recompute the audit chain from its first entry: (entries checked, first broken link or None)."""
    if entries is None:
        entries = AuditEntry.objects.order_by("sequence").iterator(chunk_size=2000)
    prev_hash, checked = "", 0
    for expected_sequence, entry in enumerate(entries, start=1):
        checked = expected_sequence
        if entry.sequence != expected_sequence:
            return checked, AuditBreak(expected_sequence, "entry missing")
        if entry.prev_hash != prev_hash:
            return checked, AuditBreak(entry.sequence, "prev_hash does not match")
        digest = chain_hash(
            prev_hash,
            canonical_entry(
                sequence=entry.sequence,
                at=entry.at,
                actor=entry.actor_label,
                actor_kind=entry.actor_kind,
                action=entry.action,
                object_type=entry.object_type,
                object_id=entry.object_id,
                object_repr=entry.object_repr,
                data=entry.data,
            ),
        )
        if digest != entry.hash:
            return checked, AuditBreak(entry.sequence, "content altered")
        prev_hash = entry.hash
    head = AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON_PK).first()
    if (head.sequence if head else 0) != checked or (head.hash if head else "") != prev_hash:
        return checked, AuditBreak(checked + 1, "chain head does not match the last entry")
    return checked, None


def record_regulator_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: a regulator's (or superuser's) sign-in is an act in the trail."""
    if not acts_as_regulator(user):
        return
    record_act(
        by=user,
        action=AuditAction.REGULATOR_LOGIN,
        obj=user,
        object_repr=user.get_username(),
        data={
            "ip_address": client_ip(request),
            "path": getattr(request, "path", "")[:200],
        },
    )


class AuditTrailHeads:
    """The audit trail as a leaf source of the anchoring (portal/anchoring.py): one chain, ``acts``, whose head is
    anchored whenever entries were added since the last anchor."""

    name = "audit"
    CHAIN = "acts"

    def pending_heads(self, limit: int) -> list[ChainHead]:
        head = AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON_PK).first()
        if head is None or head.sequence <= head.anchored_sequence or limit < 1:
            return []
        return [ChainHead(self.name, self.CHAIN, head.sequence, head.hash)]

    def mark_anchored(self, heads: Sequence[ChainHead]) -> None:
        for head in heads:
            AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON_PK, anchored_sequence__lt=head.sequence).update(
                anchored_sequence=head.sequence
            )

    def backlog(self) -> tuple[int, datetime | None]:
        """One query: whether entries wait for an anchor, and when the first of them was written."""
        first_waiting = AuditEntry.objects.filter(sequence=OuterRef("anchored_sequence") + 1).values("at")[:1]
        head = (
            AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON_PK)
            .annotate(oldest=Subquery(first_waiting))
            .first()
        )
        if head is None or head.sequence <= head.anchored_sequence:
            return 0, None
        return 1, head.oldest
