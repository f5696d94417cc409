"""A regulator confirms a platform unreachable, or dismisses the alert: the services."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from complaints.calendar import SHANGHAI
from complaints.events import verify_chain
from complaints.models import PLATFORM_CLOCKS, ClockKind, Complaint, Deadline, EventKind, Status
from complaints.sweep import deadlines_sweep
from complaints.unreachable import PLATFORM_UNREACHABLE
from portal.errors import IllegalTransition
from portal.models import AuditAction, AuditEntry, OutboxMessage
from regulation.models import VanishingAlert, VanishingAlertStatus
from regulation.statistics import clocks_stopped_unreachable, platform_statistics
from regulation.vanishing import unreachable_reference, vanishing_alert_confirm, vanishing_alert_dismiss
from tests.factories import ConsumerFactory, file_complaint
from tests.offices import build_tree, platform_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture
def platform(tree):
    return platform_in(tree.district_a)


@pytest.fixture
def alert(tree, platform):
    now = timezone.now()
    return VanishingAlert.objects.create(
        platform=platform, office=tree.district_a, opened_at=now, refreshed_at=now, signals=["surge", "inactive"]
    )


@pytest.fixture
def open_complaints(platform):
    return [file_complaint(ConsumerFactory(), platform) for _ in range(3)]


def _confirm(tree, alert, who="a"):
    return vanishing_alert_confirm(alert_id=alert.pk, by=tree.regulator(who), reason="site down since the 1st")


def test_confirmation_sets_the_platforms_fields(tree, platform, alert):
    _confirm(tree, alert)

    platform.refresh_from_db()
    year = timezone.now().astimezone(SHANGHAI).year
    assert platform.is_unreachable
    assert platform.unreachable_office == tree.district_a
    assert platform.unreachable_reference == f"杭西市监预警〔{year}〕1号"
    alert.refresh_from_db()
    assert (alert.status, alert.decided_by, alert.reason) == (
        VanishingAlertStatus.CONFIRMED,
        tree.regulator("a"),
        "site down since the 1st",
    )


def test_references_are_numbered_per_office_and_year():
    assert unreachable_reference("杭西市监处罚", 2026, 3) == "杭西市监预警〔2026〕3号"
    assert unreachable_reference("", 2026, 3) == "预警〔2026〕第0003号"


def test_confirmation_writes_a_verified_chained_event_on_every_open_complaint(tree, alert, open_complaints):
    _confirm(tree, alert)

    for complaint in open_complaints:
        complaint.refresh_from_db()
        last = complaint.events.order_by("-sequence").first()
        assert last.kind == EventKind.PLATFORM_UNREACHABLE
        assert last.data["reference"].startswith("杭西市监预警")
        assert last.data["status_from"] == Status.AWAITING_PLATFORM
        assert sorted(last.data["clocks_stopped"]) == sorted(PLATFORM_CLOCKS)
        assert verify_chain(complaint) is None


def test_confirmation_stops_platform_clocks_as_cancelled_not_breached(tree, alert, open_complaints):
    _confirm(tree, alert)

    clocks = Deadline.objects.filter(complaint__in=open_complaints, kind__in=PLATFORM_CLOCKS)
    assert clocks.count() == 3 * len(PLATFORM_CLOCKS)
    assert not clocks.filter(cancelled_at__isnull=True).exists()
    assert set(clocks.values_list("cancelled_reason", flat=True)) == {PLATFORM_UNREACHABLE}
    assert not clocks.filter(breached_at__isnull=False).exists()
    assert not Complaint.objects.filter(pk__in=[c.pk for c in open_complaints], platform_due_at__isnull=False).exists()


def test_the_sweep_never_breaches_the_stopped_clocks(tree, alert, open_complaints):
    _confirm(tree, alert)

    deadlines_sweep(now=timezone.now() + timedelta(days=40))

    assert not Deadline.objects.filter(kind__in=PLATFORM_CLOCKS, breached_at__isnull=False).exists()
    assert not Complaint.objects.filter(is_overdue=True).exists()


def test_complaints_waiting_on_the_platform_move_to_the_desk(tree, alert, open_complaints):
    _confirm(tree, alert)

    for complaint in open_complaints:
        complaint.refresh_from_db()
        assert complaint.status == Status.ESCALATED
        assert complaint.escalated_at is not None
        assert complaint.deadlines.running().filter(kind=ClockKind.REGULATOR_ACCEPTANCE).exists()


def test_closed_complaints_are_left_alone(tree, platform, alert):
    complaint = file_complaint(ConsumerFactory(), platform)
    Complaint.objects.filter(pk=complaint.pk).update(status=Status.CLOSED)
    events_before = complaint.events.count()

    _confirm(tree, alert)

    assert complaint.events.count() == events_before


def test_consumers_are_told_to_go_to_the_payment_channel_first(tree, alert, open_complaints):
    _confirm(tree, alert)

    messages = OutboxMessage.objects.filter(template="platform_unreachable")
    assert sorted(m.recipients[0] for m in messages) == sorted(c.consumer.email for c in open_complaints)
    assert all(m.context["payment_channel"] == "alipay" for m in messages)


def test_confirmation_is_audited(tree, platform, alert):
    _confirm(tree, alert)

    entry = AuditEntry.objects.get(action=AuditAction.VANISHING_CONFIRMED)
    assert entry.object_id == str(platform.pk)
    assert entry.data["reason"] == "site down since the 1st"


def test_the_scorecard_does_not_count_stopped_clocks_as_breaches(tree, platform, alert, open_complaints):
    _confirm(tree, alert)
    deadlines_sweep(now=timezone.now() + timedelta(days=40))

    (figures,) = platform_statistics(platform_ids=[platform.pk])

    assert figures.complaints == 3
    assert figures.overdue == 0
    assert (figures.first_response_decided, figures.resolution_decided) == (0, 0)
    assert figures.first_response_on_time_rate is None
    assert clocks_stopped_unreachable([platform.pk]) == {platform.pk: 3 * len(PLATFORM_CLOCKS)}


def test_an_alert_is_decided_once(tree, alert):
    _confirm(tree, alert)
    with pytest.raises(IllegalTransition):
        vanishing_alert_dismiss(alert_id=alert.pk, by=tree.regulator("a"), reason="changed my mind")


def test_dismissal_needs_a_reason(tree, alert):
    with pytest.raises(ValidationError) as error:
        vanishing_alert_dismiss(alert_id=alert.pk, by=tree.regulator("a"), reason="  ")
    assert "reason" in error.value.message_dict
    alert.refresh_from_db()
    assert alert.status == VanishingAlertStatus.OPEN


def test_dismissal_records_the_reason_and_leaves_the_platform_reachable(tree, platform, alert):
    vanishing_alert_dismiss(alert_id=alert.pk, by=tree.regulator("city"), reason="answers by phone")

    alert.refresh_from_db()
    platform.refresh_from_db()
    assert (alert.status, alert.reason) == (VanishingAlertStatus.DISMISSED, "answers by phone")
    assert not platform.is_unreachable
    assert AuditEntry.objects.filter(action=AuditAction.VANISHING_DISMISSED, object_id=str(alert.pk)).exists()


@pytest.mark.parametrize("who", ["b", "cousin"])
def test_a_regulator_outside_the_office_finds_no_such_alert(tree, alert, who):
    with pytest.raises(Http404):
        _confirm(tree, alert, who)
    with pytest.raises(Http404):
        vanishing_alert_dismiss(alert_id=alert.pk, by=tree.regulator(who), reason="x")


@pytest.mark.parametrize("who", ["a", "city", "province", "national"])
def test_the_office_and_those_above_it_may_confirm(tree, alert, who):
    assert _confirm(tree, alert, who).status == VanishingAlertStatus.CONFIRMED


def test_a_consumer_may_not_confirm(tree, alert):
    with pytest.raises(PermissionDenied):
        vanishing_alert_confirm(alert_id=alert.pk, by=ConsumerFactory())


def test_the_consumer_reads_the_confirmation_on_the_complaint_page(client, tree, alert, open_complaints):
    _confirm(tree, alert)
    complaint = open_complaints[0]
    client.force_login(complaint.consumer)

    page = client.get(reverse("complaints:complaint-detail", args=[complaint.pk])).content.decode()

    alert.platform.refresh_from_db()
    assert alert.platform.unreachable_reference in page
