"""tools/verify_bundle.py: accepts a fresh bundle, and names the first failure when one byte changed in an event,
an evidence file, a token or a proof — also when the tamperer rewrote the manifest to match."""

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable

import pytest
from django.urls import reverse

from portal.tasks import anchor_chain_heads_task
from tests.conftest import BASE_DIR
from tests.factories import add_evidence, file_complaint, image_upload
from tests.fixtures_roles import client_for
from tools.verify_bundle import verify_bundle

pytestmark = pytest.mark.django_db

Members = dict[str, bytes]


@pytest.fixture
def bundle(settings, tmp_path, tsa_settings, consumer, platform) -> bytes:
    settings.MEDIA_ROOT = tmp_path / "media"
    complaint = file_complaint(consumer, platform)
    add_evidence(complaint, consumer, image_upload("订单截图.png"))
    anchor_chain_heads_task.apply()
    response = client_for(consumer).get(reverse("complaints_api:bundle-download", kwargs={"id": complaint.pk}))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def trust(tsa_settings) -> list[bytes]:
    return [tsa_settings.ca_cert_path.read_bytes()]


def members_of(data: bytes) -> Members:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(members: Members, *, reseal: bool) -> io.BytesIO:
    """The bundle again; with ``reseal`` the manifest's hashes and sizes are rewritten to match the tampering."""
    if reseal:
        manifest = json.loads(members["manifest.json"])
        for entry in manifest["files"]:
            content = members[entry["path"]]
            entry.update(sha256=hashlib.sha256(content).hexdigest(), size=len(content))
        members = {**members, "manifest.json": json.dumps(manifest).encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def flip_byte(content: bytes, index: int) -> bytes:
    return content[:index] + bytes([content[index] ^ 0x01]) + content[index + 1 :]


def first(members: Members, prefix: str, suffix: str = "") -> str:
    return next(name for name in sorted(members) if name.startswith(prefix) and name.endswith(suffix))


def change_event_actor(members: Members) -> None:
    timeline = members["timeline.json"]
    at = timeline.index(b'"actor": "') + len(b'"actor": "')
    members["timeline.json"] = flip_byte(timeline, at)


def change_event_time(members: Members) -> None:
    timeline = json.loads(members["timeline.json"])
    timeline["events"][-1]["created_at"] = timeline["events"][-1]["created_at"].replace("+00:00", "+00:01")
    members["timeline.json"] = json.dumps(timeline).encode()


def change_evidence_byte(members: Members) -> None:
    name = first(members, "evidence/")
    members[name] = flip_byte(members[name], len(members[name]) // 2)


def change_token_signature(members: Members) -> None:
    name = first(members, "anchors/", "token.tsr")
    members[name] = flip_byte(members[name], len(members[name]) - 3)


def change_proof(field: str) -> Callable[[Members], None]:
    def change(members: Members) -> None:
        name = first(members, "anchors/", "proof.json")
        proof = json.loads(members[name])
        if field == "root":
            proof["root"] = ("0" if proof["root"][0] != "0" else "1") + proof["root"][1:]
        elif field == "head":
            proof["leaf"]["head"] = ("0" if proof["leaf"]["head"][0] != "0" else "1") + proof["leaf"]["head"][1:]
        elif field == "gen_time":
            proof["gen_time"] = "2001-01-01T00:00:00+00:00"
        members[name] = json.dumps(proof).encode()

    return change


def change_dossier(members: Members) -> None:
    members["dossier.pdf"] = flip_byte(members["dossier.pdf"], 200)


def add_a_file(members: Members) -> None:
    members["evidence/extra.txt"] = b"slipped in"


def drop_evidence(members: Members) -> None:
    del members[first(members, "evidence/")]


TAMPERING = [
    pytest.param(change_event_actor, True, "timeline", "content does not match its hash", id="event-byte"),
    pytest.param(change_event_time, True, "timeline", "content does not match its hash", id="event-time"),
    pytest.param(change_evidence_byte, True, "evidence", "differs from the one event", id="evidence-byte"),
    pytest.param(change_token_signature, True, "token", "does not verify", id="token-byte"),
    pytest.param(change_proof("root"), True, "anchor", "does not lead to the root", id="proof-root"),
    pytest.param(change_proof("head"), True, "anchor", "is not event", id="proof-leaf-head"),
    pytest.param(change_proof("gen_time"), True, "anchor", "gen_time", id="proof-gen-time"),
    pytest.param(change_evidence_byte, False, "manifest", "SHA-256 differs from the manifest", id="unsealed-file"),
    pytest.param(change_dossier, False, "manifest", "dossier.pdf", id="unsealed-dossier"),
    pytest.param(add_a_file, False, "manifest", "not in the manifest", id="extra-file"),
    pytest.param(drop_evidence, False, "manifest", "not in the ZIP", id="missing-file"),
]


def test_a_fresh_bundle_verifies(bundle, trust):
    result = verify_bundle(io.BytesIO(bundle), trusted_certificates=trust)

    assert result.ok and result.failure is None
    assert result.head_anchor is not None


@pytest.mark.parametrize(("tamper", "reseal", "check", "message"), TAMPERING)
def test_one_changed_byte_is_named(bundle, trust, tamper, reseal, check, message):
    members = members_of(bundle)
    tamper(members)

    result = verify_bundle(zipped(members, reseal=reseal), trusted_certificates=trust)

    assert not result.ok
    assert (result.check, message in result.failure) == (check, True), result.failure


def test_a_proof_path_changed_by_one_hex_digit_is_named(bundle, trust):
    members = members_of(bundle)
    name = first(members, "anchors/", "proof.json")
    proof = json.loads(members[name])
    if not proof["path"]:  # a tree of one leaf has no path: give it a bogus sibling
        proof["path"] = ["00" * 32]
    else:
        proof["path"][0] = ("0" if proof["path"][0][0] != "0" else "1") + proof["path"][0][1:]
    members[name] = json.dumps(proof).encode()

    result = verify_bundle(zipped(members, reseal=True), trusted_certificates=trust)

    assert (result.check, result.failure.endswith("the Merkle path does not lead to the root")) == ("anchor", True)


def test_a_token_from_another_tsa_is_refused_when_the_reader_trusts_only_their_own_copy(bundle, tsa_settings):
    untrusted = tsa_settings.tsa_cert_path.read_bytes()  # a certificate, but not the CA the reader trusts

    result = verify_bundle(io.BytesIO(bundle), trusted_certificates=[untrusted])

    assert (result.ok, result.check) == (False, "token")


def test_a_bundle_unpacking_to_more_than_the_caller_allows_is_refused(bundle):
    result = verify_bundle(io.BytesIO(bundle), max_uncompressed_bytes=1024)

    assert (result.ok, result.check) == (False, "manifest")
    assert "unpacks to" in result.failure


def test_not_a_zip_is_named():
    result = verify_bundle(io.BytesIO(b"PK not really"))

    assert (result.ok, result.check) == (False, "manifest")
    assert "not a readable ZIP" in result.failure


# --- the command line, without Django -------------------------------------------------------------------------

NO_DJANGO = (
    "import sys; sys.modules['django'] = None; sys.path.insert(0, {root!r}); "
    "from tools.verify_bundle import main; sys.exit(main(sys.argv[1:]))"
)


def run_verifier(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", NO_DJANGO.format(root=str(BASE_DIR)), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_line_accepts_a_fresh_bundle_without_django(bundle, tsa_settings, tmp_path):
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle)

    completed = run_verifier(str(path), "--trust", str(tsa_settings.ca_cert_path), "--json")

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["ok"] is True


def test_the_command_line_exits_non_zero_and_names_the_failure(bundle, tmp_path):
    members = members_of(bundle)
    change_evidence_byte(members)
    path = tmp_path / "bundle.zip"
    path.write_bytes(zipped(members, reseal=True).getvalue())

    completed = run_verifier(str(path))

    assert completed.returncode == 1
    assert completed.stderr.startswith("FAILED (evidence): evidence ")
