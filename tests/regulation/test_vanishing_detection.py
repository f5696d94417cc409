"""Detection of platforms that have gone dark: signals, alerts, idempotent refresh, a bounded number of queries."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import DeliveryStatus, WebhookDelivery
from platforms.models import ApiKey
from regulation.models import VanishingAlert, VanishingAlertStatus
from regulation.vanishing import DetectionWindow, vanishing_alerts_refresh, vanishing_detect
from tests.factories import ConsumerFactory, PlatformFactory, WebhookEndpointFactory
from tests.offices import build_tree, platform_in

from .vanishing_helpers import NOW, steady_history, surge_history

pytestmark = [pytest.mark.django_db, pytest.mark.dated]


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture
def consumer(db):
    return ConsumerFactory()


def test_a_surge_against_one_platform_raises_exactly_one_alert_with_its_evidence(at_now, tree, consumer):
    vanished = platform_in(tree.district_a)
    recent = surge_history(vanished, consumer)
    for _ in range(3):
        steady_history(platform_in(tree.district_b), consumer)

    result = vanishing_alerts_refresh()

    assert result.opened == 1
    alert = VanishingAlert.objects.get()
    assert (alert.platform, alert.office, alert.status) == (vanished, tree.district_a, VanishingAlertStatus.OPEN)
    assert alert.opened_at == NOW
    assert alert.signals == ["surge", "unanswered", "inactive", "keywords"]
    surge = alert.evidence["surge"]
    assert (surge["recent_complaints"], surge["baseline_median_per_day"], surge["threshold"]) == (42, 1.0, 21.0)
    assert alert.evidence["unanswered"] == {"complaints": 37, "answered": 1, "share_answered": 1 / 37, "fired": True}
    assert alert.evidence["keywords"]["complaints"] == 14
    assert sorted(alert.evidence["complaints"]["ids"]) == sorted(c.pk for c in recent)
    assert alert.evidence["window"]["answer_from"] == "2026-11-11"


def test_steady_platforms_raise_no_alert(at_now, tree, consumer):
    for office in (tree.district_a, tree.district_b, tree.cousin):
        steady_history(platform_in(office), consumer, per_day=3)

    result = vanishing_alerts_refresh()

    assert (result.opened, result.alerting) == (0, 0)
    assert not VanishingAlert.objects.exists()


def test_a_steady_platform_shows_no_signal(at_now, tree, consumer):
    steady = platform_in(tree.district_b)
    steady_history(steady, consumer, per_day=2)

    figures = vanishing_detect()[steady.pk]

    assert figures.signals == []
    assert figures.evidence["surge"]["baseline_median_per_day"] == 2.0


def test_refresh_is_idempotent(at_now, tree, consumer):
    surge_history(platform_in(tree.district_a), consumer)
    vanishing_alerts_refresh()
    first = VanishingAlert.objects.get()

    result = vanishing_alerts_refresh()

    again = VanishingAlert.objects.get()
    assert (result.opened, result.refreshed) == (0, 1)
    assert again.pk == first.pk
    assert (again.signals, again.evidence, again.opened_at) == (first.signals, first.evidence, first.opened_at)


def test_an_open_alert_whose_signals_calmed_down_stays_open_for_a_regulator(tree, consumer):
    platform = platform_in(tree.district_a)
    with time_machine.travel(NOW, tick=False):
        surge_history(platform, consumer)
        vanishing_alerts_refresh()
    with time_machine.travel(NOW + timedelta(days=60), tick=False):
        vanishing_alerts_refresh()

    alert = VanishingAlert.objects.get()
    assert alert.status == VanishingAlertStatus.OPEN
    assert alert.signals == []


def test_a_recently_dismissed_platform_gets_no_new_alert(at_now, tree, consumer):
    platform = platform_in(tree.district_a)
    surge_history(platform, consumer)
    VanishingAlert.objects.create(
        platform=platform,
        office=tree.district_a,
        status=VanishingAlertStatus.DISMISSED,
        opened_at=NOW - timedelta(days=2),
        refreshed_at=NOW - timedelta(days=2),
        decided_at=NOW - timedelta(days=1),
        reason="site checked, answers by phone",
    )

    assert vanishing_alerts_refresh().opened == 0


def test_a_confirmed_platform_is_not_watched_any_more(at_now, tree, consumer):
    platform = platform_in(tree.district_a, unreachable_confirmed_at=NOW - timedelta(days=1))
    surge_history(platform, consumer)

    assert vanishing_alerts_refresh().opened == 0


def test_the_database_allows_one_open_alert_per_platform(at_now, tree):
    platform = platform_in(tree.district_a)
    VanishingAlert.objects.create(platform=platform, office=tree.district_a, opened_at=NOW, refreshed_at=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        VanishingAlert.objects.create(platform=platform, office=tree.district_a, opened_at=NOW, refreshed_at=NOW)


def test_failed_webhooks_in_a_row_since_the_last_success_are_a_signal(at_now, tree):
    platform = platform_in(tree.district_a)
    endpoint = WebhookEndpointFactory(platform=platform)
    WebhookDelivery.objects.create(endpoint=endpoint, event="complaint.created", payload={}, status="delivered")
    for _ in range(5):
        WebhookDelivery.objects.create(
            endpoint=endpoint, event="complaint.created", payload={}, status=DeliveryStatus.FAILED
        )

    figures = vanishing_detect()[platform.pk]

    assert figures.evidence["webhooks"]["consecutive_failures"] == 5
    assert "webhooks" in figures.signals


def test_failures_before_a_success_do_not_count(at_now, tree):
    platform = platform_in(tree.district_a)
    endpoint = WebhookEndpointFactory(platform=platform)
    for _ in range(5):
        WebhookDelivery.objects.create(
            endpoint=endpoint, event="complaint.created", payload={}, status=DeliveryStatus.FAILED
        )
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        WebhookDelivery.objects.create(endpoint=endpoint, event="complaint.created", payload={}, status="delivered")

    assert vanishing_detect()[platform.pk].webhook_failures == 0


def test_recent_api_key_use_counts_as_a_sign_of_life(at_now, tree, consumer):
    platform = platform_in(tree.district_a)
    surge_history(platform, consumer)
    key = ApiKey.objects.create(platform=platform, name="erp", prefix="abcd1234", key_hash="0" * 64)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - timedelta(hours=2))

    figures = vanishing_detect()[platform.pk]

    assert "inactive" not in figures.signals
    assert figures.evidence["inactive"]["days_inactive"] == 0


def test_the_answer_window_counts_working_days_back_over_a_holiday():
    # 2026-10-09 (Friday) after the National Day holiday (Oct 1–7 off) and Mid-Autumn (Sep 25 off): the five
    # working days before it are Oct 8, Sep 30, 29, 28 and 24.
    from complaints.calendar import SHANGHAI

    window = DetectionWindow.at(timezone.datetime(2026, 10, 9, 10, tzinfo=SHANGHAI))

    assert window.answer_from.isoformat() == "2026-09-24"


def _refresh_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        vanishing_alerts_refresh()
    return len(queries)


def test_detection_costs_the_same_queries_for_two_platforms_and_for_twenty(at_now, tree, consumer):
    surge_history(platform_in(tree.district_a), consumer)
    steady_history(platform_in(tree.district_b), consumer, days=3)
    vanishing_alerts_refresh()
    few = _refresh_queries()
    for _ in range(18):
        platform = PlatformFactory(domicile_code=tree.cousin.division_code)
        steady_history(platform, consumer, days=3)
        WebhookEndpointFactory(platform=platform)

    many = _refresh_queries()

    assert VanishingAlert.objects.count() == 1
    assert many == few
    assert many <= 12
