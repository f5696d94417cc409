"""The public check, /verify/ and POST /api/v1/verify/: finds what the portal holds by content or by SHA-256, and
reveals nothing personal."""

import hashlib
import io
import zipfile

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.verification import mask_reference
from portal.models import IssuedDocument
from regulation.models import PenaltyKind
from regulation.penalties import penalty_issue, penalty_notice_pdf
from tests.factories import ConsumerFactory, add_evidence, file_complaint, image_upload

pytestmark = pytest.mark.django_db

API = "complaints_api:verify"
PAGE = "complaints:verify"
CONSUMER_DETAILS = {
    "first_name": "晓明",
    "last_name": "王",
    "email": "wang.xiaoming.private@example.cn",
    "phone": "13912345678",
}


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source texts, whatever the zh-Hans catalogue says."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def fresh_throttle(settings):
    cache.clear()  # the throttle counts in the cache
    settings.PORTAL_VERIFY_RATE = "1000/minute"
    settings.PORTAL_SIGNING_KEY = settings.PORTAL_SIGNING_CERT = settings.PORTAL_SIGNING_PKCS12 = ""


@pytest.fixture
def held(platform):
    """A complaint with personal details everywhere, a screenshot as evidence, and a penalty notice citing it."""
    consumer = ConsumerFactory(**CONSUMER_DETAILS)
    complaint = file_complaint(
        consumer,
        platform,
        order_number="DD-PRIVATE-20261125-7788",
        payment_reference="4200001234567890PRIVATE",
        description="我在凌晨两点付款，卡密一直未到，客服电话 021-55556666 无人接听。",
        product_name="王者荣耀 648 点券",
    )
    screenshot = image_upload("王晓明的支付截图.png", color="olive")
    screenshot_bytes = screenshot.read()
    screenshot.seek(0)
    add_evidence(complaint, consumer, screenshot)
    complaint.refresh_from_db()
    return complaint, consumer, screenshot_bytes


def personal_values(complaint, consumer) -> list[str]:
    """Every personal field value of the fixture: who filed, how to reach them, their order and payment, their
    words and their file names."""
    evidence = complaint.evidence.get()
    values = [
        consumer.username,
        consumer.first_name,
        consumer.last_name,
        consumer.get_full_name(),
        consumer.email,
        consumer.phone,
        complaint.order_number,
        complaint.payment_reference,
        complaint.description,
        complaint.product_name,
        evidence.original_name,
        complaint.reference,
        str(complaint.amount),
    ]
    values += [value for value in complaint.description.split("，") if len(value) > 3]
    return [value for value in values if value]


def api_post(data, *, client=None, multipart=False):
    client = client or APIClient()
    return client.post(reverse(API), data, format="multipart" if multipart else "json")


# --- finding -----------------------------------------------------------------------------------------------


def test_finds_an_evidence_file_by_its_content(client, held):
    complaint, _consumer, screenshot = held
    response = client.post(reverse(PAGE), {"file": SimpleUploadedFile("any-name.png", screenshot)})
    assert response.status_code == 200
    assert "The portal holds this file" in response.text or "本站存有此文件" in response.text
    assert mask_reference(complaint.reference) in response.text

    answer = api_post({"file": SimpleUploadedFile("x.png", screenshot)}, multipart=True).json()
    (holding,) = answer["holdings"]
    assert answer["found"] is True and answer["sha256"] == hashlib.sha256(screenshot).hexdigest()
    assert holding["kind"] == "evidence" and holding["reference"] == mask_reference(complaint.reference)
    assert holding["since"] == complaint.evidence.get().received_at.isoformat()
    assert holding["anchored_at"] is None  # nothing anchored yet in this test


def test_the_file_field_is_hashed_whatever_else_is_uploaded(held):
    _complaint, _consumer, screenshot = held
    files = {"file": SimpleUploadedFile("a.png", screenshot), "other": SimpleUploadedFile("b.bin", b"unrelated")}
    answer = api_post(files, multipart=True).json()
    assert answer["found"] is True and answer["sha256"] == hashlib.sha256(screenshot).hexdigest()


