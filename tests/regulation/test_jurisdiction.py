"""Transfer, take-over, dispute and designation (Order 121 Art. 13, 33, 41), as services and over the API."""

from datetime import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from complaints.calendar import SHANGHAI, add_working_days
from complaints.events import verify_chain
from complaints.models import EventKind
from complaints.timeline import event_summary
from portal.errors import Conflict, IllegalTransition
from regulation.jurisdiction import (
    complaint_designate,
    complaint_take_over,
    complaint_transfer,
    jurisdiction_dispute_open,
)
from tests.factories import file_complaint
from tests.fixtures_roles import client_for
from tests.offices import build_tree, platform_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return build_tree()


@pytest.fixture
def in_a(tree):
    return file_complaint(platform=platform_in(tree.district_a))


def _last_event(complaint):
    return complaint.events.order_by("-sequence").first()


# --- transfer (Art. 41) ------------------------------------------------------------------------------------


def test_the_receiving_centre_dispatches_down_to_a_district_with_an_event(tree, in_a):
    complaint = complaint_transfer(
        complaint_id=in_a.pk, by=tree.regulator("city"), to_office=tree.district_b, reason="住所地在滨江区"
    )

    complaint.refresh_from_db()
    assert complaint.office == tree.district_b and complaint.first_received_by == tree.district_a
    event = _last_event(complaint)
    assert event.kind == EventKind.TRANSFERRED
    assert event.data["from_office"] == "330106" and event.data["to_office"] == "330108"
    assert "杭州市滨江区市场监督管理局" in event_summary(event)
    assert verify_chain(complaint) is None


def test_after_the_transfer_a_leaves_and_b_sees_it(tree, in_a):
    complaint_transfer(complaint_id=in_a.pk, by=tree.regulator("city"), to_office=tree.district_b, reason="管辖")

    assert client_for(tree.regulator("a")).get(_detail(in_a)).status_code == 404
    assert client_for(tree.regulator("b")).get(_detail(in_a)).status_code == 200


def test_an_office_without_jurisdiction_hands_back_to_the_receiving_centre(tree, in_a):
    complaint = complaint_transfer(
        complaint_id=in_a.pk, by=tree.regulator("a"), to_office=tree.city, reason="本局无管辖权"
    )

    assert complaint.office == tree.city


def test_an_office_may_not_pass_a_complaint_sideways(tree, in_a):
    with pytest.raises(ValidationError) as raised, translation.override("en"):
        complaint_transfer(complaint_id=in_a.pk, by=tree.regulator("a"), to_office=tree.district_b, reason="x")

    assert "Art. 41" in raised.value.message_dict["office"][0]
    in_a.refresh_from_db()
    assert in_a.office == tree.district_a


def test_a_receiving_centre_does_not_dispatch_outside_its_tree(tree, in_a):
    with pytest.raises(ValidationError):
        complaint_transfer(complaint_id=in_a.pk, by=tree.regulator("city"), to_office=tree.cousin, reason="x")


def test_a_sibling_cannot_even_find_the_complaint(tree, in_a):
    with pytest.raises(Http404):
        complaint_transfer(complaint_id=in_a.pk, by=tree.regulator("b"), to_office=tree.city, reason="x")


def test_a_transfer_needs_a_reason(tree, in_a):
    with pytest.raises(ValidationError) as raised:
        complaint_transfer(complaint_id=in_a.pk, by=tree.regulator("a"), to_office=tree.city, reason="  ")
    assert "reason" in raised.value.message_dict


def test_a_regulator_without_an_office_cannot_move_anything(tree, in_a):
    from tests.factories import RegulatorFactory

    with pytest.raises(PermissionDenied):
        complaint_take_over(complaint_id=in_a.pk, by=RegulatorFactory(office=None), reason="x")


# --- take-over (Art. 13) ------------------------------------------------------------------------------------


def test_a_higher_office_takes_the_complaint_over(tree, in_a):
    complaint = complaint_take_over(complaint_id=in_a.pk, by=tree.regulator("province"), reason="重大案件")

    assert complaint.office == tree.province
    assert _last_event(complaint).kind == EventKind.TAKEN_OVER


def test_the_handling_office_cannot_take_over_from_itself(tree, in_a):
    with pytest.raises(PermissionDenied):
        complaint_take_over(complaint_id=in_a.pk, by=tree.regulator("a"), reason="x")


def test_a_closed_complaint_keeps_its_office(tree, in_a):
    from complaints.services import complaint_withdraw

    complaint_withdraw(complaint_id=in_a.pk, by=in_a.consumer)
    with pytest.raises(IllegalTransition):
        complaint_take_over(complaint_id=in_a.pk, by=tree.regulator("city"), reason="x")


# --- dispute and designation (Art. 33) ------------------------------------------------------------------------


@pytest.mark.dated
def test_a_dispute_has_seven_working_days_to_settle(tree, in_a):
    with time_machine.travel(datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), tick=False):
        dispute = jurisdiction_dispute_open(
            complaint_id=in_a.pk, by=tree.regulator("a"), other_office=tree.district_b, reason="经营地在滨江区"
        )

    # National Day week (1–7 October) is not counted; 30 September + 7 working days, with the make-up Saturday.
    assert dispute.settle_by == add_working_days(dispute.opened_at, 7).due
    assert dispute.settle_by.astimezone(SHANGHAI).date() > datetime(2026, 10, 9).date()
    assert _last_event(in_a).kind == EventKind.JURISDICTION_DISPUTED


