"""The public complaint database: who is published, what a record holds (and never holds), the API, the files."""

import base64
import csv
import gzip
import io
import json
import re
import tracemalloc
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, PaymentChannel, Problem, ResponseOutcome, Status
from complaints.selectors import unscoped_complaints_for_system
from platforms.models import Operator
from regulation.api.open_data import OpenComplaintSerializer
from regulation.models import OpenDataRelease
from regulation.open_data import (
    FIELDS,
    amount_band,
    open_data_export,
    public_id,
    published_complaints,
)
from regulation.tasks import export_open_data_task
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory, file_complaint

pytestmark = pytest.mark.django_db

DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "open-data.md"
API_URL = "/api/v1/open/complaints/"

# Distinctive personal values of the fixtures: none of them may appear anywhere in the open data.
CONSUMER_NAME = ("欧阳", "娜娜")
CONSUMER_PHONE = "13912348823"
CONSUMER_EMAIL = "ouyang.nana.8823@example.cn"
CONSUMER_USERNAME = "ouyangnana8823"
NARRATIVE_PHONE = "13798768823"
NARRATIVE_NAME = "王小明"
NARRATIVE_EMAIL = "wxm8823@example.cn"
ORDER_NUMBER = "KM20261001884477"
PAYMENT_REFERENCE = "2026100122001499887766"
AMOUNT = Decimal("388.23")
AGENT_ID = "KF9981"
SECRET_DESCRIPTION = "这段话没有同意公开甲乙丙丁戊己"
PERSONAL_VALUES = (
    *CONSUMER_NAME,
    CONSUMER_PHONE,
    CONSUMER_EMAIL,
    CONSUMER_USERNAME,
    NARRATIVE_PHONE,
    NARRATIVE_NAME,
    NARRATIVE_EMAIL,
    ORDER_NUMBER,
    PAYMENT_REFERENCE,
    "388.23",
    AGENT_ID,
    SECRET_DESCRIPTION,
)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def operator(db):
    return Operator.objects.create(name="某某网络科技有限公司")


@pytest.fixture
def published_pair(operator):
    """Two complaints past the 15 days, full of personal data: one with consent to publish, one without."""
    platform = PlatformFactory(operator=operator)
    consumer = ConsumerFactory(
        username=CONSUMER_USERNAME,
        email=CONSUMER_EMAIL,
        phone=CONSUMER_PHONE,
        first_name=CONSUMER_NAME[1],
        last_name=CONSUMER_NAME[0],
    )
    consented = filed_ago(
        consumer,
        platform,
        days=20,
        order_number=ORDER_NUMBER,
        payment_reference=PAYMENT_REFERENCE,
        amount=AMOUNT,
        support_agent_id=AGENT_ID,
        description=(
            f"我叫{NARRATIVE_NAME}，手机{NARRATIVE_PHONE}，邮箱{NARRATIVE_EMAIL}。订单号{ORDER_NUMBER}，"
            f"支付流水{PAYMENT_REFERENCE}，客服{AGENT_ID}说会补发，付款后一直没有收到卡密。"
        ),
    )
    services.complaint_set_publication(complaint_id=consented.pk, by=consumer, consent=True)
    silent = filed_ago(
        consumer,
        platform,
        days=20,
        order_number=ORDER_NUMBER + "2",
        payment_reference=PAYMENT_REFERENCE,
        amount=AMOUNT,
        support_agent_id=AGENT_ID,
        description=SECRET_DESCRIPTION,
    )
    return consented, silent


def filed_ago(consumer=None, platform=None, *, days: float, **overrides) -> Complaint:
    """A complaint filed ``days`` ago (paid five hours before)."""
    filed = timezone.now() - timedelta(days=days)
    return file_complaint(consumer, platform, now=filed, paid_at=filed - timedelta(hours=5), **overrides)


def api_records(client, **params) -> list[dict]:
    response = client.get(API_URL, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def export_files(release: OpenDataRelease) -> tuple[str, str]:
    with default_storage.open(release.csv_name, "rb") as csv_file:
        csv_text = gzip.decompress(csv_file.read()).decode("utf-8")
    with default_storage.open(release.jsonl_name, "rb") as jsonl_file:
        jsonl_text = gzip.decompress(jsonl_file.read()).decode("utf-8")
    return csv_text, jsonl_text


def dictionary_fields() -> list[str]:
    """The field names of the data dictionary's table in docs/open-data.md, in order."""
    text = DICTIONARY.read_text(encoding="utf-8")
    table = text.split("## Data dictionary", 1)[1]
    return re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)


# --- no personal data --------------------------------------------------------------------------------------


def test_api_output_holds_no_personal_value_of_the_fixtures(client, published_pair):
    body = client.get(API_URL).content.decode("utf-8")
    assert len(json.loads(body)["results"]) == 2
    for value in PERSONAL_VALUES:
        assert value not in body, value


def test_export_files_hold_no_personal_value_of_the_fixtures(published_pair):
    csv_text, jsonl_text = export_files(open_data_export())
    for text in (csv_text, jsonl_text):
        assert len(text.strip().splitlines()) >= 2
        for value in PERSONAL_VALUES:
            assert value not in text, value