def test_finds_a_penalty_notice_by_its_hash(regulator, platform, held):
    complaint, _consumer, _screenshot = held
    penalty = penalty_issue(
        by=regulator,
        platform=platform,
        kind=PenaltyKind.WARNING,
        legal_basis="第七十七条",
        facts="未交付。",
        decision="警告。",
        complaint_ids=[complaint.pk],
    )
    notice = penalty_notice_pdf(penalty)
    digest = hashlib.sha256(notice).hexdigest()

    answer = api_post({"sha256": digest.upper()}).json()  # case does not matter
    (holding,) = answer["holdings"]
    assert holding["kind"] == "penalty_notice" and holding["size"] == len(notice)
    assert holding["reference"] == mask_reference(penalty.number) != penalty.number
    assert holding["signed"] is False
    assert IssuedDocument.objects.filter(sha256=digest).exists()


def test_an_unknown_hash_is_found_false_with_status_200(client):
    digest = hashlib.sha256(b"never seen").hexdigest()
    response = api_post({"sha256": digest})
    assert response.status_code == 200
    assert response.json() == {"sha256": digest, "found": False, "holdings": [], "bundle": None}
    page = client.post(reverse(PAGE), {"sha256": digest})
    assert page.status_code == 200 and digest in page.text


def test_an_evidence_anchor_time_is_shown_once_anchored(tsa_settings, held):
    from portal.anchoring import anchor_pending_heads

    _complaint, _consumer, screenshot = held
    anchor = anchor_pending_heads()
    (holding,) = api_post({"sha256": hashlib.sha256(screenshot).hexdigest()}).json()["holdings"]
    assert holding["anchored_at"] == anchor.gen_time.isoformat()


@pytest.mark.parametrize(
    ("reference", "masked"),
    [
        ("KM-2026-000123", "KM-2026-****23"),
        ("〔2026〕第0007号", "〔2026〕第**07号"),
        ("杭西市监处罚〔2026〕12号", "杭西市监处罚〔2026〕**2号"),
        ("7", "**7"),
    ],
)
def test_references_are_masked_to_the_last_two_digits(reference, masked):
    assert mask_reference(reference) == masked


# --- no personal data --------------------------------------------------------------------------------------


def test_no_personal_data_appears_in_the_page_or_the_api(client, regulator, platform, held):
    complaint, consumer, screenshot = held
    penalty = penalty_issue(
        by=regulator,
        platform=platform,
        kind=PenaltyKind.WARNING,
        legal_basis="第七十七条",
        facts="未交付。",
        decision="警告。",
        complaint_ids=[complaint.pk],
    )
    notice_digest = hashlib.sha256(penalty_notice_pdf(penalty)).hexdigest()
    client.logout()
    responses = [
        client.post(reverse(PAGE), {"file": SimpleUploadedFile("a.png", screenshot)}).text,
        client.post(reverse(PAGE), {"sha256": notice_digest}).text,
        api_post({"file": SimpleUploadedFile("a.png", screenshot)}, multipart=True).content.decode(),
        api_post({"sha256": notice_digest}).content.decode(),
        api_post({"sha256": hashlib.sha256(screenshot).hexdigest()}).content.decode(),
    ]
    for value in personal_values(complaint, consumer):
        for body in responses:
            assert value not in body, f"{value!r} revealed"


# --- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code_words"),
    [
        ("", "Paste the SHA-256"),
        ("xyz" * 21 + "a", "only the digits"),
        ("ab" * 31, "64 hexadecimal digits"),
        ("a" * 65, "64 hexadecimal digits"),
    ],
)
def test_bad_hashes_are_field_errors(client, value, code_words):
    response = api_post({"sha256": value})
    assert response.status_code == 400
    assert code_words in " ".join(response.json()["sha256"])
    page = client.post(reverse(PAGE), {"sha256": value})
    assert page.status_code == 200 and code_words in page.text and "has-error" in page.text


def test_nothing_given_is_a_field_error():
    response = api_post({})
    assert response.status_code == 400 and "sha256" in response.json()


