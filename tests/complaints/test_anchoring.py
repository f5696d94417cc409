"""Anchoring chain heads: a Merkle root over the heads changed since the last anchor, timestamped by the local
OpenSSL TSA (tests/conftest.py ``local_tsa``), never a mock."""

import hashlib
from datetime import timedelta

import pytest
from cryptography import x509
from django.conf import settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rfc3161_client import VerifierBuilder, decode_timestamp_response

from complaints.anchoring import head_anchor
from complaints.models import Complaint
from complaints.services import complaint_withdraw
from portal.anchoring import leaf_hash, merkle_tree, node_hash
from portal.models import Anchor
from portal.tasks import anchor_chain_heads_task
from tests.conftest import free_port
from tests.factories import file_complaint
from tools.verify_bundle import root_from_inclusion_path

pytestmark = pytest.mark.django_db


def scrape(client) -> dict[tuple[str, str], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, sample.labels.get("source", "")): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
        if sample.name.startswith("portal_anchor_")
    }


@pytest.fixture
def tsa_down(settings):
    settings.PORTAL_TSA_URL = f"http://127.0.0.1:{free_port()}/"
    settings.PORTAL_TSA_CA_CERTIFICATES = []


def test_the_beat_schedule_runs_the_anchoring_task_every_few_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["anchor-chain-heads"]

    assert entry["task"] == "portal.tasks.anchor_chain_heads_task"
    assert entry["schedule"] <= timedelta(minutes=10)
    assert settings.PORTAL_TASK_TIME_LIMITS["anchor_chain_heads"][1] < entry["schedule"].total_seconds()


def test_anchoring_timestamps_every_changed_head_and_each_path_leads_to_the_token_s_root(tsa_settings):
    complaints = [file_complaint() for _ in range(5)]

    result = anchor_chain_heads_task.apply().get()

    assert result == {"anchors": 1, "heads": 5}
    anchor = Anchor.objects.get()
    reply = decode_timestamp_response(bytes(anchor.token))
    root = bytes.fromhex(anchor.root)
    ca = x509.load_pem_x509_certificate(tsa_settings.ca_cert_path.read_bytes())
    assert VerifierBuilder().add_root_certificate(ca).build().verify_message(reply, root)
    assert reply.tst_info.message_imprint.message == hashlib.sha256(root).digest()
    for complaint in complaints:
        complaint.refresh_from_db()
        leaf = head_anchor(complaint)
        assert leaf is not None and leaf.head == complaint.last_event_hash
        proven = root_from_inclusion_path(
            leaf_hash({"source": "complaint", "chain": complaint.reference, "sequence": leaf.sequence,
                       "head": leaf.head}),
            leaf.leaf_index, anchor.tree_size, [bytes.fromhex(sibling) for sibling in leaf.path],
        )  # fmt: skip
        assert proven == root
        assert complaint.anchor_pending_since is None


def test_a_second_run_anchors_only_the_heads_that_moved(tsa_settings, consumer):
    moved = file_complaint(consumer)
    file_complaint()
    anchor_chain_heads_task.apply()

    complaint_withdraw(complaint_id=moved.pk, by=consumer)
    result = anchor_chain_heads_task.apply().get()

    assert result == {"anchors": 1, "heads": 1}
    moved.refresh_from_db()
    latest = Anchor.objects.order_by("-pk").first()
    assert list(latest.leaves.values_list("chain", "sequence")) == [(moved.reference, moved.event_count)]
    assert anchor_chain_heads_task.apply().get() == {"anchors": 0, "heads": 0}


def test_a_head_that_moves_while_the_tsa_answers_stays_in_the_backlog(tsa_settings, consumer, monkeypatch):
    complaint = file_complaint(consumer)
    from portal import anchoring

    real_timestamp = anchoring.request_timestamp

    def timestamp_while_the_consumer_withdraws(message):
        complaint_withdraw(complaint_id=complaint.pk, by=consumer)
        return real_timestamp(message)

    monkeypatch.setattr(anchoring, "request_timestamp", timestamp_while_the_consumer_withdraws)
    anchoring.anchor_pending_heads()

    complaint.refresh_from_db()
    assert complaint.anchor_pending_since is not None
    assert head_anchor(complaint) is None


