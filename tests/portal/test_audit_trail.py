"""The audit trail of acts: every act leaves one chained entry, the chain verifies, and nothing rewrites it."""

import threading
from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from complaints.calendar import calendar_exception_save, calendar_exceptions_delete
from complaints.models import CalendarException
from platforms.registry import platform_save, platforms_verify
from platforms.services import (
    api_key_create,
    api_key_revoke,
    staff_deactivate,
    staff_invite,
    webhook_deactivate,
    webhook_register,
)
from portal.audit import (
    AUDIT_FORMAT_VERSION,
    canonical_entry,
    chain_hash,
    record_act,
    verify_audit_trail,
)
from portal.models import ActorKind, AuditAction, AuditChainHead, AuditEntry, ImmutableRecord
from regulation.models import PenaltyKind, PenaltyStatus
from regulation.penalties import penalty_issue, penalty_set_status
from tests.factories import PlatformFactory, RegulatorFactory, StaffFactory

pytestmark = pytest.mark.django_db


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


def assert_chain_intact() -> None:
    _count, chain_break = verify_audit_trail()
    assert chain_break is None


def tamper(sql: str, params: list) -> None:
    """Change a stored entry behind the model's back, as someone with database access could."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- the canonical form ------------------------------------------------------------------------------------


def test_canonical_form_matches_the_documented_vector():
    # The same vector is printed in docs/audit-trail.md: a reader can check an implementation against it.
    canonical = canonical_entry(
        sequence=1,
        at=datetime(2026, 4, 15, 1, 2, 3, 456789, tzinfo=UTC),
        actor="regulator:wang",
        actor_kind="regulator",
        action="penalty_status_changed",
        object_type="regulation.penalty",
        object_id="7",
        object_repr="〔2026〕第0007号",
        data={"before": {"status": "issued", "note": ""}, "after": {"status": "appealed", "note": "申请复议"}},
    )
    assert AUDIT_FORMAT_VERSION == 1
    assert canonical == (
        '{"action":"penalty_status_changed","actor":"regulator:wang","actor_kind":"regulator",'
        '"at":"2026-04-15T01:02:03.456789+00:00","data":{"after":{"note":"申请复议","status":"appealed"},'
        '"before":{"note":"","status":"issued"}},"object":{"id":"7","repr":"〔2026〕第0007号",'
        '"type":"regulation.penalty"},"sequence":1,"version":1}'
    )
    assert chain_hash("", canonical) == DOCUMENTED_VECTOR_HASH


DOCUMENTED_VECTOR_HASH = "d83e379ab8c36313f15455c43a0e7da06a90f330833f99df01bdf7973b03f8ad"


# --- the acts ----------------------------------------------------------------------------------------------


def test_revoking_an_api_key_leaves_a_chained_entry(manager):
    api_key, _raw = api_key_create(by=manager, name="ERP")
    api_key_revoke(by=manager, key_id=api_key.pk)
    api_key_revoke(by=manager, key_id=api_key.pk)  # already revoked: nothing happened, nothing recorded

    created, revoked = entries(AuditAction.API_KEY_CREATED), entries(AuditAction.API_KEY_REVOKED)
    assert len(created) == 1 and len(revoked) == 1
    assert revoked[0].prev_hash == created[0].hash
    assert revoked[0].actor_label == f"platform:{manager.platform_id}:{manager.username}"
    assert revoked[0].actor_kind == ActorKind.PLATFORM_STAFF
    assert revoked[0].object_type == "platforms.apikey" and revoked[0].object_id == str(api_key.pk)
    assert revoked[0].data["prefix"] == api_key.prefix
    assert_chain_intact()


def test_deactivating_a_staff_member_leaves_a_chained_entry(manager, agent):
    staff_deactivate(by=manager, user_id=agent.pk)
    (entry,) = entries(AuditAction.STAFF_DEACTIVATED)
    assert entry.object_id == str(agent.pk)
    assert entry.data["is_active"] == {"before": True, "after": False}
    assert_chain_intact()


def test_inviting_staff_is_recorded_without_the_invitation_link(manager):
    member = staff_invite(by=manager, username="li.si", email="li.si@example.com", staff_role="agent")
    (entry,) = entries(AuditAction.STAFF_INVITED)
    assert entry.object_id == str(member.pk)
    assert entry.data == {"platform": manager.platform_id, "username": "li.si", "staff_role": "agent"}


def test_webhook_changes_are_recorded_without_the_secret(manager):
    endpoint = webhook_register(by=manager, url="https://erp.example.com/hook", events=["complaint.created"])
    webhook_deactivate(by=manager, webhook_id=endpoint.pk)
    registered, deactivated = entries(AuditAction.WEBHOOK_REGISTERED), entries(AuditAction.WEBHOOK_DEACTIVATED)
    assert registered[0].data["url"] == "https://erp.example.com/hook"
    assert endpoint.secret not in str(registered[0].data)
    assert deactivated[0].data["is_active"] == {"before": True, "after": False}


def test_a_failed_act_leaves_no_entry(manager):
    with pytest.raises(ValidationError):
        webhook_register(by=manager, url="http://10.0.0.1/hook", events=["complaint.created"])
    assert not AuditEntry.objects.exists()


def test_changing_a_penalty_status_twice_keeps_both_notes(regulator, platform):
    penalty = penalty_issue(
        by=regulator,
        platform=platform,
        kind=PenaltyKind.WARNING,
        legal_basis="第七十七条",
        facts="未交付。",
        decision="警告。",
    )
    penalty_set_status(by=regulator, penalty_id=penalty.pk, status=PenaltyStatus.APPEALED, note="当事人申请复议")
    penalty_set_status(by=regulator, penalty_id=penalty.pk, status=PenaltyStatus.UPHELD, note="复议维持")

    first, second = entries(AuditAction.PENALTY_STATUS_CHANGED)
    assert first.data["before"] == {"status": "issued", "note": ""}
    assert first.data["after"] == {"status": "appealed", "note": "当事人申请复议"}
    assert second.data["before"] == {"status": "appealed", "note": "当事人申请复议"}
    assert second.data["after"] == {"status": "upheld", "note": "复议维持"}
    assert second.prev_hash == first.hash
    assert entries(AuditAction.PENALTY_ISSUED)[0].object_repr == penalty.number
    assert_chain_intact()


def test_platform_verification_and_licence_edits_keep_before_and_after(regulator):
    platform = PlatformFactory(icp_filing_number="京ICP备00000001号", is_verified=False)
    platforms_verify(by=regulator, platform_ids=[platform.pk])
    platforms_verify(by=regulator, platform_ids=[platform.pk])  # already verified: no second entry
    platform.icp_filing_number = "京ICP备00000002号"
    platform_save(by=regulator, platform=platform)

    assert len(entries(AuditAction.PLATFORM_VERIFIED)) == 1
    (edit,) = entries(AuditAction.PLATFORM_CHANGED)
    assert edit.data["changes"] == {"icp_filing_number": {"before": "京ICP备00000001号", "after": "京ICP备00000002号"}}


def test_calendar_exceptions_are_recorded_when_saved_and_deleted(regulator):
    exception = CalendarException(date=date(2026, 10, 9), is_working_day=False, note="台风停工")
    calendar_exception_save(by=regulator, exception=exception)
    exception.note = "台风停工（延长）"
    calendar_exception_save(by=regulator, exception=exception)
    calendar_exceptions_delete(by=regulator, exceptions=[exception])

    created, edited = entries(AuditAction.CALENDAR_EXCEPTION_SAVED)
    assert created.data["is_working_day"] == {"before": None, "after": False}
    assert edited.data == {"note": {"before": "台风停工", "after": "台风停工（延长）"}}
    (deleted,) = entries(AuditAction.CALENDAR_EXCEPTION_DELETED)
    assert deleted.data["date"] == {"before": "2026-10-09", "after": None}
    assert not CalendarException.objects.exists()


def test_a_regulator_signing_in_is_recorded_and_a_consumer_is_not(client, regulator, consumer):
    client.force_login(consumer)
    client.force_login(regulator)
    (entry,) = entries(AuditAction.REGULATOR_LOGIN)
    assert entry.actor_id == regulator.pk and entry.actor_kind == ActorKind.REGULATOR


def test_the_admin_shows_the_trail_read_only_with_filters(client, regulator, manager):
    api_key, _raw = api_key_create(by=manager, name="ERP")
    api_key_revoke(by=manager, key_id=api_key.pk)
    staff_deactivate(by=manager, user_id=StaffFactory(platform=manager.platform).pk)
    client.force_login(regulator)
    url = reverse("admin:portal_auditentry_changelist")

    page = client.get(url, {"action__exact": AuditAction.API_KEY_REVOKED})
    assert page.status_code == 200
    assert f"platform:{manager.platform_id}:{manager.username}" in page.text
    assert [entry.action for entry in page.context["cl"].result_list] == [AuditAction.API_KEY_REVOKED]
    for query, count in (
        ({"actor_kind__exact": "platform_staff"}, 3),
        ({"object_type__exact": "portal.user"}, 2),  # the deactivation and the regulator signing in
        ({"actor": f"platform:{manager.platform_id}:{manager.username}"}, 3),
        ({"at__year": str(AuditEntry.objects.first().at.year)}, 4),
    ):
        filtered = client.get(url, query)
        assert filtered.status_code == 200 and len(filtered.context["cl"].result_list) == count, query
    admin_class = site._registry[AuditEntry]
    request = page.wsgi_request
    assert not admin_class.has_change_permission(request) and not admin_class.has_delete_permission(request)
    assert not admin_class.has_add_permission(request)


def test_the_admin_edit_of_an_account_is_recorded_without_the_password(client):
    superuser = RegulatorFactory(is_superuser=True, is_staff=True)
    member = StaffFactory()
    client.force_login(superuser)
    url = reverse("admin:portal_user_change", args=[member.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update({"first_name": "新名", "groups": [], "user_permissions": [], "platform": member.platform_id})
    response = client.post(url, {key: value for key, value in data.items() if key not in {"last_login", "date_joined"}})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    (entry,) = entries(AuditAction.USER_CHANGED)
    assert entry.data["changes"]["first_name"]["after"] == "新名"
    assert "password" not in str(entry.data)


# --- immutability and verification -------------------------------------------------------------------------


def test_entries_refuse_to_be_changed_or_deleted(manager):
    api_key_create(by=manager, name="ERP")
    entry = AuditEntry.objects.get()
    entry.object_repr = "something else"
    with pytest.raises(ImmutableRecord):
        entry.save()
    with pytest.raises(ImmutableRecord):
        entry.delete()
    with pytest.raises(ImmutableRecord):
        AuditEntry.objects.update(object_repr="x")
    with pytest.raises(ImmutableRecord):
        AuditEntry.objects.all().delete()


def run_verify() -> str:
    out = StringIO()
    call_command("verify_audit_chain", "--acts-only", stdout=out)
    return out.getvalue()


def three_acts(manager) -> list[AuditEntry]:
    for name in ("ERP", "CRM", "BI"):
        api_key_create(by=manager, name=name)
    return list(AuditEntry.objects.order_by("sequence"))


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the trigger refuses the tampering itself")
def test_verify_audit_chain_names_the_first_altered_entry(manager):
    three_acts(manager)
    assert "OK: 3 audit entries verified" in run_verify()
    tamper("UPDATE portal_auditentry SET data = %s WHERE sequence = 2", ['{"name": "forged"}'])
    out = StringIO()
    with pytest.raises(CommandError, match="entry #2"):
        call_command("verify_audit_chain", "--acts-only", stdout=out)
    assert "BROKEN audit trail at entry #2: content altered" in out.getvalue()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the trigger refuses the tampering itself")
def test_a_removed_entry_is_found(manager):
    three_acts(manager)
    tamper("DELETE FROM portal_auditentry WHERE sequence = %s", [2])
    _count, chain_break = verify_audit_trail()
    assert (chain_break.sequence, chain_break.reason) == (2, "entry missing")


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the trigger refuses the tampering itself")
def test_a_removed_last_entry_is_found_by_the_head(manager):
    three_acts(manager)
    tamper("DELETE FROM portal_auditentry WHERE sequence = %s", [3])
    _count, chain_break = verify_audit_trail()
    assert (chain_break.sequence, chain_break.reason) == (3, "chain head does not match the last entry")


@pytest.mark.postgres
def test_postgresql_refuses_to_update_or_delete_an_entry(manager):
    from django.db import DatabaseError, transaction

    three_acts(manager)
    for sql in (
        "UPDATE portal_auditentry SET object_repr = 'x' WHERE sequence = 2",
        "DELETE FROM portal_auditentry WHERE sequence = 2",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            tamper(sql, [])
    assert_chain_intact()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_acts_never_fork_the_chain():
    platform = PlatformFactory()
    managers = [StaffFactory(platform=platform, staff_role="manager") for _ in range(4)]
    barrier = threading.Barrier(len(managers))
    errors = []

    def act(manager):
        try:
            barrier.wait(timeout=10)
            for index in range(5):
                api_key_create(by=manager, name=f"key {index}")
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(manager,)) for manager in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    count, chain_break = verify_audit_trail()
    assert (count, chain_break) == (20, None)
    assert AuditChainHead.objects.get().sequence == 20


def test_record_act_by_the_system_has_no_actor(platform):
    entry = record_act(by=None, action=AuditAction.PLATFORM_CHANGED, obj=platform, data={"x": 1})
    assert (entry.actor_label, entry.actor_kind, entry.actor_id) == ("system", ActorKind.SYSTEM, None)


# --- anchoring ---------------------------------------------------------------------------------------------


def test_the_audit_head_is_anchored_like_the_complaints_chains(tsa_settings, manager):
    from portal.anchoring import anchor_pending_heads, latest_anchor_leaf
    from portal.audit import AuditTrailHeads

    first, _second, _third = three_acts(manager)
    source = AuditTrailHeads()
    assert source.backlog() == (1, first.at)
    anchor = anchor_pending_heads()
    leaf = latest_anchor_leaf(source="audit", chain="acts")
    head = AuditChainHead.objects.get()
    assert (leaf.anchor_id, leaf.sequence, leaf.head) == (anchor.pk, 3, head.hash)
    assert source.backlog() == (0, None) and source.pending_heads(10) == []
    api_key_create(by=manager, name="later")
    assert source.pending_heads(10)[0].sequence == 4
