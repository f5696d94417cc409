"""The complaints API as a consumer uses it: filing, reading, evidence and the consumer's own moves."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from complaints import services
from complaints.models import Complaint, Evidence, Status
from platforms.models import WebhookEndpoint, WebhookEvent
from tests.factories import PlatformFactory, file_complaint
from tests.factories import api_filing as filing
from tests.fixtures_roles import client_for

pytestmark = pytest.mark.django_db

CHAT_LOG = "客服：24小时内补发卡密。\n".encode()


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def url(name: str, complaint) -> str:
    return reverse(name, args=[complaint.pk])


def answer_with_refund(complaint) -> None:
    from tests.factories import StaffFactory

    services.complaint_respond(
        complaint_id=complaint.pk,
        by=StaffFactory(platform=complaint.platform),
        outcome="refunded",
        message="已原路退款。",
        refund_amount=Decimal("199.00"),
        refund_reference="RF1",
    )


def upload(client, complaint, *files, kind="chat_log"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    parts = [SimpleUploadedFile(name, content) for name, content in files]
    return client.post(
        url("complaints_api:complaint-evidence", complaint), {"file": parts, "kind": kind}, format="multipart"
    )


# --- filing ---------------------------------------------------------------------------------------


def test_consumer_files_a_complaint_and_gets_its_full_representation(consumer, platform):
    response = client_for(consumer).post(
        reverse("complaints_api:complaint-list"), filing(platform, publish_consent=True)
    )

    assert response.status_code == 201
    body = response.json()
    complaint = Complaint.objects.get(pk=body["id"])
    assert body["reference"] == complaint.reference
    assert body["status"] == Status.AWAITING_PLATFORM
    assert body["platform"] == {"slug": platform.slug, "name": platform.name}
    assert body["amount"] == "199.00"
    assert body["publish_consent"] is True
    assert {d["kind"] for d in body["deadlines"]} == {"first_response", "resolution", "hard_limit"}
    assert body["chain_head_hash"] == complaint.last_event_hash
    assert body["consumer"] is None


def test_filing_answers_with_what_the_detail_endpoint_shows(consumer, platform):
    client = client_for(consumer)
    payload = filing(platform, support_contact={"agent_id": "KF-007", "promise": "24小时内补发"})

    created = client.post(reverse("complaints_api:complaint-list"), payload)

    assert created.status_code == 201
    assert created.json() == client.get(reverse("complaints_api:complaint-detail", args=[created.json()["id"]])).json()


def test_filing_takes_a_fixed_number_of_queries(consumer, platform, django_assert_max_num_queries):
    # Token auth as the benchmark files. 17: token, platform, savepoint, calendar exceptions (cold cache), staff
    # e-mails, the receiving office, complaint, clocks, webhook endpoints, the accounts behind the addresses, then
    # the number, the reference, events, e-mails, in-app notifications, deliveries, release. Nothing is read back
    # after the inserts, and a duplicate is left to the constraint rather than looked up first.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=consumer).key}")
    WebhookEndpoint.objects.create(
        platform=platform, url="https://hooks.example.cn/km", secret="s", events=[WebhookEvent.CREATED]
    )

    with django_assert_max_num_queries(17):
        response = client.post(reverse("complaints_api:complaint-list"), filing(platform))

    assert response.status_code == 201


@pytest.mark.dated
def test_while_the_reference_counter_is_locked_only_rows_carrying_the_reference_are_written(consumer, platform):
    WebhookEndpoint.objects.create(
        platform=platform, url="https://hooks.example.cn/km", secret="s", events=[WebhookEvent.CREATED]
    )

    with CaptureQueriesContext(connection) as queries:
        response = client_for(consumer).post(reverse("complaints_api:complaint-list"), filing(platform))

    assert response.status_code == 201
    statements = [query["sql"] for query in queries.captured_queries]
    (counter,) = [i for i, sql in enumerate(statements) if sql.startswith('INSERT INTO "portal_numbersequence"')]
    after = [sql.split('"')[1] for sql in statements[counter + 1 :] if not sql.startswith("RELEASE SAVEPOINT")]
    assert after == [
        "complaints_complaint",
        "complaints_event",
        "complaints_outboxmessage",
        "portal_notification",
        "complaints_webhookdelivery",
    ]
    assert statements[counter + 1].startswith('UPDATE "complaints_complaint" SET "reference"')


def test_support_contact_is_stored_with_the_complaint(consumer, platform):
    contacted_at = timezone.now() - timedelta(hours=2)
    payload = filing(
        platform,
        support_contact={
            "agent_id": "KF-007",
            "contacted_at": contacted_at.isoformat(),
            "promise": "24小时内补发",
        },
    )

    response = client_for(consumer).post(reverse("complaints_api:complaint-list"), payload)

    assert response.status_code == 201
    complaint = Complaint.objects.get(pk=response.json()["id"])
    assert (complaint.support_agent_id, complaint.support_promise) == ("KF-007", "24小时内补发")
    assert complaint.support_contacted_at == contacted_at


def test_complaint_against_unregistered_platform_goes_to_triage(consumer, platform):
    payload = filing(platform, unregistered_platform={"name": "某小众卡盟", "url": "https://xz.example.cn"})
    del payload["platform"]

    response = client_for(consumer).post(reverse("complaints_api:complaint-list"), payload)

    assert response.status_code == 201
    assert response.json()["status"] == Status.TRIAGE
    assert response.json()["platform_name"] == "某小众卡盟"


def test_unknown_platform_slug_is_a_platform_field_error(consumer, platform):
    response = client_for(consumer).post(reverse("complaints_api:complaint-list"), filing(platform, platform="no-such"))

    assert response.status_code == 400
    assert "platform" in response.json()


def test_giving_both_registered_and_unregistered_platform_is_refused(consumer, platform):
    payload = filing(platform, unregistered_platform={"name": "某卡盟", "url": "https://x.example.cn"})

    response = client_for(consumer).post(reverse("complaints_api:complaint-list"), payload)

    assert response.status_code == 400
    assert "platform" in response.json()


@pytest.mark.dated
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "0.00"}, "amount"),
        ({"amount": "19.999"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"problem": "slow_wifi"}, "problem"),
        ({"payment_channel": "cash"}, "payment_channel"),
        ({"order_number": ""}, "order_number"),
        ({"paid_at": "yesterday"}, "paid_at"),
        ({"paid_at": timedelta(days=1)}, "paid_at"),  # from now: read when the test runs, not when collected
    ],
)
def test_invalid_filing_answers_400_on_the_field(consumer, platform, overrides, field):
    overrides = {
        name: (timezone.now() + value).isoformat() if isinstance(value, timedelta) else value
        for name, value in overrides.items()
    }
    response = client_for(consumer).post(reverse("complaints_api:complaint-list"), filing(platform, **overrides))

    assert response.status_code == 400
    assert field in response.json()
    assert not Complaint.objects.exists()


def test_second_open_complaint_for_same_order_is_409_with_link(consumer, platform):
    first = file_complaint(consumer, platform, order_number="DD-1")

    response = client_for(consumer).post(
        reverse("complaints_api:complaint-list"), filing(platform, order_number="DD-1")
    )

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_open_complaint"
    assert str(first.pk) in response.json()["link"]


@pytest.mark.parametrize("role", ["agent", "regulator"])
def test_only_consumers_may_file(request, platform, role):
    user = request.getfixturevalue(role)

    response = client_for(user).post(reverse("complaints_api:complaint-list"), filing(platform))

    assert response.status_code == 403
    assert not Complaint.objects.exists()


def test_anonymous_caller_is_401(api_client, platform):
    assert api_client.get(reverse("complaints_api:complaint-list")).status_code == 401


def test_retry_with_same_idempotency_key_replays_the_first_answer(consumer, platform):
    client, payload = client_for(consumer), filing(platform)

    first = client.post(reverse("complaints_api:complaint-list"), payload, HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post(reverse("complaints_api:complaint-list"), payload, HTTP_IDEMPOTENCY_KEY="abc-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Complaint.objects.count() == 1


def test_reusing_an_idempotency_key_for_another_body_is_409(consumer, platform):
    client = client_for(consumer)
    client.post(reverse("complaints_api:complaint-list"), filing(platform), HTTP_IDEMPOTENCY_KEY="abc-2")

    response = client.post(
        reverse("complaints_api:complaint-list"), filing(platform, amount="5.00"), HTTP_IDEMPOTENCY_KEY="abc-2"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_mismatch"


def test_filing_is_throttled(consumer, platform, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "filing", "1/hour")
    client = client_for(consumer)
    client.post(reverse("complaints_api:complaint-list"), filing(platform))

    response = client.post(reverse("complaints_api:complaint-list"), filing(platform))

    assert response.status_code == 429
    assert client.get(reverse("complaints_api:complaint-list")).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_sent_twice_at_once_files_one_complaint(consumer, platform):
    payload, answers = filing(platform), []
    barrier = threading.Barrier(2)

    def send():
        try:
            barrier.wait()
            response = client_for(consumer).post(
                reverse("complaints_api:complaint-list"), payload, HTTP_IDEMPOTENCY_KEY="same-time"
            )
            answers.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(code for code, _id in answers) == [200, 201]
    assert len({complaint_id for _code, complaint_id in answers}) == 1
    assert Complaint.objects.count() == 1


# --- reading --------------------------------------------------------------------------------------


def test_consumer_lists_only_own_complaints(consumer, other_consumer, platform):
    mine = file_complaint(consumer, platform)
    file_complaint(other_consumer, platform)

    response = client_for(consumer).get(reverse("complaints_api:complaint-list"))

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    assert response.json()["count"] == 1


@pytest.mark.dated
def test_list_is_newest_first(consumer, platform):
    older = file_complaint(
        consumer, platform, now=timezone.now() - timedelta(days=2), paid_at=timezone.now() - timedelta(days=3)
    )
    newer = file_complaint(consumer, platform)

    rows = client_for(consumer).get(reverse("complaints_api:complaint-list")).json()["results"]

    assert [row["id"] for row in rows] == [newer.pk, older.pk]


@pytest.mark.dated
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=withdrawn", {"withdrawn"}),
        ("problem=topup_not_credited", {"topup"}),
        ("overdue=true", {"overdue"}),
        ("created_before={old_day}", {"old"}),
        ("created_after={today}", {"withdrawn", "topup", "overdue", "other_platform"}),
        ("created_after={old_time}&created_before={old_time}", {"old"}),
        ("platform={other_slug}", {"other_platform"}),
        ("search=DD-FIND-ME", {"topup"}),
    ],
)
def test_list_filters(consumer, platform, other_platform, query, expected):
    ten_days_ago = timezone.now() - timedelta(days=10)
    complaints = {
        "old": file_complaint(consumer, platform, now=ten_days_ago, paid_at=ten_days_ago - timedelta(hours=1)),
        "withdrawn": file_complaint(consumer, platform),
        "topup": file_complaint(consumer, platform, problem="topup_not_credited", order_number="DD-FIND-ME"),
        "overdue": file_complaint(consumer, platform),
        "other_platform": file_complaint(consumer, other_platform),
    }
    services.complaint_withdraw(complaint_id=complaints["withdrawn"].pk, by=consumer)
    Complaint.objects.filter(pk=complaints["overdue"].pk).update(is_overdue=True)
    query = query.format(
        old_day=timezone.localdate(ten_days_ago).isoformat(),
        today=timezone.localdate().isoformat(),
        old_time=complaints["old"].created_at.isoformat().replace("+", "%2B"),
        other_slug=other_platform.slug,
    )

    rows = client_for(consumer).get(f"{reverse('complaints_api:complaint-list')}?{query}").json()["results"]

    assert {row["id"] for row in rows} == {complaints[name].pk for name in expected}


def test_invalid_date_filter_is_a_400(consumer):
    response = client_for(consumer).get(f"{reverse('complaints_api:complaint-list')}?created_after=soon")

    assert response.status_code == 400
    assert "created_after" in response.json()


@pytest.mark.parametrize("count", [3, 20])
def test_list_query_count_does_not_grow_with_complaints(consumer, django_assert_max_num_queries, count):
    for _ in range(count):
        file_complaint(consumer, PlatformFactory())
    client = client_for(consumer)

    with django_assert_max_num_queries(2):
        response = client.get(reverse("complaints_api:complaint-list"))

    assert len(response.json()["results"]) == count


def test_detail_shows_all_facts_without_consumer_contact_to_the_consumer(consumer, complaint):
    response = client_for(consumer).get(url("complaints_api:complaint-detail", complaint))

    assert response.status_code == 200
    body = response.json()
    assert body["order_number"] == complaint.order_number
    assert body["status_display"]
    assert body["consumer"] is None
    assert body["is_overdue"] is False
    assert body["compensation_breach"] is False
    deadline = body["deadlines"][0]
    assert {
        "kind",
        "started_at",
        "due_at",
        "met_at",
        "breached_at",
        "paused_at",
        "state",
        "explanation",
    } <= set(deadline)
    assert deadline["state"] == "running"


def test_other_consumers_complaint_is_404_everywhere(other_consumer, complaint):
    client = client_for(other_consumer)
    for name in ("complaints_api:complaint-detail", "complaints_api:complaint-events"):
        assert client.get(url(name, complaint)).status_code == 404
    for name in (
        "complaints_api:complaint-withdraw",
        "complaints_api:complaint-dispute",
        "complaints_api:complaint-evidence",
    ):
        assert client.post(url(name, complaint), {"reason": "不认"}).status_code == 404


def test_events_are_the_hash_chained_timeline_in_order(consumer, complaint):
    response = client_for(consumer).get(url("complaints_api:complaint-events", complaint))

    assert response.status_code == 200
    events = response.json()
    assert [e["kind"] for e in events] == ["filed", "forwarded"]
    assert [e["sequence"] for e in events] == [1, 2]
    assert events[0]["actor"] == f"consumer:{consumer.pk}"
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert events[-1]["hash"] == complaint.last_event_hash


# --- evidence -------------------------------------------------------------------------------------


def test_single_file_upload_answers_the_evidence_object(consumer, complaint):
    response = upload(client_for(consumer), complaint, ("chat.txt", CHAT_LOG))

    assert response.status_code == 201
    body = response.json()
    evidence = Evidence.objects.get(pk=body["id"])
    assert body["sha256"] == evidence.sha256
    assert (body["size"], body["content_type"], body["kind"]) == (len(CHAT_LOG), "text/plain", "chat_log")
    assert body["download_url"].endswith(reverse("complaints_api:evidence-download", args=[evidence.pk]))


def test_several_files_answer_an_evidence_list(consumer, complaint):
    response = upload(client_for(consumer), complaint, ("a.txt", CHAT_LOG), ("b.txt", CHAT_LOG + b"2"))

    assert response.status_code == 201
    assert len(response.json()["evidence"]) == 2
    assert complaint.evidence.count() == 2


def test_rejected_file_is_a_file_field_error_and_nothing_is_stored(consumer, complaint):
    response = upload(client_for(consumer), complaint, ("ok.txt", CHAT_LOG), ("setup.exe", b"MZ\x90\x00" * 64))

    assert response.status_code == 400
    assert "file" in response.json()
    assert not complaint.evidence.exists()


def test_upload_without_file_is_a_file_field_error(consumer, complaint):
    response = client_for(consumer).post(
        url("complaints_api:complaint-evidence", complaint), {"kind": "other"}, format="multipart"
    )

    assert response.status_code == 400
    assert "file" in response.json()


def test_body_over_the_upload_cap_is_413(consumer, complaint, settings):
    settings.PORTAL_EVIDENCE_MAX_BYTES = 1024
    settings.PORTAL_EVIDENCE_MAX_FILES = 2

    response = upload(client_for(consumer), complaint, ("big.txt", b"a" * 100_000))

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not complaint.evidence.exists()


def test_file_over_the_size_cap_is_a_file_field_error(consumer, complaint, settings):
    settings.PORTAL_EVIDENCE_MAX_BYTES = 1024

    response = upload(client_for(consumer), complaint, ("long.txt", b"a" * 2000))

    assert response.status_code == 400
    assert "file" in response.json()


def test_consumer_downloads_own_evidence_as_attachment(consumer, complaint):
    evidence_id = upload(client_for(consumer), complaint, ("chat.txt", CHAT_LOG)).json()["id"]

    response = client_for(consumer).get(reverse("complaints_api:evidence-download", args=[evidence_id]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == CHAT_LOG


def test_other_consumer_cannot_download_evidence(consumer, other_consumer, complaint):
    evidence_id = upload(client_for(consumer), complaint, ("chat.txt", CHAT_LOG)).json()["id"]

    response = client_for(other_consumer).get(reverse("complaints_api:evidence-download", args=[evidence_id]))

    assert response.status_code == 404


# --- the consumer's moves -------------------------------------------------------------------------


def test_consumer_withdraws(consumer, complaint):
    response = client_for(consumer).post(url("complaints_api:complaint-withdraw", complaint), {"reason": "已自行解决"})

    assert response.status_code == 200
    assert response.json()["status"] == Status.WITHDRAWN


def test_withdrawing_twice_is_409(consumer, complaint):
    client = client_for(consumer)
    client.post(url("complaints_api:complaint-withdraw", complaint), {})

    response = client.post(url("complaints_api:complaint-withdraw", complaint), {})

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_consumer_accepts_a_final_answer(consumer, complaint):
    answer_with_refund(complaint)

    response = client_for(consumer).post(
        url("complaints_api:complaint-accept", complaint), {"rating": 4, "comment": "好"}
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rating"]) == (Status.RESOLVED, 4)


def test_accepting_twice_is_409(consumer, complaint):
    answer_with_refund(complaint)
    client = client_for(consumer)
    client.post(url("complaints_api:complaint-accept", complaint), {"rating": 5})

    assert client.post(url("complaints_api:complaint-accept", complaint), {"rating": 5}).status_code == 409


@pytest.mark.parametrize("rating", [0, 6, "great", None])
def test_rating_must_be_1_to_5(consumer, complaint, rating):
    answer_with_refund(complaint)

    response = client_for(consumer).post(url("complaints_api:complaint-accept", complaint), {"rating": rating})

    assert response.status_code == 400
    assert "rating" in response.json()


def test_accepting_before_any_answer_is_409(consumer, complaint):
    response = client_for(consumer).post(url("complaints_api:complaint-accept", complaint), {"rating": 5})
    assert response.status_code == 409


def test_consumer_disputes_then_escalates(consumer, complaint):
    answer_with_refund(complaint)
    client = client_for(consumer)

    disputed = client.post(url("complaints_api:complaint-dispute", complaint), {"reason": "退款金额不对"})
    escalated = client.post(url("complaints_api:complaint-escalate", complaint), {"reason": "平台不再回复"})

    assert (disputed.status_code, disputed.json()["status"]) == (200, Status.DISPUTED)
    assert (escalated.status_code, escalated.json()["status"]) == (200, Status.ESCALATED)


def test_dispute_needs_a_reason(consumer, complaint):
    answer_with_refund(complaint)

    response = client_for(consumer).post(url("complaints_api:complaint-dispute", complaint), {})

    assert response.status_code == 400
    assert "reason" in response.json()


@pytest.mark.dated
def test_escalating_while_the_platform_still_has_time_is_409(consumer, complaint):
    response = client_for(consumer).post(url("complaints_api:complaint-escalate", complaint), {"reason": "太慢了"})

    assert response.status_code == 409


def test_consumer_supplies_requested_information(consumer, agent, complaint):
    services.complaint_request_info(complaint_id=complaint.pk, by=agent, message="请提供付款截图")

    response = client_for(consumer).post(
        url("complaints_api:complaint-supply-info", complaint), {"message": "已上传截图"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == Status.AWAITING_PLATFORM


def test_consumer_changes_publication_consent(consumer, complaint):
    response = client_for(consumer).post(url("complaints_api:complaint-publication", complaint), {"consent": True})

    assert response.status_code == 200
    assert response.json()["publish_consent"] is True


@pytest.mark.parametrize("role", ["agent", "regulator"])
@pytest.mark.parametrize(
    "action",
    ["complaints_api:complaint-withdraw", "complaints_api:complaint-accept", "complaints_api:complaint-escalate"],
)
def test_consumer_moves_are_403_for_other_roles_who_see_the_complaint(request, complaint, role, action):
    response = client_for(request.getfixturevalue(role)).post(url(action, complaint), {"rating": 5, "reason": "x"})

    assert response.status_code == 403
    assert Complaint.objects.get(pk=complaint.pk).status == Status.AWAITING_PLATFORM


def test_internal_notes_do_not_exist_for_consumers(consumer, agent, complaint):
    services.complaint_add_note(complaint_id=complaint.pk, by=agent, text="疑似重复投诉")
    client = client_for(consumer)

    assert client.get(url("complaints_api:complaint-notes", complaint)).status_code == 404
    assert client.post(url("complaints_api:complaint-notes", complaint), {"text": "hi"}).status_code == 404


def test_consumer_is_403_on_the_platform_inbox(consumer):
    assert client_for(consumer).get(reverse("complaints_api:platform-inbox")).status_code == 403


def test_overlong_idempotency_key_is_400(consumer, platform):
    response = client_for(consumer).post(
        reverse("complaints_api:complaint-list"), filing(platform), HTTP_IDEMPOTENCY_KEY="k" * 101
    )

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("amount", ["1000000.01", "99999999999.99", "123456789012345"])
def test_filing_an_implausible_amount_is_400_naming_the_maximum(consumer, platform, amount):
    response = client_for(consumer).post(
        reverse("complaints_api:complaint-list"),
        filing(platform, amount=amount),
        format="json",
        headers={"accept-language": "en"},
    )

    assert response.status_code == 400
    assert response.json()["amount"] == ["The amount cannot exceed 1,000,000 yuan."]
