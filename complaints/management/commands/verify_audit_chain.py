"""Recompute every complaint's hash chain (and optionally every evidence file's SHA-256) and the portal's audit trail
of acts, and report the first break of each."""

import hashlib

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Prefetch

from complaints.events import ChainBreak, verify_chain
from complaints.models import Complaint, Event, Evidence
from complaints.selectors import unscoped_complaints_for_system
from portal.audit import verify_audit_trail

BATCH_SIZE = 200
READ_CHUNK_BYTES = 1024 * 1024


def describe_break(chain_break: ChainBreak) -> str:
    # verify_chain numbers evidence mismatches 0: they belong to no single event.
    if chain_break.sequence == 0:
        return f"BROKEN {chain_break.reference}: {chain_break.reason}"
    return f"BROKEN {chain_break.reference} at event #{chain_break.sequence}: {chain_break.reason}"


def file_problem(evidence: Evidence) -> str | None:
    """Why the stored bytes of ``evidence`` no longer match its recorded SHA-256, or None when they do."""
    digest = hashlib.sha256()
    try:
        with evidence.file.open("rb") as stored:
            for chunk in stored.chunks(READ_CHUNK_BYTES):
                digest.update(chunk)
    except (OSError, ValueError):
        return f"evidence {evidence.pk} file missing"
    if digest.hexdigest() != evidence.sha256:
        return f"evidence {evidence.pk} file bytes altered"
    return None


class Command(BaseCommand):
    help = (
        "Verify the tamper-evident timeline of every complaint and the audit trail of acts; exits non-zero if "
        "any chain is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--complaint", metavar="REF", help="Only this complaint (its reference).")
        parser.add_argument(
            "--acts-only", action="store_true", help="Only the audit trail of acts, not the complaints' timelines."
        )
        parser.add_argument(
            "--check-files", action="store_true",
            help="Also re-hash every evidence file from storage and compare with its recorded SHA-256.",
        )

    def handle(self, *args, complaint=None, check_files=False, acts_only=False, **options):
        failures = []
        if not acts_only:
            failure = self.verify_complaints(complaint, check_files=check_files)
            if failure:
                failures.append(failure)
        if complaint is None:
            entry_count, audit_break = verify_audit_trail()
            if audit_break is None:
                self.stdout.write(self.style.SUCCESS(f"OK: {entry_count} audit entries verified"))
            else:
                self.stdout.write(str(audit_break))
                failures.append(f"the audit trail failed verification at entry #{audit_break.sequence}")
        if failures:
            raise CommandError("; ".join(failures) + ".")

    def verify_complaints(self, complaint: str | None, *, check_files: bool) -> str | None:
        """Check the complaints' chains, printing each problem; what failed, or None when all are intact."""
        complaints = unscoped_complaints_for_system().order_by("pk").prefetch_related(
            Prefetch("events", queryset=Event.objects.order_by("sequence"))
        )
        if check_files:
            complaints = complaints.prefetch_related("evidence")
        if complaint is not None:
            complaints = complaints.filter(reference=complaint)
            if not complaints.exists():
                raise CommandError(f"No complaint with reference {complaint}.")

        complaint_count = event_count = broken_count = 0
        # iterator() with prefetch_related loads events one batch of complaints at a time: constant memory.
        for checked in complaints.iterator(chunk_size=BATCH_SIZE):
            problems = self.problems_of(checked, check_files=check_files)
            complaint_count += 1
            event_count += len(checked.events.all())
            if problems:
                broken_count += 1
                for problem in problems:
                    self.stdout.write(problem)
        if broken_count:
            return (
                f"{broken_count} of {complaint_count} complaints failed verification ({event_count} events checked)"
            )
        self.stdout.write(self.style.SUCCESS(f"OK: {complaint_count} complaints, {event_count} events verified"))
        return None

    def problems_of(self, complaint: Complaint, *, check_files: bool) -> list[str]:
        problems = []
        chain_break = verify_chain(complaint, complaint.events.all())
        if chain_break is not None:
            problems.append(describe_break(chain_break))
        if check_files:
            problems.extend(
                f"BROKEN {complaint.reference}: {problem}"
                for problem in map(file_problem, complaint.evidence.all())
                if problem is not None
            )
        return problems
