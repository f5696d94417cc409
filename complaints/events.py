"""The hash-chained timeline (证据固化): every change to a complaint appends one immutable event.

``hash = SHA-256(prev_hash + canonical_json(event))``, chained per complaint, so altering, removing or
reordering any stored event (or an evidence hash recorded in one) breaks every later link.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from portal.access import is_platform_staff, is_regulator

from .models import Complaint, Event

SYSTEM_ACTOR = "system"
# The complaint fields an appended event changes: whoever saves the complaint after build_event saves these.
CHAIN_HEAD_FIELDS = ("event_count", "last_event_hash", "anchor_pending_since")


def actor_label_for(user) -> str:
    if user is None:
        return SYSTEM_ACTOR
    if getattr(user, "api_key", None) is not None:
        return f"platform:{user.platform_id}:{user.username}"
    if is_regulator(user):
        return f"regulator:{user.username}"
    if is_platform_staff(user):
        return f"platform:{user.platform_id}:{user.username}"
    return f"consumer:{user.pk}"


def canonical_time(moment: datetime) -> str:
    """An event's time as hashed: UTC, microseconds, ``+00:00`` (docs/evidence-format.md)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_event(
    *, reference: str, sequence: int, kind: str, actor_label: str, created_at: datetime, data: dict
) -> str:
    """The exact text that is hashed, specified in docs/evidence-format.md (format_version 1) and pinned by
    docs/evidence-vectors.json. Changing this breaks every stored chain: version it if you must."""
    return json.dumps(
        {
            "complaint": reference,
            "sequence": sequence,
            "kind": kind,
            "actor": actor_label,
            "created_at": canonical_time(created_at),
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    )


def chain_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def event_document(event: Event) -> dict:
    """One event as an evidence bundle's timeline.json lists it: the hashed fields, ``prev_hash`` and ``hash``."""
    return {
        "sequence": event.sequence,
        "kind": event.kind,
        "actor": event.actor_label,
        "created_at": canonical_time(event.created_at),
        "data": event.data,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _normalised(data: dict) -> dict:
    # Store exactly what was hashed: a JSON round trip turns Decimals, dates and UUIDs into strings.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def build_event(
    complaint: Complaint,
    *,
    kind: str,
    actor=None,
    actor_label: str | None = None,
    data: dict | None = None,
    at: datetime | None = None,
) -> Event:
    """Make the next event of ``complaint`` and advance its chain head in memory (not saved).

    The caller holds the complaint row lock and saves both (with ``CHAIN_HEAD_FIELDS``), so two writers never
    fork a chain.
    """
    at = at or timezone.now()
    label = actor_label or actor_label_for(actor)
    payload = _normalised(data or {})
    sequence = complaint.event_count + 1
    prev_hash = complaint.last_event_hash
    digest = chain_hash(
        prev_hash,
        canonical_event(
            reference=complaint.reference,
            sequence=sequence,
            kind=kind,
            actor_label=label,
            created_at=at,
            data=payload,
        ),
    )
    complaint.event_count = sequence
    complaint.last_event_hash = digest
    # The head moved: it waits for the next anchor (portal/anchoring.py) from its first unanchored change on.
    complaint.anchor_pending_since = complaint.anchor_pending_since or at
    return Event(
        complaint=complaint,
        sequence=sequence,
        kind=kind,
        actor=actor,
        actor_label=label,
        data=payload,
        created_at=at,
        prev_hash=prev_hash,
        hash=digest,
    )


def record_event(
    complaint: Complaint, *, kind: str, actor=None, data: dict | None = None, at: datetime | None = None
) -> Event:
    """Append one event to a locked complaint and save the new chain head."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction that locked the complaint")
    event = build_event(
        complaint,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label_for(actor),
        data=data,
        at=at,
    )
    event.save()
    Complaint.objects.filter(pk=complaint.pk).update(
        event_count=complaint.event_count,
        last_event_hash=complaint.last_event_hash,
        anchor_pending_since=complaint.anchor_pending_since,
    )
    return event


@dataclass
class ChainBreak:
    complaint_id: int
    reference: str
    sequence: int
    reason: str


def verify_chain(complaint: Complaint, events=None) -> ChainBreak | None:
    """Recompute a complaint's chain; the first broken link, or None when it is intact.

    Also checks that each evidence row still carries the SHA-256 that its ``evidence_added`` event recorded, and
    each message of the thread the SHA-256 of its body that its ``message_posted`` event recorded.
    """
    events = list(events if events is not None else complaint.events.order_by("sequence"))
    prev_hash = ""
    recorded_evidence: dict[int, str] = {}
    recorded_messages: dict[int, str] = {}
    for expected_sequence, event in enumerate(events, start=1):
        if event.sequence != expected_sequence:
            return ChainBreak(complaint.pk, complaint.reference, expected_sequence, "event missing")
        if event.prev_hash != prev_hash:
            return ChainBreak(complaint.pk, complaint.reference, event.sequence, "prev_hash does not match")
        digest = chain_hash(
            prev_hash,
            canonical_event(
                reference=complaint.reference,
                sequence=event.sequence,
                kind=event.kind,
                actor_label=event.actor_label,
                created_at=event.created_at,
                data=event.data,
            ),
        )
        if digest != event.hash:
            return ChainBreak(complaint.pk, complaint.reference, event.sequence, "content altered")
        if event.kind == "evidence_added":
            recorded_evidence[event.data.get("evidence_id")] = event.data.get("sha256")
        elif event.kind == "message_posted":
            recorded_messages[event.data.get("message_id")] = event.data.get("body_sha256")
        prev_hash = event.hash
    if prev_hash != complaint.last_event_hash or len(events) != complaint.event_count:
        return ChainBreak(complaint.pk, complaint.reference, len(events) + 1, "chain head does not match")
    for evidence_id, sha256 in complaint.evidence.values_list("pk", "sha256"):
        if recorded_evidence.get(evidence_id) != sha256:
            return ChainBreak(complaint.pk, complaint.reference, 0, f"evidence {evidence_id} hash altered")
    # A message row without its event, or with another body than the event hashed, breaks the chain too.
    for message_id, body in complaint.messages.values_list("pk", "body"):
        if recorded_messages.get(message_id) != hashlib.sha256(body.encode("utf-8")).hexdigest():
            return ChainBreak(complaint.pk, complaint.reference, 0, f"message {message_id} body altered")
    return None