def test_records_show_neither_internal_id_nor_reference(client, published_pair):
    records = {record["complaint_id"] for record in api_records(client)}
    for complaint in published_pair:
        assert complaint.reference not in str(records)
        assert public_id(complaint.pk) in records
        assert str(complaint.pk) not in records


def test_narrative_is_published_redacted_with_consent_only(client, published_pair):
    consented, silent = published_pair
    by_id = {record["complaint_id"]: record for record in api_records(client)}
    narrative = by_id[public_id(consented.pk)]["narrative"]
    assert "没有收到卡密" in narrative and "[手机号已隐藏]" in narrative and "[订单号已隐藏]" in narrative
    assert by_id[public_id(silent.pk)]["narrative"] == ""


def test_cursor_does_not_show_the_internal_id(client, published_pair):
    response = client.get(API_URL, {"page_size": 1}).json()
    cursor = unquote(response["next"].split("cursor=")[1].split("&")[0])
    decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    # Encrypted: neither the id nor the sort key can be read back from it.
    with pytest.raises(ValueError):
        json.loads(decoded)
    newest = max(published_pair, key=lambda complaint: (complaint.created_at, complaint.pk))
    assert newest.created_at.isoformat()[:10].encode() not in decoded


# --- the dictionary ----------------------------------------------------------------------------------------


def test_dictionary_lists_exactly_the_published_fields():
    assert tuple(dictionary_fields()) == FIELDS


def test_every_exported_record_has_exactly_the_dictionarys_fields(published_pair):
    fields = dictionary_fields()
    csv_text, jsonl_text = export_files(open_data_export())
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    assert reader.fieldnames == fields
    assert all(list(row) == fields for row in reader)
    records = [json.loads(line) for line in jsonl_text.splitlines()]
    assert records and all(list(record) == fields for record in records)


def test_api_records_have_exactly_the_dictionarys_fields(client, published_pair):
    assert tuple(OpenComplaintSerializer().fields) == FIELDS
    assert all(list(record) == dictionary_fields() for record in api_records(client))


# --- publication rules -------------------------------------------------------------------------------------


def test_a_fresh_unanswered_complaint_is_not_published(client):
    filed_ago(days=14)
    assert api_records(client) == []


def test_a_complaint_is_published_once_the_platform_answered(client):
    complaint = file_complaint()
    agent = StaffFactory(platform=complaint.platform)
    services.complaint_respond(
        complaint_id=complaint.pk, by=agent, outcome=ResponseOutcome.REJECTED, message="查无此单",
        rejection_reason="not_our_order",
    )  # fmt: skip
    [record] = api_records(client)
    assert record["platform_response"] == "rejected" and record["timely"] == "Y"


def test_a_complaint_against_an_unregistered_site_is_not_published(client):
    complaint = filed_ago(platform=False, days=30, unregistered_platform_name="某卡盟")
    assert complaint.platform_id is None
    assert api_records(client) == []


def test_record_fields_are_derived_as_documented(client, published_pair, operator):
    consented, _silent = published_pair
    record = next(r for r in api_records(client) if r["complaint_id"] == public_id(consented.pk))
    assert record["date_received"] == timezone.localtime(consented.created_at).date().isoformat()
    assert record["operator"] == operator.name
    assert record["product_category"] == "card_key" and record["problem"] == Problem.CARD_KEY_MISSING
    assert record["amount_band"] == "200-500"
    assert record["platform_response"] == "no_response"
    assert record["timely"] == "N" and record["consumer_disputed"] == "N"
    assert record["outcome"] == "in_progress"


@pytest.mark.parametrize(
    ("amount", "band"),
    [("0.01", "0-50"), ("49.99", "0-50"), ("50", "50-100"), ("4999.99", "1000-5000"), ("5000", "5000+")],
)
def test_amount_bands(amount, band):
    assert amount_band(Decimal(amount)) == band


def test_a_disputed_answer_shows_as_disputed(client):
    complaint = file_complaint()
    agent = StaffFactory(platform=complaint.platform)
    services.complaint_respond(
        complaint_id=complaint.pk, by=agent, outcome=ResponseOutcome.REJECTED, message="查无此单",
        rejection_reason="not_our_order",
    )  # fmt: skip
    services.complaint_dispute(complaint_id=complaint.pk, by=complaint.consumer, reason="订单截图证明有此单")
    [record] = api_records(client)
    assert record["consumer_disputed"] == "Y"


# --- API ---------------------------------------------------------------------------------------------------


def test_filters_by_channel_platform_problem_outcome_and_dates(client, published_pair):
    consented, _silent = published_pair
    other = filed_ago(
        days=40,
        payment_channel=PaymentChannel.WECHAT,
        problem=Problem.TOPUP_NOT_CREDITED,
    )
    Complaint.objects.filter(pk=other.pk).update(status=Status.CLOSED, finding="upheld")
    wechat = api_records(client, payment_channel="wechat")
    assert [r["complaint_id"] for r in wechat] == [public_id(other.pk)]
    assert len(api_records(client, platform=consented.platform.slug)) == 2
    assert [r["complaint_id"] for r in api_records(client, problem="topup_not_credited")] == [public_id(other.pk)]
    assert [r["complaint_id"] for r in api_records(client, outcome="upheld")] == [public_id(other.pk)]
    day = timezone.localtime(consented.created_at).date()
    assert len(api_records(client, date_from=day.isoformat(), date_to=day.isoformat())) == 2
    assert api_records(client, date_from=(day + timedelta(days=1)).isoformat()) == []


