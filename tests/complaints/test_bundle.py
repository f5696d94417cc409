"""The evidence bundle: its contents, who may download it, and the offline verifier's verdict on it (fresh, and
with one changed byte in an event, a file, a token or a proof)."""

import hashlib
import io
import json
import zipfile

import pytest
from django.urls import reverse

from portal.tasks import anchor_chain_heads_task
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory, add_evidence, file_complaint, image_upload
from tests.fixtures_roles import client_for
from tools.verify_bundle import verify_bundle

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def anchored_complaint(media_root, tsa_settings, consumer, platform):
    complaint = file_complaint(consumer, platform)
    add_evidence(complaint, consumer, image_upload("订单截图.png"), image_upload("付款凭证.png", color="red"))
    anchor_chain_heads_task.apply()
    complaint.refresh_from_db()
    return complaint


def download(user, complaint, *, api: bool = False):
    if api:
        return client_for(user).get(reverse("complaints_api:bundle-download", kwargs={"id": complaint.pk}))
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.get(reverse("complaints:bundle-download", args=[complaint.pk]))


def bundle_bytes(response) -> bytes:
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def test_a_fresh_anchored_bundle_verifies_and_proves_its_head_s_time(anchored_complaint, consumer, tsa_settings):
    data = bundle_bytes(download(consumer, anchored_complaint))

    result = verify_bundle(io.BytesIO(data), trusted_certificates=[tsa_settings.ca_cert_path.read_bytes()])

    assert result.ok, result.failure
    assert result.complaint == anchored_complaint.reference
    assert result.head == {"sequence": anchored_complaint.event_count, "hash": anchored_complaint.last_event_hash}
    assert result.head_anchor is not None and result.head_anchor["gen_time"]
    assert result.evidence_files == 2


def test_the_bundle_holds_timeline_evidence_anchors_certificates_dossier_and_a_manifest(anchored_complaint, consumer):
    with zipfile.ZipFile(io.BytesIO(bundle_bytes(download(consumer, anchored_complaint, api=True)))) as bundle:
        names = set(bundle.namelist())
        manifest = json.loads(bundle.read("manifest.json"))
        for entry in manifest["files"]:
            content = bundle.read(entry["path"])
            assert (len(content), hashlib.sha256(content).hexdigest()) == (entry["size"], entry["sha256"])

    assert manifest["format_version"] == 1
    assert {"timeline.json", "dossier.pdf", "tsa/ca.pem", "manifest.json"} <= names
    assert sum(name.startswith("evidence/") for name in names) == 2
    assert any(name.endswith("/token.tsr") for name in names) and any(name.endswith("/proof.json") for name in names)
    assert names - {"manifest.json"} == {entry["path"] for entry in manifest["files"]}


def test_an_unanchored_bundle_verifies_and_says_the_head_is_not_anchored_yet(media_root, consumer, platform):
    complaint = file_complaint(consumer, platform)

    result = verify_bundle(io.BytesIO(bundle_bytes(download(consumer, complaint))))

    assert result.ok, result.failure
    assert result.head_anchor is None
    assert any("no anchor yet" in note for note in result.notes)


# --- who may download it -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", 200),
        ("other_consumer", 404),
        ("own_platform_staff", 200),
        ("other_platform_staff", 404),
        ("regulator", 200),
    ],
)
@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_bundle_access_matrix(media_root, consumer, platform, regulator, who, expected, api):
    complaint = file_complaint(consumer, platform)
    user = {
        "owner": consumer,
        "other_consumer": ConsumerFactory(),
        "own_platform_staff": StaffFactory(platform=platform),
        "other_platform_staff": StaffFactory(platform=PlatformFactory()),
        "regulator": regulator,
    }[who]

    response = download(user, complaint, api=api)

    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/zip"
        assert complaint.reference in response["Content-Disposition"]


def test_the_complaint_page_links_to_the_bundle(media_root, consumer, platform):
    complaint = file_complaint(consumer, platform)
    from django.test import Client

    client = Client()
    client.force_login(consumer)
    page = client.get(reverse("complaints:complaint-detail", args=[complaint.pk]))

    assert reverse("complaints:bundle-download", args=[complaint.pk]) in page.content.decode()
