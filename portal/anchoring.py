"""Anchoring: the chain heads that changed since the last anchor become the leaves of a Merkle tree whose root a
TSA timestamps (RFC 3161), so anyone holding a head, its path and the token can check that the head existed then.

The encoding is normative and specified in docs/evidence-format.md ("Anchors"): a leaf is the canonical JSON of
``{"chain", "head", "sequence", "source"}``, hashed as SHA-256(0x00 || leaf); a node is SHA-256(0x01 || left ||
right); the tree is RFC 9162's (§2.1.1); the TSA timestamps the 32 bytes of the root. ``tools/verify_bundle.py``
checks the same rules with code of its own, and docs/evidence-vectors.json keeps both honest.

Chains register as leaf sources (one line in an app's ``ready()``: ``register_leaf_source(TheirSource())``); the
portal knows no chain itself. A TSA outage only delays anchoring: nothing here runs in a request, heads wait in
their source's backlog (``/metrics``) and the next run takes them.
"""

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from .models import Anchor, AnchorLeaf
from .timestamping import request_timestamp

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


@dataclass(frozen=True)
class ChainHead:
    source: str
    chain: str
    sequence: int
    head: str  # hex SHA-256 of the chain's last event

    def leaf(self) -> dict:
        return {"source": self.source, "chain": self.chain, "sequence": self.sequence, "head": self.head}


class LeafSource(Protocol):
    """A family of hash chains whose heads are anchored (complaints' timelines, the audit trail, ...)."""

    name: str  # the leaf's "source": short, stable, never reused

    def pending_heads(self, limit: int) -> list[ChainHead]:
        """Heads changed since they were last anchored, oldest change first, from an index (not a scan)."""

    def mark_anchored(self, heads: Sequence[ChainHead]) -> None:
        """Take these heads out of the backlog unless their chain moved on meanwhile (called in the anchor's
        transaction)."""

    def backlog(self) -> tuple[int, datetime | None]:
        """How many chains wait to be anchored, and since when the oldest one does."""


_sources: dict[str, LeafSource] = {}


def register_leaf_source(source: LeafSource) -> None:
    _sources[source.name] = source


def leaf_sources() -> list[LeafSource]:
    return [_sources[name] for name in sorted(_sources)]