def test_only_one_dispute_at_a_time(tree, in_a):
    jurisdiction_dispute_open(complaint_id=in_a.pk, by=tree.regulator("a"), other_office=tree.district_b, reason="x")
    with pytest.raises(Conflict):
        jurisdiction_dispute_open(complaint_id=in_a.pk, by=tree.regulator("a"), other_office=tree.cousin, reason="x")


def test_no_dispute_with_an_office_above(tree, in_a):
    with pytest.raises(ValidationError):
        jurisdiction_dispute_open(complaint_id=in_a.pk, by=tree.regulator("a"), other_office=tree.city, reason="x")


def test_the_common_superior_designates(tree, in_a):
    jurisdiction_dispute_open(complaint_id=in_a.pk, by=tree.regulator("a"), other_office=tree.district_b, reason="x")

    complaint = complaint_designate(
        complaint_id=in_a.pk, by=tree.regulator("city"), office=tree.district_b, reason="指定滨江区"
    )

    assert complaint.office == tree.district_b
    dispute = complaint.jurisdiction_disputes.get()
    assert dispute.designated_office == tree.district_b and not dispute.is_open
    assert _last_event(complaint).kind == EventKind.DESIGNATED


@pytest.mark.parametrize("designator", ["a", "b"])
def test_the_disputing_offices_cannot_designate(tree, in_a, designator):
    jurisdiction_dispute_open(complaint_id=in_a.pk, by=tree.regulator("a"), other_office=tree.district_b, reason="x")

    with pytest.raises((PermissionDenied, Http404)):
        complaint_designate(complaint_id=in_a.pk, by=tree.regulator(designator), office=tree.district_b, reason="x")


def test_an_office_above_only_one_side_cannot_designate(tree, in_a):
    jurisdiction_dispute_open(complaint_id=in_a.pk, by=tree.regulator("a"), other_office=tree.cousin, reason="x")

    with pytest.raises(PermissionDenied):
        complaint_designate(complaint_id=in_a.pk, by=tree.regulator("city"), office=tree.district_a, reason="x")
    assert (
        complaint_designate(complaint_id=in_a.pk, by=tree.regulator("province"), office=tree.cousin, reason="x").office
        == tree.cousin
    )


def test_designation_needs_an_open_dispute(tree, in_a):
    with pytest.raises(IllegalTransition):
        complaint_designate(complaint_id=in_a.pk, by=tree.regulator("city"), office=tree.district_b, reason="x")


# --- API ------------------------------------------------------------------------------------------------------


def _detail(complaint):
    return reverse("complaints_api:complaint-detail", args=[complaint.pk])


def _post(user, name, complaint, body):
    return client_for(user).post(reverse(f"regulation_api:{name}", args=[complaint.pk]), body, format="json")


def test_api_transfer_answers_with_the_new_office(tree, in_a):
    response = _post(tree.regulator("city"), "complaint-transfer", in_a, {"office": "330108", "reason": "管辖"})

    assert response.status_code == 200
    assert response.json()["office"]["division_code"] == "330108"
    assert response.json()["first_received_by"]["division_code"] == "330106"


def test_api_hand_back_answers_although_the_office_no_longer_sees_it(tree, in_a):
    response = _post(tree.regulator("a"), "complaint-transfer", in_a, {"office": "330100", "reason": "无管辖权"})

    assert response.status_code == 200 and response.json()["office"]["division_code"] == "330100"


@pytest.mark.parametrize(
    ("name", "body", "status"),
    [
        ("complaint-transfer", {"office": "330108", "reason": "x"}, 400),  # sideways
        ("complaint-transfer", {"office": "999999", "reason": "x"}, 400),  # no such office
        ("complaint-transfer", {"office": "330100"}, 400),  # no reason
        ("complaint-take-over", {"reason": "x"}, 403),  # not above itself
        ("complaint-designate", {"office": "330108", "reason": "x"}, 409),  # no dispute open
    ],
)
def test_api_refusals(tree, in_a, name, body, status):
    response = _post(tree.regulator("a"), name, in_a, body)

    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    "name", ["complaint-transfer", "complaint-take-over", "complaint-designate", "complaint-jurisdiction-dispute"]
)
def test_api_out_of_scope_is_404(tree, in_a, name):
    response = _post(tree.regulator("b"), name, in_a, {"office": "330100", "reason": "x"})

    assert response.status_code == 404


def test_api_is_for_regulators_only(tree, in_a):
    response = _post(in_a.consumer, "complaint-take-over", in_a, {"reason": "x"})

    assert response.status_code == 403


def test_api_dispute_then_designate(tree, in_a):
    assert (
        _post(
            tree.regulator("a"), "complaint-jurisdiction-dispute", in_a, {"office": "330108", "reason": "x"}
        ).status_code
        == 200
    )
    response = _post(tree.regulator("city"), "complaint-designate", in_a, {"office": "330108", "reason": "指定"})

    assert response.status_code == 200 and response.json()["office"]["division_code"] == "330108"


def test_a_transfer_leaves_a_chained_audit_entry(tree, in_a):
    from portal.audit import verify_audit_trail
    from portal.models import AuditAction, AuditEntry

    complaint_transfer(complaint_id=in_a.pk, by=tree.regulator("a"), to_office=tree.city, reason="住所地不在本区")

    entry = AuditEntry.objects.get(action=AuditAction.COMPLAINT_OFFICE_CHANGED)
    assert (entry.object_id, entry.data["to_office"]) == (str(in_a.pk), tree.city.division_code)
    assert verify_audit_trail()[1] is None
