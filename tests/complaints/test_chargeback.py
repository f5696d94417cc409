"""The chargeback pack: what the ZIP holds, that its manifest verifies, what the statement claims, who may have it."""

import hashlib
import io
import json
import zipfile
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.test import Client
from django.urls import reverse

from complaints.chargeback import MANIFEST, chargeback_pack_run
from complaints.models import ChargebackPack, DossierExportStatus, EvidenceKind, PaymentChannel
from portal.models import AccessLog, IssuedDocument, IssuedDocumentKind
from portal.offices import national_office
from tests.factories import add_evidence, file_complaint, image_upload
from tests.fixtures_roles import client_for
from tests.offices import build_tree
from tests.pdf_reading import compact, pdf_text

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def vouchered(complaint, consumer):
    """A complaint with one payment voucher and one order screenshot."""
    add_evidence(complaint, consumer, image_upload("支付凭证.png", color="navy"), kind=EvidenceKind.PAYMENT_VOUCHER)
    add_evidence(complaint, consumer, image_upload("订单截图.png"), kind=EvidenceKind.ORDER_SCREENSHOT)
    complaint.refresh_from_db()
    return complaint


def confirm_unreachable(platform) -> None:
    """Set the regulator's confirmation directly, as the confirmation service would."""
    platform.unreachable_confirmed_at = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    platform.unreachable_reference = "沪浦市监确认〔2026〕17号"
    platform.unreachable_office = national_office()
    platform.save()


def web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def build(client, complaint, django_capture_on_commit_callbacks) -> ChargebackPack:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("complaints:chargeback-request", args=[complaint.pk]))
    assert response.status_code == 302
    return complaint.chargeback_packs.get()


