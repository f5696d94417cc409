"""Races and faults lose nothing: each race has exactly one winner, the losers get 409, every hash chain stays
intact; concurrent filings and penalty decisions get gap-free numbers; one Idempotency-Key files one complaint.

Real concurrency: each request runs in its own thread with its own PostgreSQL connection, released together
by a barrier. (Two sweeps at once: tests/complaints/test_sweep.py::
test_two_sweeps_at_once_handle_each_breach_exactly_once.)
"""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from complaints.events import verify_chain
from complaints.models import Complaint, Event, Evidence
from complaints.services import complaint_dispute, complaint_file, complaint_respond
from complaints.sweep import deadlines_sweep
from portal.roles import make_regulator
from regulation.models import Penalty
from tests.factories import (
    ConsumerFactory,
    PlatformFactory,
    RegulatorFactory,
    StaffFactory,
    add_evidence,
    api_filing,
    complaint_data,
    file_complaint,
    image_upload,
)
from tests.fixtures_roles import client_for

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
            complaint_id=complaint.pk,
            by=agent,
            outcome="compensated",
            message="已补偿",
            compensation="补发并赠送10元",
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

    # Every refusal is an answer that lost: to the other answer on complaint 0, or to a sweep that escalated the
    # complaint first (the sweep runs 30 days later). One refusal per answer job that left no answer behind.
    answers_written = [complaint.responses.count() for complaint in open_complaints[:3]]
    assert all(count <= 1 for count in answers_written)
    assert [type(error).__name__ for error in errors] == ["IllegalTransition"] * (4 - sum(answers_written)), errors
    if answers_written[0] == 0:  # neither answer won: the sweep got there first
        assert open_complaints[0].events.filter(kind="escalated").exists()
    call_command("verify_audit_chain", "--check-files")
    assert Complaint.objects.count() == 12
    for complaint in open_complaints:
        assert complaint.evidence.count() == 2
    assert Evidence.objects.count() == 12
    sequences = Event.objects.values_list("complaint_id", "sequence")
    assert len(sequences) == len(set(sequences))


# --- one winner per race, through the API -------------------------------------------------------------------


def post_at_once(requests: list[tuple[object, str, dict]], **headers) -> list:
    """POST every (user, url, body) in its own thread at the same moment; the responses."""
    responses, errors = run_at_once(
        [lambda user=user, url=url, body=body: client_for(user).post(url, body, format="json", **headers)
         for user, url, body in requests]
    )  # fmt: skip
    assert errors == []
    return responses


def assert_chain_intact(complaint: Complaint) -> None:
    complaint.refresh_from_db()
    assert verify_chain(complaint) is None


def answered_complaint():
    platform = PlatformFactory()
    agent = StaffFactory(platform=platform)
    complaint = file_complaint(platform=platform)
    complaint_respond(complaint_id=complaint.pk, by=agent, outcome="refunded", message="已全额退款",
                      refund_amount="88.00", refund_reference="RF-1")  # fmt: skip
    return complaint


def answer_body() -> dict:
    return {"outcome": "refunded", "message": "已全额退款", "refund_amount": "88.00", "refund_reference": "RF-2"}


def test_two_agents_answering_at_once_one_wins_the_other_gets_409_and_the_chain_holds():
    platform = PlatformFactory()
    complaint = file_complaint(platform=platform)
    url = reverse("complaints_api:complaint-respond", args=[complaint.pk])

    responses = post_at_once([(StaffFactory(platform=platform), url, answer_body()) for _ in range(2)])

    assert sorted(response.status_code for response in responses) == [201, 409]
    assert complaint.responses.count() == 1
    assert complaint.events.filter(kind="answered").count() == 1
    assert_chain_intact(complaint)


@pytest.mark.parametrize(("action", "body", "prepare", "event"), [
    ("accept", {"rating": 5}, lambda complaint: None, "accepted"),
    ("escalate", {"reason": "平台拖延，请监管介入"},
     lambda complaint: complaint_dispute(complaint_id=complaint.pk, by=complaint.consumer, reason="退款金额不对"),
     "escalated"),
])  # fmt: skip
def test_the_same_consumer_action_sent_twice_at_once_wins_once_and_the_other_gets_409(action, body, prepare, event):
    complaint = answered_complaint()
    prepare(complaint)
    url = reverse(f"complaints_api:complaint-{action}", args=[complaint.pk])

    responses = post_at_once([(complaint.consumer, url, body) for _ in range(2)])

    assert sorted(response.status_code for response in responses) == [200, 409]
    assert complaint.events.filter(kind=event).count() == 1
    assert_chain_intact(complaint)


def test_penalties_issued_at_once_get_gap_free_numbers():
    platform = PlatformFactory()
    regulators = [RegulatorFactory() for _ in range(8)]
    for regulator in regulators:
        make_regulator(regulator)
    body = {"platform": platform.slug, "kind": "warning", "legal_basis": "《电子商务法》第七十七条",
            "facts": "逾期未发货", "decision": "警告"}  # fmt: skip

    responses = post_at_once([(regulator, reverse("regulation_api:penalty-list"), body) for regulator in regulators])

    assert [response.status_code for response in responses] == [201] * 8
    numbers = sorted(int("".join(filter(str.isdigit, number.split("〕")[-1]))) for number in
                     Penalty.objects.values_list("number", flat=True))  # fmt: skip
    assert numbers == list(range(numbers[0], numbers[0] + 8))


def test_one_idempotency_key_sent_five_times_at_once_files_one_complaint():
    platform, consumer = PlatformFactory(), ConsumerFactory()
    body = api_filing(platform)
    url = reverse("complaints_api:complaint-list")

    responses = post_at_once([(consumer, url, body) for _ in range(5)], HTTP_IDEMPOTENCY_KEY="km-same-key")

    assert sorted(response.status_code for response in responses) == [200, 200, 200, 200, 201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert Complaint.objects.count() == 1
    assert_chain_intact(Complaint.objects.get())
