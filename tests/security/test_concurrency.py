"""Races and faults lose nothing: concurrent filings get gap-free references, and a burst of mixed work leaves
every hash chain intact.

Already covered elsewhere: two agents answering at once (tests/complaints/test_api_platform.py::
test_two_agents_answering_at_once_one_wins_and_the_other_gets_409), two sweeps at once (tests/complaints/
test_sweep.py::test_two_sweeps_at_once_handle_each_breach_exactly_once), two penalty numbers at once
(tests/platforms/test_penalties.py), one Idempotency-Key sent twice at once (tests/complaints/
test_api_consumer.py::test_same_idempotency_key_sent_twice_at_once_files_one_complaint).
"""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from complaints.models import Complaint, Event, Evidence
from complaints.services import complaint_file, complaint_respond
from complaints.sweep import deadlines_sweep
from tests.factories import (
    ConsumerFactory,
    PlatformFactory,
    StaffFactory,
    add_evidence,
    complaint_data,
    file_complaint,
    image_upload,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.dated]

THREAD_TIMEOUT = 120


def run_at_once(jobs: list[Callable[[], object]]) -> tuple[list, list[BaseException]]:
    """Start every job in its own thread (own connection) at the same moment; return results and errors."""
    barrier = threading.Barrier(len(jobs))
    results, errors, lock = [], [], threading.Lock()

    def run(job):
        try:
            barrier.wait(timeout=30)
            result = job()
            with lock:
                results.append(result)
        except BaseException as error:  # collected and asserted on by the caller
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=[job]) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors


def reference_number(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])


def test_twenty_consumers_filing_at_once_get_consecutive_references():
    platform = PlatformFactory()
    consumers = [ConsumerFactory() for _ in range(20)]

    def filing_by(consumer):
        return lambda: complaint_file(consumer=consumer, data=complaint_data(platform))[0].reference

    references, errors = run_at_once([filing_by(consumer) for consumer in consumers])

    assert errors == []
    numbers = sorted(reference_number(reference) for reference in references)
    assert numbers == list(range(numbers[0], numbers[0] + 20))
    assert Complaint.objects.count() == 20


def test_burst_of_mixed_work_leaves_every_hash_chain_and_file_intact(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    platform = PlatformFactory()
    agents = [StaffFactory(platform=platform) for _ in range(3)]
    open_complaints = [file_complaint(platform=platform) for _ in range(6)]
    later = timezone.now() + timedelta(days=30)

    def filing():
        return complaint_file(consumer=ConsumerFactory(), data=complaint_data(platform))

    def answer(complaint, agent):
        return lambda: complaint_respond(
            complaint_id=complaint.pk, by=agent, outcome="compensated", message="已补偿", compensation="补发并赠送10元",
        )

    def evidence(complaint):
        return lambda: add_evidence(complaint, complaint.consumer, image_upload(), image_upload("第二张.png"))

    jobs = [filing for _ in range(6)]
    jobs += [answer(complaint, agents[index % 3]) for index, complaint in enumerate(open_complaints[:3])]
    # Two agents racing on the same complaint: one answer wins, the other is refused, nothing is half-written.
    jobs += [answer(open_complaints[0], agents[1])]
    jobs += [evidence(complaint) for complaint in open_complaints]
    jobs += [lambda: deadlines_sweep(now=later), lambda: deadlines_sweep(now=later)]

    _results, errors = run_at_once(jobs)

    assert all(type(error).__name__ in {"IllegalTransition"} for error in errors), errors
    call_command("verify_audit_chain", "--check-files")
    assert Complaint.objects.count() == 12
    for complaint in open_complaints:
        assert complaint.evidence.count() == 2
    assert Evidence.objects.count() == 12
    sequences = Event.objects.values_list("complaint_id", "sequence")
    assert len(sequences) == len(set(sequences))
