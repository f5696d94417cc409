"""The consumer warning (消费预警) once a platform is confirmed unreachable: registry page, filing form, API; and a
new filing against it goes to the desk with the payment-channel route first."""

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.events import verify_chain
from complaints.models import PLATFORM_CLOCKS, Deadline, EventKind, Status
from complaints.unreachable import PLATFORM_UNREACHABLE
from portal.models import OutboxMessage
from regulation.models import VanishingAlert
from regulation.vanishing import vanishing_alert_confirm
from tests.factories import ConsumerFactory, api_filing, file_complaint
from tests.fixtures_roles import client_for
from tests.offices import build_tree, platform_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture
def vanished(tree):
    platform = platform_in(tree.district_a, name="跑路卡盟")
    file_complaint(ConsumerFactory(), platform)
    now = timezone.now()
    alert = VanishingAlert.objects.create(platform=platform, office=tree.district_a, opened_at=now, refreshed_at=now)
    vanishing_alert_confirm(alert_id=alert.pk, by=tree.regulator("a"))
    platform.refresh_from_db()
    return platform


@pytest.fixture
def reachable(tree):
    return platform_in(tree.district_b, name="正常卡盟")


def test_the_registry_page_shows_the_warning_with_date_count_and_advice(client, vanished):
    response = client.get(reverse("regulation:registry-detail", args=[vanished.slug]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "unreachable-warning" in page
    assert vanished.unreachable_reference in page
    assert timezone.localtime(vanished.unreachable_confirmed_at).strftime("%Y-%m-%d") in page
    assert "交易投诉" in page and "拒付" in page
    assert "消费者权益保护法实施条例" in page


def test_the_registry_page_of_a_reachable_platform_shows_no_warning(client, reachable):
    response = client.get(reverse("regulation:registry-detail", args=[reachable.slug]))

    assert "unreachable-warning" not in response.content.decode()


def test_the_filing_form_lists_the_unreachable_platforms(client, vanished, reachable):
    client.force_login(ConsumerFactory())

    page = client.get(reverse("complaints:complaint-new"), {"paid": "yes"}).content.decode()

    assert "unreachable-warnings" in page
    assert vanished.unreachable_reference in page
    assert "正常卡盟" not in page.split("unreachable-warnings")[1].split("</section>")[0]


def test_the_filing_form_shows_the_full_warning_for_the_chosen_platform(client, vanished):
    client.force_login(ConsumerFactory())

    page = client.get(reverse("complaints:complaint-new"), {"paid": "yes", "platform": vanished.pk}).content.decode()

    assert page.count('unreachable-warning"') == 1
    assert "交易投诉" in page


def test_the_re_shown_form_keeps_the_warning_for_the_chosen_platform(client, vanished):
    client.force_login(ConsumerFactory())

    response = client.post(reverse("complaints:complaint-new"), {"platform": vanished.pk})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('unreachable-warning"') == 1


def test_the_api_registry_detail_carries_the_warning(vanished, reachable):
    client = client_for()

    warned = client.get(f"/api/v1/platforms/{vanished.slug}/").json()
    plain = client.get(f"/api/v1/platforms/{reachable.slug}/").json()

    assert warned["is_unreachable"] is True
    assert warned["unreachable_warning"]["reference"] == vanished.unreachable_reference
    assert warned["unreachable_warning"]["complaints"] == 1
    assert [r["channel"] for r in warned["unreachable_warning"]["payment_channel_routes"]] == [
        "alipay",
        "wechat",
        "bank_card",
    ]
    assert plain["unreachable_warning"] is None


def test_a_filing_over_the_api_answers_with_the_warning_and_waits_on_the_desk(vanished):
    consumer = ConsumerFactory()

    response = client_for(consumer).post("/api/v1/complaints/", api_filing(vanished), format="json")

    body = response.json()
    assert response.status_code == 201
    assert body["status"] == Status.ESCALATED
    assert body["unreachable_warning"]["reference"] == vanished.unreachable_reference
    assert body["unreachable_warning"]["complaints"] == 2


def test_a_new_filing_against_an_unreachable_platform_runs_no_platform_clock(vanished):
    complaint = file_complaint(ConsumerFactory(), vanished)

    clocks = Deadline.objects.filter(complaint=complaint, kind__in=PLATFORM_CLOCKS)
    assert set(clocks.values_list("cancelled_reason", flat=True)) == {PLATFORM_UNREACHABLE}
    assert complaint.status == Status.ESCALATED
    assert complaint.platform_due_at is None
    assert complaint.events.order_by("-sequence").first().kind == EventKind.PLATFORM_UNREACHABLE
    assert verify_chain(complaint) is None
    assert OutboxMessage.objects.filter(template="platform_unreachable", complaint_id=complaint.pk).exists()


def test_a_filing_against_a_reachable_platform_is_unchanged(reachable):
    complaint = file_complaint(ConsumerFactory(), reachable)

    assert complaint.status == Status.AWAITING_PLATFORM
    assert not Deadline.objects.filter(complaint=complaint).exclude(cancelled_reason="").exists()


def test_the_registry_list_marks_the_unreachable_platform(client, vanished, reachable):
    page = client.get(reverse("regulation:registry-list")).content.decode()

    assert page.count("badge-unreachable") == 1
