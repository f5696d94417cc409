"""The public registry, pages and API: licences, scorecards, penalties, narratives — and no personal data."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.throttling import AnonRateThrottle

from complaints import services
from platforms.models import Operator
from portal.offices import national_office
from regulation.models import Penalty, PenaltyKind
from regulation.rollup import refresh_daily_stats
from tests.factories import ConsumerFactory, PlatformFactory, file_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

PHONE = "13812345678"
ORDER_NUMBER = "DD20260309SECRET77"
PAYMENT_REFERENCE = "2026030922001499998888"


@pytest.fixture
def platform(db):
    operator = Operator.objects.create(name="某网络科技有限公司")
    PlatformFactory(name="姐妹卡盟", slug="sister", operator=operator)
    return PlatformFactory(
        name="星辰卡盟",
        slug="xingchen",
        domain="xingchen.example.cn",
        icp_filing_number="沪ICP备12345678号",
        telecom_licence_number="沪B2-20260001",
        operator=operator,
        verified_at=timezone.now(),
        compensation_standard="2小时内未到账自动退款",
        compensation_hours=2,
    )


@pytest.fixture
def private_consumer(db):
    return ConsumerFactory(username="zhangsan-private", email="zhangsan@private.example.cn")


def published_complaint(consumer, platform, *, consent=True):
    complaint = file_complaint(
        consumer,
        platform,
        order_number=ORDER_NUMBER,
        payment_reference=PAYMENT_REFERENCE,
        amount=Decimal("648.37"),
        product_name="王者荣耀 648 点券",
        description=f"订单号{ORDER_NUMBER}，支付流水{PAYMENT_REFERENCE}，付款后没到账，客服让我打{PHONE}也没人接。",
    )
    if consent:
        services.complaint_set_publication(complaint_id=complaint.pk, by=consumer, consent=True)
    return complaint


def issued_penalty(platform, number="市监罚〔2026〕001"):
    return Penalty.objects.create(
        platform=platform,
        office=national_office(),
        year=2026,
        sequence=int(number[-3:]),
        number=number,
        kind=PenaltyKind.WARNING,
        legal_basis="《电子商务法》",
        facts="超时未发货。",
        decision="警告。",
        decided_on=date(2026, 3, 1),
        appeal_deadline=date(2026, 5, 1),
    )


def detail_html(client, platform) -> str:
    return client.get(reverse("regulation:registry-detail", args=[platform.slug])).content.decode()


def detail_json(api_client, platform) -> str:
    response = api_client.get(reverse("regulation_api:registry-detail", args=[platform.slug]))
    assert response.status_code == 200
    return json.dumps(response.json(), ensure_ascii=False)


def test_registry_lists_platforms_with_licence_data(client, platform):
    response = client.get(reverse("regulation:registry-list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "星辰卡盟" in html and "沪ICP备12345678号" in html and "沪B2-20260001" in html
    assert reverse("regulation:registry-detail", args=["xingchen"]) in html


@pytest.mark.parametrize("search", ["星辰", "xingchen.example", "12345678"])
def test_registry_search_finds_by_name_domain_or_icp(client, platform, search):
    PlatformFactory(name="别的平台")

    platforms = client.get(reverse("regulation:registry-list"), {"q": search}).context["platforms"]

    assert [p.slug for p in platforms] == ["xingchen"]


def test_registry_verified_filter_leaves_out_unverified_platforms(client, platform):
    PlatformFactory(name="未核验卡盟", is_verified=False)

    platforms = client.get(reverse("regulation:registry-list"), {"verified": "1"}).context["platforms"]

    assert "未核验卡盟" not in [p.name for p in platforms]


def test_detail_shows_licences_operator_compensation_penalties_and_checklist(client, platform):
    issued_penalty(platform)

    html = detail_html(client, platform)

    expected = [
        "沪ICP备12345678号", "沪B2-20260001", "某网络科技有限公司", "姐妹卡盟", "2小时内未到账自动退款",
        "市监罚〔2026〕001", "ICP备案", "增值电信业务经营许可证", "实时库存", "预售", "短信验证", "设备锁",
    ]  # fmt: skip
    assert [text for text in expected if text not in html] == []


def test_detail_of_unknown_platform_is_404(client, api_client):
    assert client.get(reverse("regulation:registry-detail", args=["nope"])).status_code == 404
    assert api_client.get(reverse("regulation_api:registry-detail", args=["nope"])).status_code == 404


def test_public_page_and_api_carry_no_personal_data(client, api_client, platform, private_consumer):
    published_complaint(private_consumer, platform)

    for body in (detail_html(client, platform), detail_json(api_client, platform)):
        assert "王者荣耀 648 点券" in body
        secrets = [
            "zhangsan-private",
            "zhangsan@private.example.cn",
            ORDER_NUMBER,
            PAYMENT_REFERENCE,
            PHONE,
            "648.37",
        ]
        assert [secret for secret in secrets if secret in body] == []


def test_phone_number_in_a_consented_narrative_is_masked(api_client, platform, private_consumer):
    published_complaint(private_consumer, platform)

    (narrative,) = api_client.get(reverse("regulation_api:registry-detail", args=[platform.slug])).json()["narratives"]

    assert PHONE not in narrative["narrative"]
    assert "[手机号已隐藏]" in narrative["narrative"]
    assert set(narrative) == {"product", "problem", "problem_label", "month_filed", "narrative"}
    assert narrative["month_filed"] == timezone.localtime().strftime("%Y-%m")


def test_narrative_without_consent_is_not_published(client, api_client, platform, private_consumer):
    published_complaint(private_consumer, platform, consent=False)

    assert "付款后没到账" not in detail_html(client, platform)
    assert api_client.get(reverse("regulation_api:registry-detail", args=[platform.slug])).json()["narratives"] == []


def test_withdrawn_consent_removes_the_narrative_at_once(client, api_client, platform, private_consumer):
    complaint = published_complaint(private_consumer, platform)
    assert "付款后没到账" in detail_html(client, platform)  # the scorecard is now cached

    services.complaint_set_publication(complaint_id=complaint.pk, by=private_consumer, consent=False)

    assert "付款后没到账" not in detail_html(client, platform)
    assert api_client.get(reverse("regulation_api:registry-detail", args=[platform.slug])).json()["narratives"] == []


def test_rates_are_hidden_below_the_minimum(client, api_client, platform, settings):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 5
    file_complaint(platform=platform)

    page = client.get(reverse("regulation:registry-detail", args=[platform.slug]))
    scorecard = api_client.get(reverse("regulation_api:registry-detail", args=[platform.slug])).json()["scorecard"]

    assert page.context["stats"].scorecard.is_rated is False
    assert "score-unrated" in page.content.decode()
    assert (scorecard["complaints"], scorecard["is_rated"], scorecard["min_complaints"]) == (1, False, 5)
    assert scorecard["first_response_on_time_rate"] is None and scorecard["score"] is None


def test_rated_platform_shows_its_score(api_client, platform, settings):
    settings.PORTAL_SCORECARD_MIN_COMPLAINTS = 2
    for _ in range(2):
        file_complaint(platform=platform)

    (row,) = [
        row
        for row in api_client.get(reverse("regulation_api:registry-list")).json()["results"]
        if row["slug"] == "xingchen"
    ]

    assert row["scorecard"]["is_rated"] is True
    assert row["scorecard"]["score"] is not None


def test_scorecard_is_served_from_the_cache(client, platform):
    detail_html(client, platform)

    with CaptureQueriesContext(connection) as second:
        detail_html(client, platform)

    assert not any("GROUP BY" in query["sql"] for query in second.captured_queries)


def test_scorecards_counted_directly_have_no_as_of(client, api_client, platform):
    file_complaint(platform=platform)

    page = client.get(reverse("regulation:registry-detail", args=[platform.slug]), HTTP_ACCEPT_LANGUAGE="en")
    scorecard = api_client.get(reverse("regulation_api:registry-detail", args=[platform.slug])).json()["scorecard"]

    assert "Figures as of" not in page.content.decode()
    assert (scorecard["complaints"], scorecard["as_of"]) == (1, None)


def test_scorecards_read_from_the_rollup_say_when_it_was_refreshed(client, api_client, platform, monkeypatch):
    morning = timezone.localtime().replace(hour=8, minute=30, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: morning)
    file_complaint(platform=platform, now=morning - timedelta(hours=1))
    refresh_daily_stats()

    detail = client.get(reverse("regulation:registry-detail", args=[platform.slug]), HTTP_ACCEPT_LANGUAGE="en")
    listing = client.get(reverse("regulation:registry-list"), HTTP_ACCEPT_LANGUAGE="en")
    results = api_client.get(reverse("regulation_api:registry-list")).json()["results"]
    (row,) = [row for row in results if row["slug"] == "xingchen"]

    assert "Figures as of 08:30" in detail.content.decode()
    assert "Figures as of 08:30" in listing.content.decode()
    assert row["scorecard"]["as_of"] == morning.isoformat()
    assert row["scorecard"]["complaints"] == 1


def test_registry_api_is_throttled_for_anonymous_clients(api_client, platform, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})

    statuses = [api_client.get(reverse("regulation_api:registry-list")).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_registry_pages_have_no_inline_styles_or_scripts(client, platform):
    for url in (reverse("regulation:registry-list"), reverse("regulation:registry-detail", args=[platform.slug])):
        html = client.get(url).content.decode()
        assert "style=" not in html
        assert "<script>" not in html


def platforms_with_complaints(count: int) -> None:
    for _ in range(count):
        platform = PlatformFactory()
        file_complaint(platform=platform, paid_at=timezone.now() - timedelta(hours=1))
        issued_penalty(platform, number=f"市监罚〔2026〕{platform.pk:03d}")


@pytest.mark.parametrize("url_name", ["regulation:registry-list", "regulation_api:registry-list"])
def test_registry_list_query_count_does_not_grow(client, url_name, django_assert_max_num_queries):
    platforms_with_complaints(3)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(url_name))
    platforms_with_complaints(12)
    cache.clear()  # every scorecard computed afresh, as for the first visitor after a deploy

    with django_assert_max_num_queries(len(few)):
        assert client.get(reverse(url_name)).status_code == 200
