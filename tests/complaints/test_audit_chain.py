"""The tamper-evident timeline: verify_chain and ``verify_audit_chain`` find the first broken link."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line
from django.db import connection

from complaints.events import verify_chain
from complaints.management.commands import verify_audit_chain
from complaints.models import Complaint, Event, Evidence
from tests.factories import add_evidence, file_complaint, image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def chained(complaint, consumer) -> Complaint:
    """A complaint with four events: filed, forwarded and two evidence_added (one per screenshot)."""
    add_evidence(complaint, consumer, image_upload("订单.png"))
    add_evidence(complaint, consumer, image_upload("支付凭证.png", color="navy"))
    complaint.refresh_from_db()
    assert complaint.event_count == 4
    return complaint


def event(complaint: Complaint, sequence: int) -> Event:
    return complaint.events.get(sequence=sequence)


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue()


def run_manage_py(*args: str) -> int:
    """Run the command as ``manage.py`` does and return its exit code."""
    try:
        execute_from_command_line(["manage.py", "verify_audit_chain", *args])
    except SystemExit as exit_:
        return exit_.code
    return 0


def test_untouched_chain_verifies(chained):
    assert verify_chain(chained) is None


def test_altered_event_data_breaks_the_chain_at_that_event(chained):
    Event.objects.filter(pk=event(chained, 2).pk).update(data={"platform": "someone-else"})
    chain_break = verify_chain(chained)
    assert (chain_break.sequence, chain_break.reason) == (2, "content altered")


def test_altered_event_time_breaks_the_chain_at_that_event(chained):
    tampered = event(chained, 3)
    Event.objects.filter(pk=tampered.pk).update(created_at=tampered.created_at - timedelta(days=2))
    chain_break = verify_chain(chained)
    assert (chain_break.sequence, chain_break.reason) == (3, "content altered")


def test_deleted_event_is_reported_missing(chained):
    with connection.cursor() as cursor:
        # Event.delete() refuses by design; an attacker with database access would not ask it.
        cursor.execute("DELETE FROM complaints_event WHERE id = %s", [event(chained, 2).pk])
    chain_break = verify_chain(chained)
    assert (chain_break.sequence, chain_break.reason) == (2, "event missing")


def test_swapped_events_break_the_chain_at_the_first_swapped_position(chained):
    second, third = event(chained, 2), event(chained, 3)
    Event.objects.filter(pk=second.pk).update(sequence=99)
    Event.objects.filter(pk=third.pk).update(sequence=2)
    Event.objects.filter(pk=second.pk).update(sequence=3)
    chain_break = verify_chain(chained)
    assert (chain_break.sequence, chain_break.reason) == (2, "prev_hash does not match")


def test_altered_evidence_hash_is_detected(chained):
    evidence = chained.evidence.first()
    Evidence.objects.filter(pk=evidence.pk).update(sha256="0" * 64)
    chain_break = verify_chain(chained)
    assert chain_break.reason == f"evidence {evidence.pk} hash altered"


def test_saving_an_existing_event_raises(chained):
    stored = event(chained, 1)
    stored.data = {"rewritten": True}
    with pytest.raises(RuntimeError, match="immutable"):
        stored.save()


def test_deleting_an_event_raises(chained):
    with pytest.raises(RuntimeError, match="immutable"):
        event(chained, 1).delete()
    assert chained.events.count() == 4


def test_command_reports_ok_and_exits_zero_on_clean_data(chained, capsys):
    file_complaint()
    assert run_manage_py("--check-files") == 0
    assert "OK: 2 complaints, 6 events verified" in capsys.readouterr().out


def test_command_names_reference_and_event_of_a_broken_chain_and_exits_non_zero(chained, capsys):
    intact = file_complaint()
    Event.objects.filter(pk=event(chained, 3).pk).update(data={"sha256": "forged"})
    assert run_manage_py() == 1
    captured = capsys.readouterr()
    assert f"BROKEN {chained.reference} at event #3: content altered" in captured.out
    assert intact.reference not in captured.out
    assert "1 of 2 complaints failed verification" in captured.err


def test_command_reports_an_altered_evidence_hash(chained):
    evidence = chained.evidence.first()
    Evidence.objects.filter(pk=evidence.pk).update(sha256="f" * 64)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", stdout=out)
    assert f"BROKEN {chained.reference}: evidence {evidence.pk} hash altered" in out.getvalue()


def test_command_without_check_files_does_not_read_evidence_bytes(chained):
    with chained.evidence.first().file.open("wb") as stored:
        stored.write(b"forged")
    assert "OK: 1 complaints, 4 events verified" in run_command()


def test_command_with_check_files_reports_altered_evidence_bytes(chained):
    evidence = chained.evidence.first()
    with evidence.file.open("wb") as stored:
        stored.write(b"forged")
    assert verify_chain(chained) is None  # the database alone cannot see it
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", "--check-files", stdout=out)
    assert f"BROKEN {chained.reference}: evidence {evidence.pk} file bytes altered" in out.getvalue()


def test_command_checks_only_the_named_complaint(chained):
    other = file_complaint()
    Event.objects.filter(pk=event(chained, 2).pk).update(data={})
    assert "OK: 1 complaints, 2 events verified" in run_command("--complaint", other.reference)


def test_command_refuses_an_unknown_reference(db):
    with pytest.raises(CommandError, match="No complaint with reference KM-1999-000001"):
        call_command("verify_audit_chain", "--complaint", "KM-1999-000001")


def test_command_verifies_every_complaint_across_batches(chained, monkeypatch):
    monkeypatch.setattr(verify_audit_chain, "BATCH_SIZE", 2)
    for _ in range(4):
        file_complaint()
    assert "OK: 5 complaints, 12 events verified" in run_command()