def test_a_file_over_the_cap_is_refused_while_it_arrives(settings, client):
    settings.PORTAL_VERIFY_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.bin", b"x" * 4096)
    response = api_post({"file": big}, multipart=True)
    assert response.status_code == 400 and "larger than" in " ".join(response.json()["file"])
    page = client.post(reverse(PAGE), {"file": SimpleUploadedFile("big.bin", b"x" * 4096)})
    assert "larger than" in page.text
    announced = api_post({"file": SimpleUploadedFile("huge.bin", b"x" * (200 * 1024))}, multipart=True)
    assert announced.status_code == 400 and "larger than" in " ".join(announced.json()["file"])


def test_the_page_form_is_csrf_protected(held):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse(PAGE), {"sha256": "a" * 64}).status_code == 403
    page = strict.get(reverse(PAGE))
    token = page.cookies["csrftoken"].value
    assert strict.post(reverse(PAGE), {"sha256": "a" * 64, "csrfmiddlewaretoken": token}).status_code == 200


# --- throttling --------------------------------------------------------------------------------------------


def test_checks_are_throttled_per_address_across_page_and_api(settings, client):
    settings.PORTAL_VERIFY_RATE = "3/minute"
    digest = "0" * 64
    assert api_post({"sha256": digest}).status_code == 200
    assert api_post({"sha256": digest}).status_code == 200
    assert client.post(reverse(PAGE), {"sha256": digest}).status_code == 200
    throttled = api_post({"sha256": digest})
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    assert client.post(reverse(PAGE), {"sha256": digest}).status_code == 429


# --- bundles -----------------------------------------------------------------------------------------------


def test_a_zip_that_is_no_bundle_is_reported_by_its_first_failure():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a bundle")
    answer = api_post({"file": SimpleUploadedFile("b.zip", buffer.getvalue())}, multipart=True).json()
    assert answer["found"] is False
    assert answer["bundle"]["ok"] is False and answer["bundle"]["check"] == "manifest"


def bundle_of(complaint) -> bytes:
    from complaints.bundle import write_bundle

    buffer = io.BytesIO()
    write_bundle(complaint, buffer)
    return buffer.getvalue()


def test_a_fresh_bundle_verifies_as_the_offline_verifier_says_and_reveals_nothing(client, tsa_settings, held):
    from portal.anchoring import anchor_pending_heads

    complaint, consumer, _screenshot = held
    anchor_pending_heads()
    data = bundle_of(complaint)
    answer = api_post({"file": SimpleUploadedFile("bundle.zip", data)}, multipart=True).json()
    bundle = answer["bundle"]
    assert bundle["ok"] is True and bundle["trusted_by"] == "portal" and bundle["held_by_portal"] is True
    assert bundle["reference"] == mask_reference(complaint.reference)
    assert bundle["events"] == complaint.event_count and bundle["evidence_files"] == 1
    assert bundle["head_anchored_at"]
    page = client.post(reverse(PAGE), {"file": SimpleUploadedFile("bundle.zip", data)}).text
    for value in personal_values(complaint, consumer):
        assert value not in page and value not in str(answer), f"{value!r} revealed"


def test_a_bundle_with_a_changed_byte_names_its_first_failure(held):
    complaint, _consumer, _screenshot = held
    data = bundle_of(complaint)
    with zipfile.ZipFile(io.BytesIO(data)) as original, io.BytesIO() as changed:
        with zipfile.ZipFile(changed, "w") as copy:
            for item in original.infolist():
                content = original.read(item.filename)
                if item.filename.startswith("evidence/"):
                    content = content[:-1] + bytes([content[-1] ^ 0x01])
                copy.writestr(item, content)
        tampered = changed.getvalue()
    bundle = api_post({"file": SimpleUploadedFile("bundle.zip", tampered)}, multipart=True).json()["bundle"]
    assert bundle["ok"] is False and bundle["check"] == "manifest" and bundle["failure"]
    assert complaint.reference not in bundle["failure"]


def test_a_bundle_that_unpacks_past_the_cap_is_refused_unread(settings):
    settings.PORTAL_VERIFY_MAX_UNPACKED_BYTES = 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("evidence/zeros.bin", bytes(8 * 1024 * 1024))
    assert len(buffer.getvalue()) < 64 * 1024
    bundle = api_post({"file": SimpleUploadedFile("bomb.zip", buffer.getvalue())}, multipart=True).json()["bundle"]
    assert bundle["ok"] is False and bundle["failure"]