def test_tsa_down_postpones_anchoring_files_anyway_and_shows_the_backlog(tsa_down, client):
    filed_at = timezone.now() - timedelta(minutes=7)
    complaint = file_complaint(now=filed_at)

    result = anchor_chain_heads_task.apply().get()

    assert result["anchors"] == 0 and "unreachable" in result["postponed"]
    assert not Anchor.objects.exists()
    complaint.refresh_from_db()
    assert complaint.anchor_pending_since is not None
    gauges = scrape(client)
    assert gauges[("portal_anchor_backlog_chains", "complaint")] == 1
    assert gauges[("portal_anchor_backlog_oldest_age_seconds", "complaint")] >= 7 * 60 - 5
    assert gauges[("portal_anchor_backlog_up", "")] == 1


def test_anchoring_catches_up_once_the_tsa_is_back(tsa_down, settings, local_tsa):
    file_complaint()
    anchor_chain_heads_task.apply()

    settings.PORTAL_TSA_URL = local_tsa.url
    settings.PORTAL_TSA_CA_CERTIFICATES = [str(local_tsa.ca_cert_path)]
    assert anchor_chain_heads_task.apply().get() == {"anchors": 1, "heads": 1}
    assert not Complaint.objects.filter(anchor_pending_since__isnull=False).exists()


def test_without_a_tsa_configured_filing_works_and_nothing_is_anchored(settings):
    settings.PORTAL_TSA_URL = ""

    complaint = file_complaint()

    assert complaint.pk and complaint.anchor_pending_since is not None
    assert "no TSA configured" in anchor_chain_heads_task.apply().get()["postponed"]


def test_a_large_backlog_is_anchored_in_trees_of_the_configured_size(tsa_settings, settings):
    settings.PORTAL_ANCHOR_MAX_LEAVES = 2
    for _ in range(5):
        file_complaint()

    assert anchor_chain_heads_task.apply().get() == {"anchors": 3, "heads": 5}
    assert sorted(Anchor.objects.values_list("tree_size", flat=True)) == [1, 2, 2]


def test_the_backlog_is_read_from_the_partial_index(django_assert_max_num_queries):
    from complaints.anchoring import ComplaintHeads

    for _ in range(3):
        file_complaint()
    with django_assert_max_num_queries(1):
        heads = ComplaintHeads().pending_heads(10)
    assert len(heads) == 3


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 17])
def test_every_leaf_s_path_proves_it_under_the_root_for_any_tree_size(size):
    leaves = [leaf_hash({"n": index}) for index in range(size)]

    root, paths = merkle_tree(leaves)

    for index, path in enumerate(paths):
        assert root_from_inclusion_path(leaves[index], index, size, path) == root
        assert root_from_inclusion_path(leaves[index], (index + 1) % size, size, path) != root or size == 1


def test_the_tree_is_rfc_9162_s_split_at_the_largest_power_of_two():
    a, b, c = (leaf_hash({"n": n}) for n in range(3))

    root, _ = merkle_tree([a, b, c])

    assert root == node_hash(node_hash(a, b), c)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_clearing_the_backlog_waits_for_a_writer_and_keeps_a_head_that_moved(consumer):
    """A writer holds the complaint's row lock and appends an event while the anchor of the old head is being
    written: the anchor's UPDATE waits for the lock, then sees the new head and leaves it in the backlog."""
    import threading

    from django.db import connection, transaction

    from complaints.anchoring import ComplaintHeads
    from complaints.events import record_event
    from complaints.models import EventKind

    complaint = file_complaint(consumer)
    old_head = ComplaintHeads().pending_heads(10)
    locked, release = threading.Event(), threading.Event()

    def writer() -> None:
        try:
            with transaction.atomic():
                row = Complaint.objects.select_for_update().get(pk=complaint.pk)
                record_event(row, kind=EventKind.PUBLICATION_CHANGED, actor=consumer, data={"publish_consent": True})
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert locked.wait(10)
    marker = threading.Thread(target=lambda: (ComplaintHeads().mark_anchored(old_head), connection.close()))
    marker.start()
    marker.join(0.5)
    assert marker.is_alive()  # waiting for the writer's row lock
    release.set()
    thread.join(10)
    marker.join(10)

    complaint.refresh_from_db()
    assert complaint.event_count == old_head[0].sequence + 1
    assert complaint.anchor_pending_since is not None


def test_regulators_find_a_complaint_s_anchor_in_the_admin(tsa_settings, regulator, client):
    complaint = file_complaint()
    anchor_chain_heads_task.apply()
    client.force_login(regulator)

    leaves = client.get("/admin/portal/anchorleaf/", {"q": complaint.reference})
    anchors = client.get("/admin/portal/anchor/")

    assert leaves.status_code == anchors.status_code == 200
    assert complaint.reference in leaves.content.decode()
    assert Anchor.objects.get().root in anchors.content.decode()
