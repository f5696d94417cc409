"""Complaints' timelines as a leaf source of the anchoring (portal/anchoring.py): one leaf per complaint whose
chain head moved since its last anchor, named by the complaint's reference.

``Complaint.anchor_pending_since`` is set by ``events.build_event`` when a head moves and cleared here once the
head is anchored; its partial index (``complaint_anchor_pending``) holds only the backlog, so finding the changed
heads reads the backlog, never every complaint or event.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db.models import Count, Min

from portal.anchoring import ChainHead, anchor_leaves_of, latest_anchor_leaf
from portal.models import AnchorLeaf

from .models import Complaint

SOURCE = "complaint"
MARK_BATCH = 1000


class ComplaintHeads:
    name = SOURCE

    def pending_heads(self, limit: int) -> list[ChainHead]:
        rows = (
            Complaint.objects.filter(anchor_pending_since__isnull=False)
            .exclude(last_event_hash="")
            .order_by("anchor_pending_since")
            .values_list("reference", "event_count", "last_event_hash")[:limit]
        )
        return [ChainHead(SOURCE, reference, sequence, head) for reference, sequence, head in rows]

    def mark_anchored(self, heads: Sequence[ChainHead]) -> None:
        # Only where the head is still the one anchored: a chain that moved on meanwhile stays in the backlog
        # (its pending time kept, so the age /metrics shows errs on the old side). A writer's row lock makes
        # this wait, and PostgreSQL re-checks the condition on the row the writer committed. One UPDATE per
        # distinct head sequence and batch: chains are short, so a few statements cover thousands of heads.
        references_by_sequence: dict[int, list[str]] = defaultdict(list)
        for head in heads:
            references_by_sequence[head.sequence].append(head.chain)
        for sequence, references in references_by_sequence.items():
            for start in range(0, len(references), MARK_BATCH):
                Complaint.objects.filter(
                    reference__in=references[start : start + MARK_BATCH], event_count=sequence
                ).update(anchor_pending_since=None)

    def backlog(self) -> tuple[int, datetime | None]:
        waiting = Complaint.objects.filter(anchor_pending_since__isnull=False).aggregate(
            count=Count("pk"), oldest=Min("anchor_pending_since")
        )
        return waiting["count"], waiting["oldest"]


def head_anchor(complaint: Complaint) -> AnchorLeaf | None:
    """The anchor leaf of the complaint's current head, or None while it waits for the next anchor."""
    if not complaint.last_event_hash:
        return None
    return latest_anchor_leaf(source=SOURCE, chain=complaint.reference, sequence=complaint.event_count)


def anchor_leaves(complaint: Complaint) -> list[AnchorLeaf]:
    """Every anchored head of the complaint's chain, oldest first."""
    return anchor_leaves_of(source=SOURCE, chain=complaint.reference)
