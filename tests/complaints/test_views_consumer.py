"""The consumer's web pages (filing, list, actions) and the complaint detail page every role shares."""

import hashlib
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image
from rest_framework.throttling import ScopedRateThrottle

from complaints import services
from complaints.calendar import SHANGHAI
from complaints.models import Complaint, Evidence, EvidenceKind, Status
from portal.models import AccessLog, OutboxMessage
from tests.complaints.test_api_consumer import filing as api_filing
from tests.factories import ConsumerFactory, PlatformFactory, file_complaint
from tests.fixtures_roles import client_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
DISGUISED_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 120


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source texts, whatever the zh-Hans catalogue says."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def png_bytes(color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), color).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def shanghai_input(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def filing_post(platform, /, **overrides) -> dict:
    """What a browser posts from the filing form."""
    data = {
        "platform": str(platform.pk) if platform else "unlisted",
        "unregistered_platform_name": "",
        "unregistered_platform_url": "",
        "order_number": "DD20261125001",
        "paid_at": shanghai_input(timezone.now() - timedelta(hours=6)),
        "amount": "199.00",
        "payment_channel": "alipay",
        "payment_reference": "2026112522001412345678901234",
        "product_name": "王者荣耀 648 点券",
        "problem": "card_key_missing",
        "platform_order_status": "awaiting_delivery",
        "description": "付款成功后一直显示待发货，客服说24小时内补发，至今未收到卡密。",
        "desired_outcome": "delivery",
        "evidence_kind": EvidenceKind.ORDER_SCREENSHOT,
    }
    data.update(overrides)
    return data


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def logged_in(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


def answered(complaint, agent):
    """The platform's final answer: the complaint waits for the consumer to accept or dispute."""
    services.complaint_respond(
        complaint_id=complaint.pk,
        by=agent,
        outcome="refunded",
        message="已原路退款。",
        refund_amount=Decimal("199.00"),
        refund_reference="RF20261125001",
    )
    complaint.refresh_from_db()
    return complaint


# --- filing ------------------------------------------------------------------------------------------


def test_filing_starts_by_asking_whether_the_payment_was_taken(logged_in, consumer):
    response = logged_in(consumer).get(reverse("complaints:complaint-new"))
    assert response.status_code == 200
    assert b'name="paid"' in response.content
    assert b'name="order_number"' not in response.content


def test_filing_form_renders_for_a_consumer_who_paid(logged_in, consumer, platform):
    response = logged_in(consumer).get(reverse("complaints:complaint-new") + "?paid=yes")
    assert response.status_code == 200
    assert b'name="order_number"' in response.content
    assert platform.name.encode() in response.content
    assert b'type="datetime-local"' in response.content
    assert b"multiple" in response.content


@pytest.mark.parametrize("role", ["agent", "regulator"])
def test_filing_page_is_forbidden_for_staff_and_regulators(request, logged_in, role):
    client = logged_in(request.getfixturevalue(role))
    assert client.get(reverse("complaints:complaint-new") + "?paid=yes").status_code == 403
    response = client.post(reverse("complaints:complaint-new"), filing_post(request.getfixturevalue("platform")))
    assert response.status_code == 403
    assert b"Only consumers file complaints" in response.content
    assert not Complaint.objects.exists()


def test_filing_page_needs_a_login(client):
    response = client.get(reverse("complaints:complaint-new") + "?paid=yes")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_payment_not_taken_leads_to_guidance_without_a_form(logged_in, consumer):
    client = logged_in(consumer)
    response = client.get(reverse("complaints:complaint-new") + "?paid=no", follow=True)
    assert response.redirect_chain[-1][0] == reverse("complaints:complaint-payment-not-taken")
    assert f'<form method="post" action="{reverse("complaints:complaint-new")}"'.encode() not in response.content
    assert b'name="order_number"' not in response.content
    assert b"payment channel" in response.content.lower()


def test_payment_not_taken_guidance_is_public(client):
    assert client.get(reverse("complaints:complaint-payment-not-taken")).status_code == 200


@pytest.mark.dated
def test_valid_filing_files_and_redirects_to_detail_with_the_reference(logged_in, consumer, platform):
    response = logged_in(consumer).post(reverse("complaints:complaint-new"), filing_post(platform))
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("complaints:complaint-detail", args=[complaint.pk])
    assert complaint.consumer == consumer and complaint.platform == platform
    assert complaint.status == Status.AWAITING_PLATFORM
    assert any(complaint.reference in text for text in message_texts(response))


def test_filing_over_the_rate_keeps_the_form_and_says_when_to_try_again(logged_in, consumer, platform, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "filing", "1/hour")
    client = logged_in(consumer)
    assert client.post(reverse("complaints:complaint-new"), filing_post(platform)).status_code == 302

    response = client.post(reverse("complaints:complaint-new"), filing_post(platform, order_number="DD20261125002"))

    assert response.status_code == 429
    assert "Try again in 60 minutes" in response.content.decode()
    assert response.context["form"]["order_number"].value() == "DD20261125002"
    assert Complaint.objects.count() == 1


def test_web_and_api_filings_draw_on_one_allowance(logged_in, consumer, platform, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "filing", "1/hour")
    assert logged_in(consumer).post(reverse("complaints:complaint-new"), filing_post(platform)).status_code == 302

    response = client_for(consumer).post(
        reverse("complaints_api:complaint-list"),
        {**api_filing(platform), "order_number": "DD20261125003"},
        format="json",
    )

    assert response.status_code == 429


def test_an_invalid_form_does_not_use_the_allowance(logged_in, consumer, platform, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "filing", "1/hour")
    client = logged_in(consumer)
    assert client.post(reverse("complaints:complaint-new"), filing_post(platform, amount="")).status_code == 200

    assert client.post(reverse("complaints:complaint-new"), filing_post(platform)).status_code == 302


@pytest.mark.dated
def test_time_paid_is_read_as_beijing_time(logged_in, consumer, platform):
    logged_in(consumer).post(reverse("complaints:complaint-new"), filing_post(platform, paid_at="2026-10-01T09:30"))
    paid_at = Complaint.objects.get().paid_at.astimezone(SHANGHAI)
    assert (paid_at.year, paid_at.month, paid_at.day, paid_at.hour, paid_at.minute) == (2026, 10, 1, 9, 30)


def test_unlisted_platform_is_filed_for_triage_with_its_name(logged_in, consumer):
    response = logged_in(consumer).post(
        reverse("complaints:complaint-new"),
        filing_post(
            None,
            unregistered_platform_name="某小众卡盟",
            unregistered_platform_url="https://xiaozhong.example.cn",
        ),
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert (complaint.status, complaint.unregistered_platform_name) == (Status.TRIAGE, "某小众卡盟")


def test_unregistered_fields_are_ignored_when_a_listed_platform_is_chosen(logged_in, consumer, platform):
    post = filing_post(platform, unregistered_platform_name="typed anyway")
    logged_in(consumer).post(reverse("complaints:complaint-new"), post)
    assert Complaint.objects.get().unregistered_platform_name == ""


@pytest.mark.dated
@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("paid_at", {"paid_at": timedelta(days=1)}),  # from now: read when the test runs, not when collected
        ("amount", {"amount": "0"}),
        ("platform", {"platform": ""}),
        ("platform", {"platform": "unlisted"}),
    ],
    ids=["future-paid-at", "zero-amount", "no-platform", "unlisted-without-name"],
)
def test_field_errors_re_render_the_form_and_store_nothing(logged_in, consumer, platform, field, overrides):
    overrides = {
        name: shanghai_input(timezone.now() + value) if isinstance(value, timedelta) else value
        for name, value in overrides.items()
    }
    response = logged_in(consumer).post(reverse("complaints:complaint-new"), filing_post(platform, **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert b'class="errorlist' in response.content
    assert not Complaint.objects.exists()


def test_duplicate_open_complaint_shows_a_link_to_the_existing_one(logged_in, consumer, platform):
    existing = file_complaint(consumer, platform, order_number="DD20261125001")
    post = filing_post(platform, order_number="DD20261125001")
    response = logged_in(consumer).post(reverse("complaints:complaint-new"), post)
    assert response.status_code == 409
    assert existing.reference.encode() in response.content
    assert f'href="{reverse("complaints:complaint-detail", args=[existing.pk])}"'.encode() in response.content
    assert Complaint.objects.count() == 1


def test_evidence_files_chosen_on_the_filing_form_are_stored_with_their_hashes(logged_in, consumer, platform):
    png = png_bytes()
    post = filing_post(
        platform,
        evidence_files=[upload(png, "order.png"), upload(PDF, "voucher.pdf")],
        evidence_kind=EvidenceKind.PAYMENT_VOUCHER,
    )
    logged_in(consumer).post(reverse("complaints:complaint-new"), post)
    stored = list(Complaint.objects.get().evidence.order_by("original_name"))
    assert [item.original_name for item in stored] == ["order.png", "voucher.pdf"]
    assert {item.kind for item in stored} == {EvidenceKind.PAYMENT_VOUCHER}
    assert [item.sha256 for item in stored] == [hashlib.sha256(content).hexdigest() for content in (png, PDF)]
    assert stored[0].thumbnail and not stored[1].thumbnail


def test_disguised_executable_on_the_filing_form_files_nothing(logged_in, consumer, platform, mailoutbox):
    files = [upload(png_bytes(), "ok.png"), upload(DISGUISED_EXE, "pay.png")]
    post = filing_post(platform, evidence_files=files)

    response = logged_in(consumer).post(reverse("complaints:complaint-new"), post)

    assert response.status_code == 200
    assert not Complaint.objects.exists()
    assert not Evidence.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_disguised_executable_on_the_filing_form_comes_back_with_the_input_and_the_file_error(
    logged_in, consumer, platform
):
    post = filing_post(platform, evidence_files=[upload(DISGUISED_EXE, "pay.png")])

    response = logged_in(consumer).post(reverse("complaints:complaint-new"), post)

    form = response.context["form"]
    assert form["order_number"].value() == "DD20261125001"
    assert form["description"].value() == post["description"]
    assert "pay.png" in " ".join(form.errors["evidence_files"])
    assert any("Nothing was filed yet" in text for text in form.errors["evidence_files"])


def test_a_number_refused_with_its_file_is_given_to_the_next_filing(logged_in, consumer, platform):
    client = logged_in(consumer)
    refused = filing_post(platform, evidence_files=[upload(DISGUISED_EXE, "x.png")])
    client.post(reverse("complaints:complaint-new"), refused)

    client.post(reverse("complaints:complaint-new"), filing_post(platform))

    assert Complaint.objects.get().reference.endswith("000001")


# --- my complaints ---------------------------------------------------------------------------------


def test_list_shows_own_complaints_only(logged_in, consumer, other_consumer, platform):
    mine = file_complaint(consumer, platform)
    theirs = file_complaint(other_consumer, platform)
    response = logged_in(consumer).get(reverse("complaints:complaint-list"))
    assert mine.reference.encode() in response.content
    assert theirs.reference.encode() not in response.content


@pytest.mark.dated
def test_list_shows_the_next_due_time_of_a_running_clock(logged_in, consumer, complaint):
    response = logged_in(consumer).get(reverse("complaints:complaint-list"))
    row = response.context["complaints"][0]
    assert row.next_due_at == complaint.deadlines.get(kind="first_response").due_at


def test_list_filters_by_status(logged_in, consumer, platform):
    open_one = file_complaint(consumer, platform)
    withdrawn = file_complaint(consumer, platform)
    services.complaint_withdraw(complaint_id=withdrawn.pk, by=consumer)
    client = logged_in(consumer)
    assert [c.pk for c in client.get(reverse("complaints:complaint-list")).context["complaints"]] == [open_one.pk]
    url = reverse("complaints:complaint-list")
    assert [c.pk for c in client.get(url + "?status=withdrawn").context["complaints"]] == [withdrawn.pk]
    assert len(client.get(reverse("complaints:complaint-list") + "?status=all").context["complaints"]) == 2


def test_empty_list_invites_to_file(logged_in, consumer):
    response = logged_in(consumer).get(reverse("complaints:complaint-list"))
    assert f'href="{reverse("complaints:complaint-new")}"'.encode() in response.content
    assert response.context["has_any_complaint"] is False


@pytest.mark.parametrize(
    ("role", "target"), [("agent", "complaints:inbox-list"), ("regulator", "regulation:dashboard-home")]
)
def test_list_sends_staff_and_regulators_to_their_own_pages(request, logged_in, role, target):
    response = logged_in(request.getfixturevalue(role)).get(reverse("complaints:complaint-list"))
    assert (response.status_code, response["Location"]) == (302, reverse(target))


def test_list_is_paginated_by_25(logged_in, consumer, platform):
    for _ in range(26):
        file_complaint(consumer, platform)
    response = logged_in(consumer).get(reverse("complaints:complaint-list") + "?page=2")
    assert len(response.context["complaints"]) == 1


def test_list_query_count_does_not_grow_with_complaints(logged_in, consumer, django_assert_max_num_queries):
    platform = PlatformFactory()
    client = logged_in(consumer)
    counts = []
    for total in (3, 20):
        while Complaint.objects.filter(consumer=consumer).count() < total:
            file_complaint(consumer, platform)
        with django_assert_max_num_queries(6) as captured:
            response = client.get(reverse("complaints:complaint-list"))
        assert len(response.context["complaints"]) == total
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- detail page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["other_consumer", "other_agent"])
def test_detail_is_missing_for_other_tenants(request, logged_in, complaint, role):
    url = reverse("complaints:complaint-detail", args=[complaint.pk])
    assert logged_in(request.getfixturevalue(role)).get(url).status_code == 404


@pytest.mark.parametrize("role", ["consumer", "agent", "regulator"])
def test_detail_opens_for_owner_own_platform_staff_and_regulator(request, logged_in, complaint, role):
    response = logged_in(request.getfixturevalue(role)).get(reverse("complaints:complaint-detail", args=[complaint.pk]))
    assert response.status_code == 200
    assert complaint.reference.encode() in response.content
    assert f'class="badge badge-{complaint.status}"'.encode() in response.content


def test_consumer_never_sees_internal_notes(logged_in, consumer, agent, complaint):
    services.complaint_add_note(complaint_id=complaint.pk, by=agent, text="内部：供应商库存不足")
    response = logged_in(consumer).get(reverse("complaints:complaint-detail", args=[complaint.pk]))
    assert "供应商库存不足".encode() not in response.content
    assert response.context["internal_notes"] is None


def test_platform_staff_see_internal_notes_and_consumer_contact(logged_in, consumer, agent, complaint):
    services.complaint_add_note(complaint_id=complaint.pk, by=agent, text="内部：供应商库存不足")
    response = logged_in(agent).get(reverse("complaints:complaint-detail", args=[complaint.pk]))
    assert "供应商库存不足".encode() in response.content
    assert consumer.email.encode() in response.content
    assert f'href="{reverse("complaints:respond-complaint", args=[complaint.pk])}"'.encode() in response.content


def test_consumer_does_not_see_own_contact_block(logged_in, consumer, complaint):
    response = logged_in(consumer).get(reverse("complaints:complaint-detail", args=[complaint.pk]))
    assert response.context["shows_contact"] is False


def test_regulator_reading_personal_data_is_logged(logged_in, regulator, complaint):
    response = logged_in(regulator).get(reverse("complaints:complaint-detail", args=[complaint.pk]))
    assert complaint.consumer.email.encode() in response.content
    assert AccessLog.objects.filter(user=regulator, action="personal_data_read", object_id=str(complaint.pk)).exists()
    assert reverse("admin:complaints_complaint_change", args=[complaint.pk]).encode() in response.content


@pytest.mark.dated
def test_detail_shows_clocks_with_countdown_and_verified_chain(logged_in, consumer, complaint):
    response = logged_in(consumer).get(reverse("complaints:complaint-detail", args=[complaint.pk]))
    clocks = response.context["clocks"]
    assert {row.clock.kind for row in clocks} == {"first_response", "resolution", "hard_limit"}
    assert all(row.countdown.startswith("in ") for row in clocks)
    assert b"data-countdown-due=" in response.content
    assert response.context["chain_break"] is None
    assert b"Chain verified" in response.content


@pytest.mark.dated
def test_countdown_reads_overdue_after_the_due_time():
    from complaints.views_consumer import countdown_text

    now = timezone.now()
    assert countdown_text(now + timedelta(hours=3, minutes=20), now) == "in 3 h 20 min"
    assert countdown_text(now - timedelta(days=2, hours=1), now) == "overdue by 2 d 1 h"


def test_detail_query_count_does_not_grow_with_events_and_evidence(
    logged_in, consumer, platform, django_assert_max_num_queries
):
    client = logged_in(consumer)
    counts = []
    for files in (2, 10):
        complaint = file_complaint(consumer, platform)
        services.complaint_add_evidence(
            complaint_id=complaint.pk,
            by=consumer,
            files=[(upload(png_bytes(), f"shot{n}.png"), EvidenceKind.CHAT_LOG) for n in range(files)],
        )
        # Session, user, complaint, clocks, answers, events, evidence, messages, the chain check's evidence and
        # message hashes, and the header's unread-notification count.
        with django_assert_max_num_queries(11) as captured:
            response = client.get(reverse("complaints:complaint-detail", args=[complaint.pk]))
        assert len(response.context["evidence"]) == files
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- the consumer's actions --------------------------------------------------------------------------


def test_consumer_accepts_the_answer_with_a_rating(logged_in, consumer, agent, complaint):
    answered(complaint, agent)
    response = logged_in(consumer).post(reverse("complaints:complaint-accept", args=[complaint.pk]), {"rating": "4"})
    complaint.refresh_from_db()
    assert response["Location"] == reverse("complaints:complaint-detail", args=[complaint.pk])
    assert (complaint.status, complaint.rating) == (Status.RESOLVED, 4)


def test_consumer_disputes_the_answer(logged_in, consumer, agent, complaint):
    answered(complaint, agent)
    url = reverse("complaints:complaint-dispute", args=[complaint.pk])
    logged_in(consumer).post(url, {"reason": "退款金额不对，少退了。"})
    complaint.refresh_from_db()
    assert (complaint.status, complaint.dispute_reason) == (Status.DISPUTED, "退款金额不对，少退了。")


def test_consumer_escalates_a_disputed_complaint(logged_in, consumer, agent, complaint):
    answered(complaint, agent)
    services.complaint_dispute(complaint_id=complaint.pk, by=consumer, reason="退款没有到账")
    logged_in(consumer).post(reverse("complaints:complaint-escalate", args=[complaint.pk]), {"reason": "平台不再回复"})
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED


def test_consumer_withdraws(logged_in, consumer, complaint):
    url = reverse("complaints:complaint-withdraw", args=[complaint.pk])
    response = logged_in(consumer).post(url, {"reason": "已自行解决"})
    complaint.refresh_from_db()
    assert complaint.status == Status.WITHDRAWN
    assert response["Location"] == reverse("complaints:complaint-detail", args=[complaint.pk])


def test_illegal_move_is_explained_and_changes_nothing(logged_in, consumer, complaint):
    response = logged_in(consumer).post(reverse("complaints:complaint-accept", args=[complaint.pk]), {"rating": "5"})
    complaint.refresh_from_db()
    assert response.status_code == 302
    assert complaint.status == Status.AWAITING_PLATFORM
    assert any("cannot be accepted now" in text for text in message_texts(response))


@pytest.mark.dated
def test_escalating_before_any_deadline_is_missed_is_explained(logged_in, consumer, complaint):
    url = reverse("complaints:complaint-escalate", args=[complaint.pk])
    response = logged_in(consumer).post(url, {"reason": "等太久了"})
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_PLATFORM
    assert any("still has time" in text for text in message_texts(response))


def test_invalid_action_form_is_explained(logged_in, consumer, agent, complaint):
    answered(complaint, agent)
    response = logged_in(consumer).post(reverse("complaints:complaint-dispute", args=[complaint.pk]), {"reason": ""})
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CONSUMER
    assert message_texts(response)


def test_other_consumer_cannot_act_on_a_complaint(logged_in, other_consumer, complaint):
    response = logged_in(other_consumer).post(reverse("complaints:complaint-withdraw", args=[complaint.pk]), {})
    complaint.refresh_from_db()
    assert response.status_code == 404
    assert complaint.status == Status.AWAITING_PLATFORM


def test_actions_answer_only_post(logged_in, consumer, complaint):
    assert logged_in(consumer).get(reverse("complaints:complaint-withdraw", args=[complaint.pk])).status_code == 405


def test_consumer_supplies_requested_information(logged_in, consumer, agent, complaint):
    services.complaint_request_info(complaint_id=complaint.pk, by=agent, message="请提供游戏内角色ID")
    client = logged_in(consumer)
    url = reverse("complaints:complaint-detail", args=[complaint.pk])
    assert "请提供游戏内角色ID".encode() in client.get(url).content
    client.post(reverse("complaints:complaint-supply-info", args=[complaint.pk]), {"message": "角色ID 12345678"})
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_PLATFORM


def test_consumer_publishes_and_unpublishes_the_redacted_description(logged_in, consumer, complaint):
    client = logged_in(consumer)
    client.post(reverse("complaints:complaint-publication", args=[complaint.pk]), {"consent": "on"})
    complaint.refresh_from_db()
    assert complaint.publish_consent and complaint.public_narrative
    client.post(reverse("complaints:complaint-publication", args=[complaint.pk]), {})
    complaint.refresh_from_db()
    assert (complaint.publish_consent, complaint.public_narrative) == (False, "")


# --- evidence ------------------------------------------------------------------------------------------


def test_evidence_upload_stores_several_files_and_returns_to_detail(logged_in, consumer, complaint):
    response = logged_in(consumer).post(
        reverse("complaints:complaint-evidence-add", args=[complaint.pk]),
        {
            "evidence_files": [upload(png_bytes(), "a.png"), upload(PDF, "b.pdf")],
            "evidence_kind": "chat_log",
        },
    )
    assert response["Location"] == reverse("complaints:complaint-detail", args=[complaint.pk])
    assert complaint.evidence.count() == 2


def test_evidence_upload_answers_json_for_the_page_uploader(logged_in, consumer, complaint):
    response = logged_in(consumer).post(
        reverse("complaints:complaint-evidence-add", args=[complaint.pk]),
        {"evidence_files": [upload(png_bytes(), "a.png")], "evidence_kind": "order_screenshot"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 201
    [item] = response.json()["evidence"]
    assert item["sha256"] == complaint.evidence.get().sha256
    assert item["download_url"] == reverse("complaints:complaint-evidence-download", args=[item["id"]])


def test_disguised_executable_upload_is_refused_in_json_and_nothing_is_stored(logged_in, consumer, complaint):
    response = logged_in(consumer).post(
        reverse("complaints:complaint-evidence-add", args=[complaint.pk]),
        {
            "evidence_files": [upload(png_bytes(), "a.png"), upload(DISGUISED_EXE, "receipt.png")],
            "evidence_kind": "order_screenshot",
        },
        headers={"accept": "application/json"},
    )
    assert response.status_code == 400
    assert "not accepted" in response.json()["errors"]["evidence_files"][0]
    assert not Evidence.objects.exists()


def test_evidence_on_a_finished_complaint_is_refused_with_409_in_json(logged_in, consumer, complaint):
    services.complaint_withdraw(complaint_id=complaint.pk, by=consumer)
    response = logged_in(consumer).post(
        reverse("complaints:complaint-evidence-add", args=[complaint.pk]),
        {"evidence_files": [upload(png_bytes(), "a.png")], "evidence_kind": "order_screenshot"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 409
    assert not Evidence.objects.exists()


@pytest.fixture
def evidence(consumer, complaint):
    [stored] = services.complaint_add_evidence(
        complaint_id=complaint.pk, by=consumer, files=[(upload(png_bytes(), "order.png"), "order_screenshot")]
    )
    return stored


def test_evidence_download_is_an_attachment_never_sniffed(logged_in, consumer, evidence):
    response = logged_in(consumer).get(reverse("complaints:complaint-evidence-download", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == evidence.file.open("rb").read()


@pytest.mark.parametrize("role", ["other_consumer", "other_agent"])
def test_evidence_download_and_thumbnail_are_missing_for_others(request, logged_in, evidence, role):
    client = logged_in(request.getfixturevalue(role))
    assert client.get(reverse("complaints:complaint-evidence-download", args=[evidence.pk])).status_code == 404
    assert client.get(reverse("complaints:complaint-evidence-thumbnail", args=[evidence.pk])).status_code == 404


def test_evidence_thumbnail_is_a_png_for_own_platform_staff(logged_in, agent, evidence):
    response = logged_in(agent).get(reverse("complaints:complaint-evidence-thumbnail", args=[evidence.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")


def test_detail_lists_evidence_with_hash_thumbnail_and_download(logged_in, consumer, complaint, evidence):
    response = logged_in(consumer).get(reverse("complaints:complaint-detail", args=[complaint.pk]))
    assert evidence.sha256.encode() in response.content
    assert reverse("complaints:complaint-evidence-thumbnail", args=[evidence.pk]).encode() in response.content
    assert reverse("complaints:complaint-evidence-download", args=[evidence.pk]).encode() in response.content


def test_another_consumer_is_still_a_stranger_to_evidence_after_filing_their_own(logged_in, evidence):
    stranger = ConsumerFactory()
    file_complaint(stranger)
    url = reverse("complaints:complaint-evidence-download", args=[evidence.pk])
    assert logged_in(stranger).get(url).status_code == 404


@pytest.mark.parametrize("state", ["awaiting_platform", "answered", "disputed"])
def test_detail_page_ids_are_unique_so_each_label_names_its_own_field(logged_in, consumer, complaint, agent, state):
    if state != "awaiting_platform":
        answered(complaint, agent)
    if state == "disputed":
        services.complaint_dispute(complaint_id=complaint.pk, by=consumer, reason="没有收到退款。")

    html = logged_in(consumer).get(reverse("complaints:complaint-detail", args=[complaint.pk])).content.decode()

    ids = re.findall(r'\sid="([^"]+)"', html)
    assert ids
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    for label_for in re.findall(r'<label[^>]*\sfor="([^"]+)"', html):
        assert label_for in ids


@pytest.mark.parametrize("amount", ["1000000.01", "99999999999.99", "123456789012345"])
def test_filing_form_refuses_an_implausible_amount_naming_the_maximum(logged_in, consumer, platform, amount):
    response = logged_in(consumer).post(reverse("complaints:complaint-new"), filing_post(platform, amount=amount))

    assert response.status_code == 200
    assert response.context["form"].errors["amount"] == ["The amount cannot exceed 1,000,000 yuan."]
    assert not Complaint.objects.exists()