# --- the Merkle tree (RFC 9162 §2.1 with RFC 6962's domain separation) -------------------------------------


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def leaf_hash(leaf: dict) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + canonical_json(leaf).encode("utf-8")).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def merkle_tree(leaf_hashes: Sequence[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """The root over ``leaf_hashes`` in order, and each leaf's inclusion path (siblings from the leaf up).

    One pass, O(n log n): each subtree's root is computed once and appended to the paths beneath its sibling.
    """
    if not leaf_hashes:
        raise ValueError("a Merkle tree needs at least one leaf")
    paths: list[list[bytes]] = [[] for _ in leaf_hashes]

    def subtree(start: int, end: int) -> bytes:
        if end - start == 1:
            return leaf_hashes[start]
        middle = start + _split(end - start)
        left, right = subtree(start, middle), subtree(middle, end)
        for index in range(start, middle):
            paths[index].append(right)
        for index in range(middle, end):
            paths[index].append(left)
        return node_hash(left, right)

    return subtree(0, len(leaf_hashes)), paths


# --- the service ----------------------------------------------------------------------------------------------


def anchor_pending_heads(*, max_leaves: int | None = None) -> Anchor | None:
    """Anchor the heads that changed since their last anchor, up to ``max_leaves``; None when none changed.

    The TSA is asked outside any transaction (no lock is held while the network is slow); the anchor, its leaves
    and the sources' backlog are then written in one transaction. Raises ``TimestampError`` when the TSA fails:
    nothing is written and the heads stay in the backlog for the next run.
    """
    limit = max_leaves or settings.PORTAL_ANCHOR_MAX_LEAVES
    heads: list[ChainHead] = []
    for source in leaf_sources():
        if len(heads) >= limit:
            break
        heads.extend(source.pending_heads(limit - len(heads)))
    if not heads:
        return None
    heads.sort(key=lambda head: (head.source, head.chain))
    root, paths = merkle_tree([leaf_hash(head.leaf()) for head in heads])
    timestamp = request_timestamp(root)
    with transaction.atomic():
        anchor = Anchor.objects.create(
            format_version=FORMAT_VERSION,
            root=root.hex(),
            tree_size=len(heads),
            token=timestamp.reply_der,
            gen_time=timestamp.gen_time,
            tsa_name=timestamp.tsa_name[:300],
            tsa_serial=str(timestamp.serial_number),
        )
        AnchorLeaf.objects.bulk_create(
            [
                AnchorLeaf(
                    anchor=anchor,
                    source=head.source,
                    chain=head.chain,
                    sequence=head.sequence,
                    head=head.head,
                    leaf_index=index,
                    path=[sibling.hex() for sibling in path],
                )
                for index, (head, path) in enumerate(zip(heads, paths, strict=True))
            ],
            batch_size=1000,
        )
        for source in leaf_sources():
            source.mark_anchored([head for head in heads if head.source == source.name])
    logger.info("anchored %s chain heads under %s at %s", len(heads), anchor.root, anchor.gen_time.isoformat())
    return anchor


def latest_anchor_leaf(*, source: str, chain: str, sequence: int | None = None) -> AnchorLeaf | None:
    """The newest anchor leaf of a chain (of its head at ``sequence`` when given), with its anchor."""
    leaves = AnchorLeaf.objects.filter(source=source, chain=chain).select_related("anchor")
    if sequence is not None:
        leaves = leaves.filter(sequence=sequence)
    return leaves.order_by("-sequence", "-anchor_id").first()


def anchor_leaves_of(*, source: str, chain: str) -> list[AnchorLeaf]:
    """Every anchor leaf of a chain, oldest head first, with its anchor (what a chain's bundle carries)."""
    return list(
        AnchorLeaf.objects.filter(source=source, chain=chain).select_related("anchor").order_by("sequence", "anchor_id")
    )


def proof_document(leaf: AnchorLeaf) -> dict:
    """A leaf's proof as the bundle's ``anchors/<id>/proof.json`` holds it (docs/evidence-format.md)."""
    anchor = leaf.anchor
    return {
        "format_version": anchor.format_version,
        "anchor": anchor.pk,
        "leaf": ChainHead(leaf.source, leaf.chain, leaf.sequence, leaf.head).leaf(),
        "leaf_index": leaf.leaf_index,
        "tree_size": anchor.tree_size,
        "path": list(leaf.path),
        "root": anchor.root,
        "gen_time": anchor.gen_time.astimezone(UTC).isoformat(),
        "tsa": anchor.tsa_name,
        "token": "token.tsr",
    }


# --- /metrics ------------------------------------------------------------------------------------------------


class AnchorBacklogCollector:
    """Chains waiting for an anchor, per source, and the age of the oldest wait; read when Prometheus scrapes."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting, oldest, last, up = self._families()
        now = timezone.now()
        try:
            for source in leaf_sources():
                count, since = source.backlog()
                waiting.add_metric([source.name], count)
                oldest.add_metric([source.name], max((now - since).total_seconds(), 0.0) if since else 0.0)
            latest = Anchor.objects.order_by("-gen_time").values_list("gen_time", flat=True).first()
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        last.add_metric([], latest.timestamp() if latest else 0)
        up.add_metric([], 1)
        yield from (waiting, oldest, last, up)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, ...]:
        return (
            GaugeMetricFamily(
                "portal_anchor_backlog_chains",
                "Chains whose head changed since it was last anchored.",
                labels=["source"],
            ),
            GaugeMetricFamily(
                "portal_anchor_backlog_oldest_age_seconds",
                "How long the oldest unanchored change has waited (0 when none).",
                labels=["source"],
            ),
            GaugeMetricFamily("portal_anchor_last_gen_time_seconds", "The TSA time of the newest anchor (Unix time)."),
            GaugeMetricFamily("portal_anchor_backlog_up", "1 when the anchor backlog gauges could be read."),
        )
