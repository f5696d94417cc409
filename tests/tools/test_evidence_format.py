"""docs/evidence-vectors.json against the code: the portal's hashing (complaints/events.py, portal/anchoring.py)
and the standalone verifier (tools/verify_bundle.py) must both reproduce every vector of docs/evidence-format.md."""

import hashlib
import json
from datetime import datetime

import pytest

from complaints.events import canonical_event, chain_hash
from portal import anchoring
from tests.conftest import BASE_DIR
from tools import verify_bundle

VECTORS = json.loads((BASE_DIR / "docs" / "evidence-vectors.json").read_text(encoding="utf-8"))
CHAIN = VECTORS["chain"]


def test_the_vectors_and_the_code_share_one_format_version():
    assert VECTORS["format_version"] == anchoring.FORMAT_VERSION == verify_bundle.FORMAT_VERSION == 1


@pytest.mark.parametrize("event", CHAIN["events"], ids=lambda event: f"event-{event['sequence']}")
def test_the_portal_hashes_each_event_as_the_vectors_say(event):
    canonical = canonical_event(
        reference=CHAIN["complaint"],
        sequence=event["sequence"],
        kind=event["kind"],
        actor_label=event["actor"],
        created_at=datetime.fromisoformat(event["created_at"]),
        data=event["data"],
    )

    assert canonical == event["canonical_json"]
    if "canonical_utf8_hex" in event:
        assert canonical.encode("utf-8").hex() == event["canonical_utf8_hex"]
    assert chain_hash(event["prev_hash"], canonical) == event["hash"]


@pytest.mark.parametrize("event", CHAIN["events"], ids=lambda event: f"event-{event['sequence']}")
def test_the_verifier_hashes_each_event_as_the_vectors_say(event):
    assert verify_bundle.event_hash(event["prev_hash"], CHAIN["complaint"], event) == event["hash"]


def test_the_chain_starts_from_an_empty_prev_hash_and_links_each_event_to_the_last():
    assert CHAIN["genesis_prev_hash"] == "" == CHAIN["events"][0]["prev_hash"]
    for earlier, later in zip(CHAIN["events"], CHAIN["events"][1:], strict=False):
        assert later["prev_hash"] == earlier["hash"]
    assert CHAIN["head"] == CHAIN["events"][-1]["hash"]


@pytest.mark.parametrize("vector", VECTORS["files"], ids=lambda vector: f"{vector['size']}-bytes")
def test_file_hashes(vector):
    content = vector["content_utf8"].encode("utf-8")

    assert (hashlib.sha256(content).hexdigest(), len(content)) == (vector["sha256"], vector["size"])


@pytest.mark.parametrize("tree", VECTORS["merkle"], ids=lambda tree: f"{len(tree['leaves'])}-leaves")
def test_the_portal_builds_each_tree_as_the_vectors_say(tree):
    leaf_hashes = [anchoring.leaf_hash(leaf) for leaf in tree["leaves"]]

    root, paths = anchoring.merkle_tree(leaf_hashes)

    assert [anchoring.canonical_json(leaf) for leaf in tree["leaves"]] == tree["leaf_canonical_json"]
    assert [leaf.hex() for leaf in leaf_hashes] == tree["leaf_hashes"]
    assert root.hex() == tree["root"]
    assert [[sibling.hex() for sibling in path] for path in paths] == tree["paths"]
    assert hashlib.sha256(root).hexdigest() == tree["tsa_message_imprint_sha256"]


@pytest.mark.parametrize("tree", VECTORS["merkle"], ids=lambda tree: f"{len(tree['leaves'])}-leaves")
def test_the_verifier_proves_every_leaf_of_each_tree(tree):
    size = len(tree["leaves"])
    for index, leaf in enumerate(tree["leaves"]):
        path = [bytes.fromhex(sibling) for sibling in tree["paths"][index]]
        leaf_digest = verify_bundle.leaf_hash(leaf)

        assert leaf_digest.hex() == tree["leaf_hashes"][index]
        assert verify_bundle.root_from_inclusion_path(leaf_digest, index, size, path).hex() == tree["root"]
