"""The regulator's worklist: each section's rule, the office scope, the page, its admin links and query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import ClockKind
from regulation import desk
from regulation.jurisdiction import jurisdiction_dispute_open
from regulation.worklist import worklist_for
from tests.factories import RegulatorFactory, file_complaint
from tests.offices import build_tree, platform_in
from tests.regulation.desk_helpers import escalated_complaint, mediated_complaint

pytestmark = pytest.mark.django_db


def section(user, key, *, now=None):
    (block,) = [block for block in worklist_for(user, now=now) if block.key == key]
    return block


def references(block) -> set[str]:
    rows = block.rows
    if block.key == "jurisdiction_disputes":
        rows = [dispute.complaint for dispute in rows]
    return {complaint.reference for complaint in rows}


def clock_due(complaint, kind):
    return complaint.deadlines.get(kind=kind).due_at


# --- the sections ---------------------------------------------------------------------------------------


def test_a_platform_past_its_deadline_is_overdue_and_an_answered_one_is_not(regulator):
    long_ago = timezone.now() - timedelta(days=10)
    late = file_complaint(now=long_ago, paid_at=long_ago - timedelta(hours=1))
    on_time = file_complaint()

    block = section(regulator, "overdue_platform")

    assert references(block) == {late.reference}
    assert block.count == 1
    assert on_time.reference not in references(block)


def test_an_acceptance_decision_past_its_seven_working_days_is_our_own_overdue(regulator):
    complaint = escalated_complaint()
    due = clock_due(complaint, ClockKind.REGULATOR_ACCEPTANCE)

    assert references(section(regulator, "overdue_regulator", now=due - timedelta(hours=1))) == set()
    block = section(regulator, "overdue_regulator", now=due + timedelta(hours=1))
    assert references(block) == {complaint.reference}
    assert block.rows[0].worklist_due_at == due


def test_a_decided_complaint_leaves_the_acceptance_sections(regulator):
    complaint = escalated_complaint()
    due = clock_due(complaint, ClockKind.REGULATOR_ACCEPTANCE)
    assert references(section(regulator, "awaiting_acceptance")) == {complaint.reference}

    desk.complaint_accept_for_mediation(complaint_id=complaint.pk, by=regulator)

    assert references(section(regulator, "awaiting_acceptance")) == set()
    assert references(section(regulator, "overdue_regulator", now=due + timedelta(days=1))) == set()


def test_an_escalation_older_than_the_horizon_is_no_longer_recent(regulator, settings):
    complaint = escalated_complaint()

    assert references(section(regulator, "escalated")) == {complaint.reference}
    later = timezone.now() + timedelta(days=settings.PORTAL_WORKLIST_HORIZON_DAYS, hours=1)
    assert references(section(regulator, "escalated", now=later)) == set()


def test_a_mediation_shows_once_its_sixty_days_end_within_the_horizon(regulator):
    complaint = mediated_complaint(regulator)
    ends = clock_due(complaint, ClockKind.MEDIATION)

    assert references(section(regulator, "mediation_ending", now=ends - timedelta(days=8))) == set()
    block = section(regulator, "mediation_ending", now=ends - timedelta(days=6))
    assert references(block) == {complaint.reference}
    assert block.rows[0].worklist_due_at == ends


def test_a_request_for_material_lapsing_this_week_then_its_proposed_refusal(regulator):
    complaint = escalated_complaint()
    request = desk.complaint_request_material(
        complaint_id=complaint.pk,
        by=regulator,
        message="请补充身份证明。",
        deadline=timezone.localdate() + timedelta(days=3),
    )
    assert references(section(regulator, "material_lapsing")) == {complaint.reference}
    assert references(section(regulator, "refusals_proposed")) == set()

    desk.material_requests_propose_refusals(now=request.due_at + timedelta(minutes=1))

    assert references(section(regulator, "material_lapsing")) == set()
    assert references(section(regulator, "refusals_proposed")) == {complaint.reference}


def test_a_refused_complaint_leaves_the_proposed_refusals(regulator):
    complaint = escalated_complaint()
    request = desk.complaint_request_material(
        complaint_id=complaint.pk,
        by=regulator,
        message="请补充材料。",
        kind="material",
        deadline=timezone.localdate() + timedelta(days=1),
    )
    desk.material_requests_propose_refusals(now=request.due_at + timedelta(minutes=1))

    desk.complaint_refuse(complaint_id=complaint.pk, by=regulator, ground="art16_5", reason="未补充材料")

    assert references(section(regulator, "refusals_proposed")) == set()


def test_a_desk_clock_due_within_the_horizon_is_due_this_week(regulator):
    complaint = escalated_complaint()
    due = clock_due(complaint, ClockKind.REGULATOR_ACCEPTANCE)

    assert references(section(regulator, "due_this_week", now=due - timedelta(days=8))) == set()
    assert references(section(regulator, "due_this_week", now=due - timedelta(days=2))) == {complaint.reference}
    assert references(section(regulator, "due_this_week", now=due + timedelta(minutes=1))) == set()


# --- the office scope -------------------------------------------------------------------------------------


@pytest.fixture
def tree():
    return build_tree()


@pytest.mark.parametrize(
    ("reader", "sees"),
    [("national", True), ("province", True), ("city", True), ("a", True), ("b", False), ("cousin", False)],
)
def test_each_office_sees_the_escalations_of_its_jurisdiction_only(tree, reader, sees):
    complaint = escalated_complaint(platform=platform_in(tree.district_a))

    block = section(tree.regulator(reader), "escalated")

    assert (complaint.reference in references(block)) is sees
    assert block.count == int(sees)


def test_a_regulator_without_an_office_sees_nothing(tree):
    escalated_complaint(platform=platform_in(tree.district_a))
    officeless = RegulatorFactory(office=None)

    assert all(block.count == 0 and not block.rows for block in worklist_for(officeless))


def test_a_jurisdiction_dispute_shows_to_both_parties_and_not_to_a_bystander(tree):
    complaint = escalated_complaint(platform=platform_in(tree.district_a))
    jurisdiction_dispute_open(
        complaint_id=complaint.pk, by=tree.regulator("a"), other_office=tree.district_b, reason="住所地在滨江区"
    )

    assert references(section(tree.regulator("a"), "jurisdiction_disputes")) == {complaint.reference}
    assert references(section(tree.regulator("b"), "jurisdiction_disputes")) == {complaint.reference}
    assert references(section(tree.regulator("cousin"), "jurisdiction_disputes")) == set()


# --- the page ------------------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("regulation:worklist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


@pytest.mark.parametrize("role", ["consumer", "agent", "manager"])
def test_worklist_is_forbidden_to_everyone_but_regulators(client, request, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(reverse("regulation:worklist")).status_code == 403


def test_page_links_each_row_to_the_complaint_and_each_count_to_the_admin_list(client, regulator):
    complaint = escalated_complaint()
    client.force_login(regulator)

    html = client.get(reverse("regulation:worklist")).content.decode()

    assert reverse("admin:complaints_complaint_change", args=[complaint.pk]) in html
    assert reverse("admin:complaints_complaint_changelist") + "?worklist=awaiting_acceptance" in html
    assert reverse("admin:regulation_jurisdictiondispute_changelist") + "?designated_at__isempty=1" in html


def test_the_admin_list_a_count_links_to_holds_the_same_complaints(client, regulator):
    waiting = escalated_complaint()
    elsewhere = file_complaint()
    client.force_login(regulator)

    response = client.get(reverse("admin:complaints_complaint_changelist"), {"worklist": "awaiting_acceptance"})

    assert response.status_code == 200
    listed = {complaint.reference for complaint in response.context["cl"].result_list}
    assert listed == {waiting.reference}
    assert elsewhere.reference not in listed


def test_regulators_land_on_the_worklist_and_find_it_in_the_header(client, regulator):
    regulator.set_password("s3cret-pass-2026")
    regulator.save()

    response = client.post(reverse("portal:login"), {"username": regulator.username, "password": "s3cret-pass-2026"})
    page = client.get(response.url)

    assert response.url == reverse("regulation:worklist")
    assert f'href="{reverse("regulation:worklist")}"' in page.content.decode()
    assert 'aria-current="page"' in page.content.decode()


def queries_of_the_page(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("regulation:worklist")).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_the_complaints(client, regulator, settings, django_assert_max_num_queries):
    settings.PORTAL_WORKLIST_ROWS = 2
    client.force_login(regulator)
    long_ago = timezone.now() - timedelta(days=10)
    for _ in range(3):  # more than a section shows: its count is a query of its own
        escalated_complaint()
        file_complaint(now=long_ago, paid_at=long_ago - timedelta(hours=1))
    few = queries_of_the_page(client)

    for _ in range(4):
        escalated_complaint()
        file_complaint(now=long_ago, paid_at=long_ago - timedelta(hours=1))

    assert queries_of_the_page(client) == few
    with django_assert_max_num_queries(25):
        client.get(reverse("regulation:worklist"))


def test_page_in_english_names_the_sections(client, regulator):
    client.cookies["django_language"] = "en"
    client.force_login(regulator)

    html = client.get(reverse("regulation:worklist")).content.decode()

    for title in ("Awaiting the acceptance decision", "Mediation period ending", "Jurisdiction disputes"):
        assert title in html
