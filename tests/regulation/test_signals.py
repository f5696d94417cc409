"""Profit-seeking signals (Order 121 Art. 17): each fires at its threshold and not below, in a fixed number of
queries, and only regulators ever see them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint, EvidenceKind, Problem
from regulation.signals import (
    SignalCode,
    complaint_signals,
    jaccard,
    references_digest,
    shingles,
    signals_snapshot,
)
from tests.factories import ConsumerFactory, PlatformFactory, add_evidence, file_complaint, image_upload
from tests.fixtures_roles import client_for

pytestmark = pytest.mark.django_db

TEMPLATE = (
    "我在贵平台购买的王者荣耀648点券，订单号{order}，付款{amount}元后一直显示待发货，"
    "客服承诺24小时内补发，至今未收到卡密。"
)


def codes(signals) -> set[str]:
    return {signal.code for signal in signals}


def signal(signals, code):
    return next(s for s in signals if s.code == code)


def filed_days_ago(complaint, days: float) -> Complaint:
    Complaint.objects.filter(pk=complaint.pk).update(created_at=timezone.now() - timedelta(days=days))
    complaint.refresh_from_db()
    return complaint


# --- Art. 17(2): one consumer, many complaints ------------------------------------------------------------


def test_repeat_consumer_fires_at_the_threshold_against_one_platform(regulator, consumer, platform, settings):
    settings.PORTAL_SIGNALS = {**settings.PORTAL_SIGNALS, "repeat_min_complaints": 3, "repeat_window_days": 30}
    first = filed_days_ago(file_complaint(consumer, platform), 20)
    second = filed_days_ago(file_complaint(consumer, platform, product_name="腾讯视频年卡"), 10)
    third = file_complaint(consumer, platform, product_name="网易云音乐月卡", problem=Problem.WRONG_ITEM)

    found = signal(complaint_signals([third], by=regulator)[third.pk], SignalCode.REPEAT_CONSUMER)

    assert found.facts == {
        "dimension": "platform", "count": 3, "threshold": 3, "window_days": 30, "problem": Problem.WRONG_ITEM,
    }  # fmt: skip
    assert [c.reference for c in found.complaints] == [first.reference, second.reference]
    assert found.article == "令第121号第十七条第（二）项"
    assert "3" in found.explanation


def test_repeat_consumer_stays_silent_below_the_threshold_and_outside_the_window(regulator, consumer, platform):
    filed_days_ago(file_complaint(consumer, platform), 31)  # outside the 30-day window
    file_complaint(consumer, platform)
    latest = file_complaint(ConsumerFactory(), platform)  # another consumer does not count
    own = file_complaint(consumer, platform)

    found = complaint_signals([own, latest], by=regulator)

    assert SignalCode.REPEAT_CONSUMER not in codes(found[own.pk])
    assert SignalCode.REPEAT_CONSUMER not in codes(found[latest.pk])


def test_repeat_consumer_counts_one_problem_across_platforms(regulator, consumer):
    complaints = [file_complaint(consumer, PlatformFactory(), product_name=f"商品{n}") for n in range(3)]

    found = signal(complaint_signals([complaints[-1]], by=regulator)[complaints[-1].pk], SignalCode.REPEAT_CONSUMER)

    assert found.facts["dimension"] == "problem"
    assert str(Problem.CARD_KEY_MISSING.label) in found.explanation


# --- Art. 17(2): several accounts, near-identical complaints ----------------------------------------------


def near_identical(platform, n: int, **overrides) -> list[Complaint]:
    return [
        file_complaint(
            ConsumerFactory(), platform, description=TEMPLATE.format(order=f"DD2026{n}{i:04d}", amount=600 + i),
            **overrides,
        )
        for i in range(n)
    ]  # fmt: skip


def test_coordinated_filing_fires_when_enough_accounts_file_the_same_text(regulator, platform):
    complaints = near_identical(platform, 3)

    found = signal(complaint_signals([complaints[0]], by=regulator)[complaints[0].pk], SignalCode.COORDINATED_FILING)

    assert found.facts == {"accounts": 3, "threshold": 3, "window_days": 7, "similarity_percent": 80}
    assert {c.id for c in found.complaints} == {complaints[1].pk, complaints[2].pk}


def test_coordinated_filing_needs_enough_accounts_and_the_window(regulator, platform):
    two = near_identical(platform, 2)
    assert SignalCode.COORDINATED_FILING not in codes(complaint_signals([two[0]], by=regulator)[two[0].pk])

    third = near_identical(platform, 1)[0]
    filed_days_ago(third, 8)  # outside the 7-day window
    assert SignalCode.COORDINATED_FILING not in codes(complaint_signals([two[0]], by=regulator)[two[0].pk])


def test_coordinated_filing_ignores_different_words_products_and_platforms(regulator, platform):
    own = near_identical(platform, 1)[0]
    file_complaint(ConsumerFactory(), platform, description="充值到账失败，平台一直不处理，要求退款并赔偿损失。")
    near_identical(platform, 1, product_name="腾讯视频年卡")
    near_identical(PlatformFactory(), 1)

    assert SignalCode.COORDINATED_FILING not in codes(complaint_signals([own], by=regulator)[own.pk])


def test_near_identical_ignores_numbers_case_and_punctuation():
    first = shingles("订单号 DD123456，付款 648 元，未收到卡密！")
    second = shingles("订单号dd9999999 付款 30元 未收到卡密")

    assert jaccard(first, second) == 1.0
    assert jaccard(first, shingles("完全不同的一段投诉文字内容")) < 0.2


# --- Art. 17(4): accounts sharing a contact ----------------------------------------------------------------


def test_shared_contact_fires_when_two_accounts_share_a_phone_number(regulator, platform):
    first = file_complaint(ConsumerFactory(phone="13800138000"), platform)
    second = file_complaint(ConsumerFactory(phone="13800138000"), PlatformFactory())
    alone = file_complaint(ConsumerFactory(phone="13900139000"), platform)

    found = complaint_signals([first, alone], by=regulator)

    shared = signal(found[first.pk], SignalCode.SHARED_CONTACT)
    assert shared.facts == {"contact": "phone", "accounts": 2, "threshold": 2}
    assert [c.id for c in shared.complaints] == [second.pk]
    assert shared.article == "令第121号第十七条第（四）项"
    assert SignalCode.SHARED_CONTACT not in codes(found[alone.pk])


def test_shared_contact_reads_the_e_mail_address_too(regulator, platform):
    first = file_complaint(ConsumerFactory(email="same@example.cn"), platform)
    file_complaint(ConsumerFactory(email="same@example.cn"), platform)

    shared = signal(complaint_signals([first], by=regulator)[first.pk], SignalCode.SHARED_CONTACT)

    assert shared.facts["contact"] == "email"


# --- Art. 17(3): no proof of purchase ---------------------------------------------------------------------


def test_no_proof_of_purchase_fires_without_a_payment_voucher(regulator, consumer, platform):
    complaint = file_complaint(consumer, platform)

    found = signal(complaint_signals([complaint], by=regulator)[complaint.pk], SignalCode.NO_PROOF_OF_PURCHASE)

    assert found.facts == {"payment_reference": True, "payment_voucher": False}
    assert found.article == "令第121号第十七条第（三）项"


def test_no_proof_of_purchase_is_silent_with_a_reference_and_a_voucher(regulator, consumer, platform):
    complaint = file_complaint(consumer, platform)
    add_evidence(complaint, consumer, image_upload("支付凭证.png"), kind=EvidenceKind.PAYMENT_VOUCHER)

    assert complaint_signals([complaint], by=regulator)[complaint.pk] == []


# --- cost ---------------------------------------------------------------------------------------------------


def test_a_desk_page_of_fifty_costs_five_queries(regulator, platform, django_assert_num_queries):
    page = near_identical(platform, 25) + [
        file_complaint(ConsumerFactory(phone="13700137000"), PlatformFactory()) for _ in range(25)
    ]

    with django_assert_num_queries(5):
        found = complaint_signals(page, by=regulator)

    assert len(found) == 50
    assert all(SignalCode.COORDINATED_FILING in codes(found[c.pk]) for c in page[:25])
    assert all(SignalCode.SHARED_CONTACT in codes(found[c.pk]) for c in page[25:])


def test_complaints_out_of_scope_are_left_out(consumer, platform):
    complaint = file_complaint(consumer, platform)
    other = file_complaint(ConsumerFactory(), platform)

    assert set(complaint_signals([complaint, other], by=consumer)) == {complaint.pk}


# --- the refusal's snapshot -------------------------------------------------------------------------------


def test_the_snapshot_cites_codes_and_numbers_but_no_other_complaint(regulator, platform):
    complaints = near_identical(platform, 3)

    snapshot = signals_snapshot(complaints[0], by=regulator)

    coordinated = next(item for item in snapshot if item["code"] == SignalCode.COORDINATED_FILING)
    assert coordinated["article"] == "令第121号第十七条第（二）项"
    assert coordinated["complaint_count"] == 2
    assert coordinated["complaints_sha256"] == references_digest(
        signal(
            complaint_signals([complaints[0]], by=regulator)[complaints[0].pk], SignalCode.COORDINATED_FILING
        ).complaints
    )
    assert complaints[1].reference not in str(snapshot)


# --- who sees them ----------------------------------------------------------------------------------------


def test_regulators_read_a_complaint_s_signals_over_the_api(regulator, platform):
    complaints = near_identical(platform, 3)

    response = client_for(regulator).get(
        reverse("regulation_api:regulator-complaint-signals", args=[complaints[0].pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == complaints[0].reference
    coordinated = next(item for item in body["signals"] if item["code"] == "coordinated_filing")
    assert coordinated["article"] == "令第121号第十七条第（二）项"
    assert coordinated["explanation"]
    assert {c["reference"] for c in coordinated["complaints"]} == {complaints[1].reference, complaints[2].reference}


def test_the_signals_of_a_missing_complaint_are_a_404(regulator):
    response = client_for(regulator).get(reverse("regulation_api:regulator-complaint-signals", args=[999999]))

    assert response.status_code == 404


@pytest.mark.parametrize("role", ["consumer", "agent"])
def test_consumers_and_platforms_may_not_read_signals(role, request, complaint):
    user = request.getfixturevalue(role)
    client = client_for(user)
    client.force_login(user)

    api = client.get(reverse("regulation_api:regulator-complaint-signals", args=[complaint.pk]))
    page = client.get(reverse("regulation:complaint-signals", args=[complaint.pk]))

    assert api.status_code == 403
    assert page.status_code == 403


@pytest.mark.parametrize("role", ["consumer", "agent"])
def test_consumer_and_platform_pages_and_api_show_no_signal(role, request, platform):
    complaints = near_identical(platform, 3)
    complaint = complaints[0]
    user = complaint.consumer if role == "consumer" else request.getfixturevalue("agent")
    client = client_for(user)
    client.force_login(user)

    responses = [
        client.get(reverse("complaints:complaint-detail", args=[complaint.pk])),
        client.get(reverse("complaints_api:complaint-detail", args=[complaint.pk])),
        client.get(reverse("complaints_api:complaint-events", args=[complaint.pk])),
    ]

    for response in responses:
        assert response.status_code == 200
        text = response.content.decode()
        for marker in ("第十七条", "coordinated_filing", "no_proof_of_purchase", "Signals (Art. 17)", "/signals/"):
            assert marker not in text


def test_regulators_see_the_signals_page_and_the_link_to_it(regulator, platform, client):
    complaints = near_identical(platform, 3)
    client.force_login(regulator)

    detail = client.get(reverse("complaints:complaint-detail", args=[complaints[0].pk]))
    page = client.get(reverse("regulation:complaint-signals", args=[complaints[0].pk]))

    assert reverse("regulation:complaint-signals", args=[complaints[0].pk]) in detail.content.decode()
    assert page.status_code == 200
    assert complaints[1].reference in page.content.decode()
    assert "令第121号第十七条第（二）项" in page.content.decode()