def download(client, complaint, pack) -> zipfile.ZipFile:
    response = client.get(reverse("complaints:chargeback-download", args=[complaint.pk, pack.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def statement_text(archive: zipfile.ZipFile) -> str:
    return compact(pdf_text(archive.read("statement.pdf")))


def test_consumer_builds_a_pack_whose_manifest_verifies(consumer, vouchered, django_capture_on_commit_callbacks):
    client = web_client(consumer)
    pack = build(client, vouchered, django_capture_on_commit_callbacks)
    assert pack.status == DossierExportStatus.DONE and pack.progress == 100
    archive = download(client, vouchered, pack)
    manifest = json.loads(archive.read(MANIFEST))
    listed = {entry["path"] for entry in manifest["files"]}
    assert listed == set(archive.namelist()) - {MANIFEST}
    for entry in manifest["files"]:
        content = archive.read(entry["path"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["size"]


def test_pack_holds_dossier_statement_and_only_the_payment_vouchers(consumer, vouchered):
    pack = ChargebackPack.objects.create(complaint=vouchered, requested_by=consumer)
    chargeback_pack_run(pack.pk)
    pack.refresh_from_db()
    with pack.file.open("rb") as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    voucher = vouchered.evidence.get(kind=EvidenceKind.PAYMENT_VOUCHER)
    assert sorted(archive.namelist()) == sorted(
        ["statement.pdf", "dossier.pdf", f"payment-vouchers/{voucher.pk}.png", MANIFEST]
    )
    assert hashlib.sha256(archive.read(f"payment-vouchers/{voucher.pk}.png")).hexdigest() == voucher.sha256
    assert archive.read("dossier.pdf").startswith(b"%PDF")


def test_the_zip_hash_is_kept_with_the_pack(consumer, vouchered):
    pack = ChargebackPack.objects.create(complaint=vouchered, requested_by=consumer)
    chargeback_pack_run(pack.pk)
    pack.refresh_from_db()
    with pack.file.open("rb") as stored:
        content = stored.read()
    assert pack.sha256 == hashlib.sha256(content).hexdigest() and pack.size == len(content)


def test_statement_names_order_amount_transaction_and_the_confirmation(consumer, vouchered, platform):
    confirm_unreachable(platform)
    pack = ChargebackPack.objects.create(complaint=vouchered, requested_by=consumer)
    chargeback_pack_run(pack.pk)
    pack.refresh_from_db()
    with pack.file.open("rb") as stored:
        text = statement_text(zipfile.ZipFile(io.BytesIO(stored.read())))
    assert vouchered.order_number in text
    assert "199.00" in text
    assert vouchered.payment_reference in text
    assert "2026年11月20日" in text
    assert "沪浦市监确认〔2026〕17号" in text
    assert compact(national_office().name) in text
    assert "已无法联系" in text


def test_statement_without_confirmation_claims_none(consumer, vouchered):
    pack = ChargebackPack.objects.create(complaint=vouchered, requested_by=consumer)
    chargeback_pack_run(pack.pk)
    pack.refresh_from_db()
    with pack.file.open("rb") as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    text = statement_text(archive)
    assert "确认" not in text.replace("确认文号", "")  # no confirmation claimed
    assert "未交付" in text and "未作任何答复" in text
    assert json.loads(archive.read(MANIFEST))["platform_unreachable"] is None


@pytest.mark.parametrize(
    ("channel", "asks"),
    [
        (PaymentChannel.ALIPAY, "请求支付宝介入处理"),
        (PaymentChannel.WECHAT, "请求微信支付介入处理"),
        (PaymentChannel.BANK_CARD, "发起拒付"),
    ],
)
def test_statement_asks_the_complaints_own_channel(consumer, platform, channel, asks):
    complaint = file_complaint(consumer, platform, payment_channel=channel)
    pack = ChargebackPack.objects.create(complaint=complaint, requested_by=consumer)
    chargeback_pack_run(pack.pk)
    pack.refresh_from_db()
    with pack.file.open("rb") as stored:
        assert asks in statement_text(zipfile.ZipFile(io.BytesIO(stored.read())))


def test_statement_is_registered_for_verify(consumer, vouchered):
    pack = ChargebackPack.objects.create(complaint=vouchered, requested_by=consumer)
    chargeback_pack_run(pack.pk)
    pack.refresh_from_db()
    with pack.file.open("rb") as stored:
        statement = zipfile.ZipFile(io.BytesIO(stored.read())).read("statement.pdf")
    issued = IssuedDocument.objects.get(sha256=hashlib.sha256(statement).hexdigest())
    assert issued.kind == IssuedDocumentKind.CHARGEBACK_STATEMENT and issued.reference == vouchered.reference


def test_running_a_finished_pack_again_changes_nothing(consumer, vouchered):
    pack = ChargebackPack.objects.create(complaint=vouchered, requested_by=consumer)
    chargeback_pack_run(pack.pk)
    pack.refresh_from_db()
    with mock.patch("complaints.chargeback.write_pack") as write:
        again = chargeback_pack_run(pack.pk)
    write.assert_not_called()
    assert again.sha256 == pack.sha256 and again.file.name == pack.file.name


def test_a_second_click_while_building_reuses_the_pack(consumer, vouchered):
    client = web_client(consumer)
    url = reverse("complaints:chargeback-request", args=[vouchered.pk])
    client.post(url)  # on_commit not run: stays pending
    client.post(url)
    assert vouchered.chargeback_packs.count() == 1


def test_pack_stopped_at_its_time_limit_is_marked_failed(consumer, vouchered):
    pack = ChargebackPack.objects.create(complaint=vouchered, requested_by=consumer)
    with mock.patch("complaints.chargeback.write_pack", side_effect=SoftTimeLimitExceeded()):
        chargeback_pack_run(pack.pk)
    pack.refresh_from_db()
    assert pack.status == DossierExportStatus.FAILED and pack.error == ChargebackPack.TIMED_OUT
    assert pack.failure_message == str(ChargebackPack.FAILURE_MESSAGES[ChargebackPack.TIMED_OUT])


def test_status_page_and_json_show_progress(consumer, vouchered):
    client = web_client(consumer)
    client.post(reverse("complaints:chargeback-request", args=[vouchered.pk]))
    pack = vouchered.chargeback_packs.get()
    page = client.get(reverse("complaints:chargeback-status", args=[vouchered.pk, pack.pk]))
    assert page.status_code == 200 and b"js-dossier-export" in page.content
    state = client.get(reverse("complaints:chargeback-status-json", args=[vouchered.pk, pack.pk])).json()
    assert state == {"status": "pending", "progress": 0, "failure_message": "", "download_url": None}


def test_download_is_logged(consumer, vouchered, django_capture_on_commit_callbacks):
    client = web_client(consumer)
    pack = build(client, vouchered, django_capture_on_commit_callbacks)
    download(client, vouchered, pack)
    assert AccessLog.objects.filter(action="chargeback_download", object_id=str(vouchered.pk)).exists()


def test_complaint_page_offers_the_pack_to_its_consumer(consumer, complaint):
    page = web_client(consumer).get(reverse("complaints:complaint-detail", args=[complaint.pk]))
    assert reverse("complaints:chargeback-request", args=[complaint.pk]).encode() in page.content


def test_complaint_page_does_not_offer_the_pack_to_platform_staff(agent, complaint):
    page = web_client(agent).get(reverse("complaints:complaint-detail", args=[complaint.pk]))
    assert reverse("complaints:chargeback-request", args=[complaint.pk]).encode() not in page.content


# --- access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "allowed"), [
    ("consumer", True), ("regulator", True), ("agent", False), ("other_consumer", False), ("other_agent", False),
])  # fmt: skip
def test_who_may_build_a_pack(request, vouchered, role, allowed):
    user = request.getfixturevalue(role)
    response = web_client(user).post(reverse("complaints:chargeback-request", args=[vouchered.pk]))
    assert response.status_code == (302 if allowed else 404)
    assert vouchered.chargeback_packs.exists() == allowed


@pytest.mark.parametrize("role", ["agent", "other_consumer", "other_agent"])
def test_others_cannot_download_or_follow_a_pack(request, consumer, vouchered, role):
    pack = ChargebackPack.objects.create(complaint=vouchered, requested_by=consumer)
    chargeback_pack_run(pack.pk)
    client = web_client(request.getfixturevalue(role))
    for name in ("chargeback-status", "chargeback-status-json", "chargeback-download"):
        assert client.get(reverse(f"complaints:{name}", args=[vouchered.pk, pack.pk])).status_code == 404


def test_regulator_outside_the_complaints_office_gets_404(vouchered):
    outsider = build_tree().regulator("a")  # a district office; the complaint is handled above it
    response = web_client(outsider).post(reverse("complaints:chargeback-request", args=[vouchered.pk]))
    assert response.status_code == 404


def test_a_pack_of_another_complaint_is_404(consumer, vouchered, platform):
    other = file_complaint(consumer, platform)
    pack = ChargebackPack.objects.create(complaint=other, requested_by=consumer)
    url = reverse("complaints:chargeback-status", args=[vouchered.pk, pack.pk])
    assert web_client(consumer).get(url).status_code == 404


# --- API ---------------------------------------------------------------------------------------------------


def test_api_builds_follows_and_downloads_a_pack(consumer, vouchered, django_capture_on_commit_callbacks):
    api = client_for(consumer)
    with django_capture_on_commit_callbacks(execute=True):
        queued = api.post(reverse("complaints_api:chargeback-request", kwargs={"id": vouchered.pk}))
    assert queued.status_code == 202
    state = api.get(queued.json()["status_url"]).json()
    assert state["status"] == "done" and state["download_url"]
    content = b"".join(api.get(state["download_url"]).streaming_content)
    assert hashlib.sha256(content).hexdigest() == state["sha256"]
    assert MANIFEST in zipfile.ZipFile(io.BytesIO(content)).namelist()


@pytest.mark.parametrize("role", ["agent", "other_consumer"])
def test_api_answers_404_to_others(request, vouchered, role):
    api = client_for(request.getfixturevalue(role))
    response = api.post(reverse("complaints_api:chargeback-request", kwargs={"id": vouchered.pk}))
    assert response.status_code == 404


def test_verify_page_names_a_statement_as_a_chargeback_statement(client, consumer, vouchered):
    pack = ChargebackPack.objects.create(complaint=vouchered, requested_by=consumer)
    chargeback_pack_run(pack.pk)
    pack.refresh_from_db()
    with pack.file.open("rb") as stored:
        statement = zipfile.ZipFile(io.BytesIO(stored.read())).read("statement.pdf")
    page = client.post(reverse("complaints:verify"), {"sha256": hashlib.sha256(statement).hexdigest()})
    assert page.status_code == 200
    assert "Chargeback statement" in page.content.decode() or "交易争议申请说明" in page.content.decode()
