"""The regulators' admin: read-only complaints, actions through the services, calendar, users, penalties."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import services
from complaints.calendar import SHANGHAI, add_working_days
from complaints.models import CalendarException, Finding, Status
from portal.models import Role, StaffRole, User
from regulation.models import Penalty, PenaltyKind, PenaltyStatus
from regulation.penalties import penalty_issue
from tests.factories import PlatformFactory, StaffFactory, file_complaint

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:complaints_complaint_changelist")


def escalated_complaint(platform=None):
    complaint = file_complaint(platform=platform)
    services.complaint_respond(
        complaint_id=complaint.pk,
        by=StaffFactory(platform=complaint.platform),
        outcome="refunded",
        message="已退款。",
        refund_amount=Decimal("199.00"),
        refund_reference="RF1",
    )
    services.complaint_dispute(complaint_id=complaint.pk, by=complaint.consumer, reason="没有收到退款")
    services.complaint_escalate(complaint_id=complaint.pk, by=complaint.consumer, reason="平台不处理")
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def admin_client(client, regulator):
    client.force_login(regulator)
    return client


def run_action(client, action, complaints, **extra):
    selected = [complaint.pk for complaint in complaints]
    return client.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: selected, **extra})


# --- access ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        "complaints/complaint",
        "complaints/calendarexception",
        "portal/outboxmessage",
        "complaints/webhookdelivery",
        "platforms/platform",
        "platforms/operator",
        "regulation/penalty",
        "portal/user",
        "portal/accesslog",
    ],
)
def test_regulator_can_open_every_admin_list(admin_client, complaint, model):
    assert admin_client.get(reverse(f"admin:{model.replace('/', '_')}_changelist")).status_code == 200


@pytest.mark.parametrize("role", ["consumer", "agent", "manager"])
def test_non_regulators_cannot_enter_the_admin(client, request, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_regulator_sees_the_changelist_without_add_or_delete(admin_client, complaint):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert complaint.reference in response.content.decode()
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions and "close_with_finding" in actions
    assert not response.context["has_add_permission"]


def changelist_queries(client, count: int) -> int:
    for _ in range(count):
        file_complaint()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CHANGELIST).status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    few = changelist_queries(admin_client, 3)
    many = changelist_queries(admin_client, 17)
    assert few == many
    with django_assert_max_num_queries(few):
        admin_client.get(CHANGELIST)


def change_page_queries(client, complaint) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]))
    assert response.status_code == 200
    return len(queries)


def test_change_page_is_read_only_with_a_fixed_query_count(admin_client, regulator):
    small = escalated_complaint()
    large = escalated_complaint()
    for _ in range(5):
        services.complaint_add_note(complaint_id=large.pk, by=regulator, text="核查中")
    change_page_queries(admin_client, small)  # warms the process-wide content-type cache
    assert change_page_queries(admin_client, small) == change_page_queries(admin_client, large)
    page = admin_client.get(reverse("admin:complaints_complaint_change", args=[large.pk]))
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()


def test_platform_slug_filter(admin_client, platform, other_platform):
    own, foreign = file_complaint(platform=platform), file_complaint(platform=other_platform)
    page = admin_client.get(CHANGELIST, {"platform__slug": platform.slug}).content.decode()
    assert own.reference in page and foreign.reference not in page


def test_escalated_filter(admin_client):
    escalated, fresh = escalated_complaint(), file_complaint()
    page = admin_client.get(CHANGELIST, {"escalated": "yes"}).content.decode()
    assert escalated.reference in page and fresh.reference not in page


# --- actions ---------------------------------------------------------------------------------------------


def test_close_action_asks_for_a_finding_first(admin_client):
    complaint = escalated_complaint()
    response = run_action(admin_client, "close_with_finding", [complaint])
    assert response.status_code == 200 and "form" in response.context
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED


def test_close_action_closes_escalated_and_reports_illegal_ones(admin_client):
    escalated, awaiting = escalated_complaint(), file_complaint()
    response = run_action(
        admin_client, "close_with_finding", [escalated, awaiting], finding=Finding.UPHELD, note="经调查属实", apply="1"
    )
    assert response.status_code == 302
    escalated.refresh_from_db()
    assert (escalated.status, escalated.finding, escalated.finding_note) == (
        Status.CLOSED,
        Finding.UPHELD,
        "经调查属实",
    )
    shown = [str(m) for m in admin_client.get(CHANGELIST).context["messages"]]
    assert any(awaiting.reference in message for message in shown)
    assert any("1" in message and awaiting.reference not in message for message in shown)


def test_accept_action_accepts_pending_consent_to_mediation(admin_client):
    complaint = escalated_complaint()
    run_action(admin_client, "accept_for_mediation", [complaint])
    complaint.refresh_from_db()
    assert complaint.status == Status.ACCEPTED


def test_refuse_action_needs_a_ground_and_closes_refused(admin_client):
    complaint = escalated_complaint()
    without_ground = run_action(admin_client, "refuse", [complaint], apply="1", reason="不属于本部门管辖")
    assert without_ground.status_code == 200 and "ground" in without_ground.context["form"].errors
    run_action(admin_client, "refuse", [complaint], apply="1", ground="art16_1", reason="不属于本部门管辖")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.finding, complaint.finding_note) == (
        Status.CLOSED, Finding.REFUSED, "不属于本部门管辖"
    )


def test_open_penalty_redirects_to_issuance_with_the_ids(admin_client, platform):
    complaints = [file_complaint(platform=platform) for _ in range(2)]
    response = run_action(admin_client, "open_penalty", complaints)
    ids = ",".join(str(c.pk) for c in sorted(complaints, key=lambda c: c.pk))
    assert response["Location"] == f"{reverse('regulation:penalty-new')}?complaints={ids}"


def test_open_penalty_refuses_complaints_of_two_platforms(admin_client):
    response = run_action(admin_client, "open_penalty", [file_complaint(), file_complaint()])
    assert response.status_code == 302 and response["Location"] == CHANGELIST


def test_csv_export_lists_the_selected_complaints(admin_client, platform):
    complaints = [file_complaint(platform=platform) for _ in range(2)]
    response = run_action(admin_client, "export_csv", complaints)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 3
    assert {row[0] for row in rows[1:]} == {c.reference for c in complaints}
    assert rows[1][1] == platform.name and rows[1][4] == "199.00"


def exported_rows(admin_client, complaints) -> list[list[str]]:
    response = run_action(admin_client, "export_csv", complaints)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_csv_export_shows_a_formula_typed_as_order_number_as_text(admin_client):
    complaint = file_complaint(order_number='=HYPERLINK("http://x","y")')

    (_header, row) = exported_rows(admin_client, [complaint])

    assert row[6] == '\'=HYPERLINK("http://x","y")'


def test_csv_export_shows_a_formula_typed_as_unregistered_platform_name_as_text(admin_client):
    complaint = file_complaint(
        platform=False,
        unregistered_platform_name="@SUM(1+1)*cmd|' /C calc'!A0",
        unregistered_platform_url="https://kameng.example.cn",
    )

    (_header, row) = exported_rows(admin_client, [complaint])

    assert row[1] == "'@SUM(1+1)*cmd|' /C calc'!A0"


# --- calendar --------------------------------------------------------------------------------------------


@pytest.mark.dated
def test_adding_a_calendar_exception_changes_deadlines_computed_afterwards(
    admin_client, django_capture_on_commit_callbacks
):
    start = datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)  # Monday
    assert add_working_days(start, 1).due.date() == date(2026, 3, 10)  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:complaints_calendarexception_add"),
            {
                "date": "2026-03-10",
                "is_working_day": "",
                "note": "临时休假",
            },
        )
    assert response.status_code == 302
    assert add_working_days(start, 1).due.date() == date(2026, 3, 11)


@pytest.mark.dated
def test_deleting_a_calendar_exception_clears_the_cache(admin_client, django_capture_on_commit_callbacks):
    exception = CalendarException.objects.create(date=date(2026, 3, 10), is_working_day=False)
    start = datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)
    assert add_working_days(start, 1).due.date() == date(2026, 3, 11)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:complaints_calendarexception_delete", args=[exception.pk]), {"post": "yes"})
    assert add_working_days(start, 1).due.date() == date(2026, 3, 10)


# --- users -----------------------------------------------------------------------------------------------


def user_add(client, **fields):
    return client.post(
        reverse("admin:portal_user_add"),
        {
            "username": "newperson",
            "email": "new@example.cn",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
            "platform": "",
            "staff_role": "",
            **fields,
        },
    )


def test_regulator_creates_platform_staff_without_admin_access(admin_client, platform):
    response = user_add(admin_client, role=Role.PLATFORM_STAFF, platform=platform.pk, staff_role=StaffRole.AGENT)
    assert response.status_code == 302
    user = User.objects.get(username="newperson")
    assert (user.platform, user.is_staff) == (platform, False)


def test_regulator_creates_a_regulator_with_admin_access(admin_client):
    user_add(admin_client, role=Role.REGULATOR)
    user = User.objects.get(username="newperson")
    assert user.is_staff and user.groups.filter(name="regulators").exists()


def test_staff_without_platform_is_a_form_error_not_a_500(admin_client):
    response = user_add(admin_client, role=Role.PLATFORM_STAFF, staff_role=StaffRole.AGENT)
    assert response.status_code == 200
    assert "platform" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="newperson").exists()


def test_regulator_cannot_grant_superuser(admin_client, regulator, consumer):
    page = admin_client.get(reverse("admin:portal_user_change", args=[consumer.pk]))
    assert "is_superuser" not in page.context["adminform"].form.fields


# --- platforms and penalties -----------------------------------------------------------------------------


def test_verify_action_sets_verified_at(admin_client):
    platform = PlatformFactory(is_verified=False)
    admin_client.post(
        reverse("admin:platforms_platform_changelist"), {"action": "verify", ACTION_CHECKBOX_NAME: [platform.pk]}
    )
    platform.refresh_from_db()
    assert platform.is_verified and platform.verified_at is not None


def test_adding_a_penalty_in_the_admin_goes_to_the_issuance_page(admin_client):
    response = admin_client.get(reverse("admin:regulation_penalty_add"))
    assert response["Location"] == reverse("regulation:penalty-new")


def test_penalty_status_changes_through_the_service_and_refuses_illegal_moves(admin_client, regulator, platform):
    penalty = penalty_issue(
        by=regulator,
        platform=platform,
        kind=PenaltyKind.WARNING,
        legal_basis="第七十七条",
        facts="未交付。",
        decision="警告。",
    )
    url = reverse("admin:regulation_penalty_change", args=[penalty.pk])
    illegal = admin_client.post(url, {"status": PenaltyStatus.UPHELD, "status_note": ""})
    assert illegal.status_code == 200 and "status" in illegal.context["adminform"].form.errors
    admin_client.post(url, {"status": PenaltyStatus.APPEALED, "status_note": "已申请复议"})
    penalty = Penalty.objects.get()
    assert (penalty.status, penalty.status_note) == (PenaltyStatus.APPEALED, "已申请复议")
