"""Remediation: refunds recorded per member of a joint complaint, and the case's refunded / outstanding sums."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from complaints.events import verify_chain
from complaints.models import Complaint, EventKind
from portal.models import AccessLog
from regulation import remediation
from regulation.models import Refund
from tests.complaints.joint_helpers import three_members
from tests.factories import PlatformFactory, StaffFactory, file_complaint
from tests.fixtures_roles import client_for
from tests.offices import build_tree

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English; the Chinese ones come from the same msgids."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


TODAY = date(2026, 12, 3)


@pytest.fixture(autouse=True)
def pinned_day():
    with time_machine.travel("2026-12-03 10:00:00+08:00", tick=False):
        yield


def refund(case, regulator, member: int, amount: str, reference: str):
    return remediation.refund_record(
        by=regulator,
        complaint_id=case.complaints[member].pk,
        amount=Decimal(amount),
        refunded_on=TODAY,
        channel_reference=reference,
        joint_id=case.joint.pk,
    )


def test_refunds_and_outstanding_add_up(platform, regulator):
    case = three_members(platform)  # three complaints of 199.00 each
    refund(case, regulator, 0, "199.00", "ALI-1")
    refund(case, regulator, 1, "50.00", "ALI-2")
    refund(case, regulator, 1, "25.50", "ALI-3")
    lines, totals = remediation.joint_case(case.joint)
    assert totals.members == 3
    assert totals.amount == Decimal("597.00")
    assert totals.refunded == Decimal("274.50")
    assert totals.outstanding == Decimal("322.50")
    assert [line.outstanding for line in lines] == [Decimal("0.00"), Decimal("123.50"), Decimal("199.00")]


def test_a_refund_is_a_chained_event_on_the_members_complaint(platform, regulator):
    case = three_members(platform)
    refund(case, regulator, 2, "10.00", "WX-9")
    complaint = Complaint.objects.get(pk=case.complaints[2].pk)
    last = complaint.events.order_by("-sequence").first()
    assert last.kind == EventKind.REFUND_RECORDED
    assert last.data["amount"] == "10.00"
    assert last.data["channel_reference"] == "WX-9"
    assert verify_chain(complaint) is None


def test_refunds_cannot_exceed_the_members_amount(platform, regulator):
    case = three_members(platform)
    refund(case, regulator, 0, "150.00", "A")
    with pytest.raises(ValidationError) as refused:
        refund(case, regulator, 0, "49.01", "B")
    assert "amount" in refused.value.message_dict
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("amount", ["0", "-1", "1.001"])
def test_implausible_amounts_are_refused(platform, regulator, amount):
    case = three_members(platform)
    with pytest.raises(ValidationError) as refused:
        refund(case, regulator, 0, amount, "A")
    assert "amount" in refused.value.message_dict


def test_a_refund_dated_in_the_future_is_refused(platform, regulator):
    case = three_members(platform)
    with pytest.raises(ValidationError) as refused:
        remediation.refund_record(
            by=regulator,
            complaint_id=case.complaints[0].pk,
            amount="1.00",
            refunded_on=date(2026, 12, 4),
            channel_reference="X",
        )
    assert "refunded_on" in refused.value.message_dict


def test_a_complaint_outside_the_joint_complaint_is_refused(platform, regulator):
    case = three_members(platform)
    stranger = file_complaint(platform=platform)
    with pytest.raises(ValidationError) as refused:
        remediation.refund_record(
            by=regulator,
            complaint_id=stranger.pk,
            amount="1.00",
            refunded_on=TODAY,
            channel_reference="X",
            joint_id=case.joint.pk,
        )
    assert "complaint" in refused.value.message_dict


def test_only_regulators_record_refunds(platform, agent):
    case = three_members(platform)
    with pytest.raises(PermissionDenied):
        refund(case, agent, 0, "1.00", "X")


def test_the_regulator_api_shows_one_case_with_its_sums(platform, regulator, django_assert_max_num_queries):
    case = three_members(platform)
    refund(case, regulator, 0, "100.00", "A")
    client = client_for(regulator)
    with django_assert_max_num_queries(6):
        rows = client.get(reverse("regulation_api:regulator-joint-list")).json()
    assert rows == [
        {
            "id": case.joint.pk,
            "title": case.joint.title,
            "dispute": "undelivered",
            "platform": platform.slug,
            "office": case.joint.office.division_code,
            "created_at": rows[0]["created_at"],
            "answered_at": None,
            "member_count": 3,
            "representative_count": 2,
            "total_amount": "597.00",
            "refunded": "100.00",
            "outstanding": "497.00",
        }
    ]
    detail = client.get(reverse("regulation_api:regulator-joint-detail", args=[case.joint.pk])).json()
    assert [m["refunded"] for m in detail["members"]] == ["100.00", "0.00", "0.00"]
    assert [m["consumer"] for m in detail["members"]] == ["张三", "李四", "王五"]
    assert len(detail["refunds"]) == 1
    assert AccessLog.objects.filter(action="personal_data_read").exists()


def test_recording_a_refund_over_the_api(platform, regulator):
    case = three_members(platform)
    url = reverse("regulation_api:regulator-joint-refunds", args=[case.joint.pk])
    body = {
        "complaint": case.complaints[1].pk,
        "amount": "20.00",
        "refunded_on": "2026-12-02",
        "channel_reference": "R1",
    }
    answer = client_for(regulator).post(url, body, format="json")
    assert answer.status_code == 201
    assert answer.json()["refunded"] == "20.00"
    over = client_for(regulator).post(url, {**body, "amount": "180.00", "channel_reference": "R2"}, format="json")
    assert over.status_code == 400
    assert "amount" in over.json()


@pytest.mark.parametrize("who", ["consumer", "agent"])
def test_only_regulators_use_the_regulator_api(platform, who):
    case = three_members(platform)
    user = case.consumers[0] if who == "consumer" else StaffFactory(platform=platform)
    assert client_for(user).get(reverse("regulation_api:regulator-joint-list")).status_code == 403
    detail = reverse("regulation_api:regulator-joint-detail", args=[case.joint.pk])
    assert client_for(user).get(detail).status_code == 403


def test_regulators_see_joint_complaints_of_their_office_only():
    tree = build_tree()
    platform = PlatformFactory(domicile_code=tree.district_a.division_code)
    case = three_members(platform, elect=False)
    assert case.joint.office == tree.district_a
    for name, expected in [("a", 200), ("city", 200), ("national", 200), ("b", 404), ("cousin", 404)]:
        answer = client_for(tree.regulator(name)).get(
            reverse("regulation_api:regulator-joint-detail", args=[case.joint.pk])
        )
        assert answer.status_code == expected, name


def test_the_admin_lists_joint_complaints_of_the_office_scope_only(client):
    tree = build_tree()
    platform = PlatformFactory(domicile_code=tree.district_a.division_code)
    case = three_members(platform)
    changelist = reverse("admin:complaints_jointcomplaint_changelist")
    change = reverse("admin:complaints_jointcomplaint_change", args=[case.joint.pk])
    client.force_login(tree.regulator("a"))
    assert case.joint.title in client.get(changelist).content.decode()
    page = client.get(change)
    assert page.status_code == 200
    assert case.complaints[0].reference in page.content.decode()
    client.force_login(tree.regulator("b"))
    assert case.joint.title not in client.get(changelist).content.decode()
    assert client.get(change).status_code in (302, 404)


def test_a_regulator_without_an_office_sees_no_joint_complaint(platform, regulator):
    three_members(platform)
    regulator.office = None
    regulator.save()
    assert not remediation.joint_cases_for(regulator).exists()