def test_cursor_pages_walk_every_record_once(client):
    complaints = [filed_ago(days=20 + n / 1440) for n in range(5)]
    seen, url = [], API_URL + "?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [record["complaint_id"] for record in body["results"]]
        url = body["next"]
    assert seen == [public_id(c.pk) for c in complaints]  # newest first


@pytest.mark.parametrize(
    ("params", "field"),
    [({"payment_channel": "paypal"}, "payment_channel"), ({"date_from": "2026-13-01"}, "date_from"),
     ({"date_from": "2026-12-02", "date_to": "2026-12-01"}, "date_to"), ({"outcome": "won"}, "outcome")],
)  # fmt: skip
def test_invalid_filters_are_400_naming_the_field(client, params, field):
    response = client.get(API_URL, params)
    assert response.status_code == 400
    assert field in json.dumps(response.json())


def test_a_forged_cursor_is_404(client):
    assert client.get(API_URL, {"cursor": "bm90LWEtY3Vyc29y"}).status_code == 404


def test_the_api_is_throttled_for_anonymous_callers(client, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "2/minute"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
        statuses = [client.get(API_URL).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_api_list_query_count_does_not_grow_with_records(client, django_assert_max_num_queries):
    for n in range(6):
        filed_ago(days=20 + n / 1440)
    with django_assert_max_num_queries(2):
        assert len(api_records(client)) == 6


# --- the daily files ---------------------------------------------------------------------------------------


def test_export_writes_both_files_under_stable_names(client, published_pair):
    release = export_open_data_task.delay().get()
    day = timezone.localdate()
    assert release == {"day": day.isoformat(), "records": 2}
    for fmt in ("csv", "jsonl"):
        for label in (day.isoformat(), "latest"):
            response = client.get(f"/open-data/complaints-{label}.{fmt}.gz")
            assert response.status_code == 200
            assert response["Content-Type"] == "application/gzip"
            assert gzip.decompress(b"".join(response.streaming_content))


def test_download_url_is_reversible(published_pair):
    release = open_data_export()
    url = reverse("regulation:open-data-file", kwargs={"label": release.day.isoformat(), "fmt": "csv"})
    assert url == f"/open-data/complaints-{release.day.isoformat()}.csv.gz"


def test_running_the_export_twice_keeps_the_first(published_pair):
    first = open_data_export()
    second = open_data_export()
    assert first.pk == second.pk and OpenDataRelease.objects.count() == 1


def test_a_missing_day_is_404(client):
    assert client.get("/open-data/complaints-2020-01-01.csv.gz").status_code == 404
    assert client.get("/open-data/complaints-latest.jsonl.gz").status_code == 404


def test_export_reads_in_chunks(published_pair, settings, monkeypatch):
    settings.PORTAL_OPEN_DATA_CHUNK_SIZE = 123
    seen = []
    original = type(published_complaints()).iterator

    def spy(queryset, chunk_size=None):
        seen.append(chunk_size)
        return original(queryset, chunk_size=chunk_size)

    monkeypatch.setattr(type(published_complaints()), "iterator", spy)
    open_data_export()
    assert seen == [123]


def _bulk_complaints(count: int, platform, consumer) -> None:
    filed = timezone.now() - timedelta(days=30)
    Complaint.objects.bulk_create(
        Complaint(
            reference=f"OD{platform.pk}-{n:07d}",
            consumer=consumer,
            platform=platform,
            order_number=f"DD{n:012d}",
            paid_at=filed,
            amount=Decimal("99.00"),
            payment_channel=PaymentChannel.ALIPAY,
            payment_reference=f"TX{n:020d}",
            product_name="点卡",
            problem=Problem.CARD_KEY_MISSING,
            platform_order_status="paid",
            description="未到账",
            desired_outcome="refund",
            status=Status.AWAITING_PLATFORM,
            created_at=filed + timedelta(seconds=n),
        )
        for n in range(count)
    )


def _peak_export_memory() -> int:
    tracemalloc.start()
    try:
        open_data_export(day=timezone.localdate() - timedelta(days=OpenDataRelease.objects.count() + 1))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_memory_does_not_grow_with_rows(settings):
    settings.PORTAL_OPEN_DATA_CHUNK_SIZE = 200
    platform, consumer = PlatformFactory(), ConsumerFactory()
    _bulk_complaints(600, platform, consumer)
    small = _peak_export_memory()
    _bulk_complaints(3000, PlatformFactory(), consumer)
    large = _peak_export_memory()
    assert unscoped_complaints_for_system().count() == 3600
    # Six times the rows: with chunked reads and streamed gzip the peak stays about the same (a list of every
    # record would grow it roughly sixfold).
    assert large < small * 1.5, (small, large)
