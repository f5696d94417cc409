"""Joint complaints under races (PostgreSQL, one connection per thread): one joint answer wins, two members
consenting at once are both recorded, the last consent and the conclusion never cross."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from complaints import joint as joint_services
from complaints.events import verify_chain
from complaints.models import Complaint, MemberConsent, ProposalKind, Response
from portal.errors import Conflict
from tests.factories import StaffFactory

from .joint_helpers import three_members

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(jobs: list[Callable[[], object]]) -> tuple[list, list[BaseException]]:
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
        thread.join(timeout=120)
    return results, errors


def test_two_joint_answers_at_once_give_one_answer_per_member(platform):
    case = three_members(platform)
    agents = [StaffFactory(platform=platform), StaffFactory(platform=platform)]

    def answer(agent):
        return lambda: joint_services.joint_answer(
            by=agent, joint_id=case.joint.pk, outcome="compensated", message="补偿", compensation="10元"
        )

    results, errors = run_at_once([answer(agent) for agent in agents])

    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert Response.objects.filter(complaint__in=case.complaints).count() == 3
    for complaint in Complaint.objects.filter(pk__in=[c.pk for c in case.complaints]):
        assert verify_chain(complaint) is None


def test_members_consenting_at_once_are_all_recorded(platform):
    case = three_members(platform)
    proposal = joint_services.joint_propose(
        by=case.consumers[0], joint_id=case.joint.pk, kind=ProposalKind.SETTLEMENT, text="平台退还每人全部货款。"
    )

    def consent(consumer):
        return lambda: joint_services.joint_consent(by=consumer, proposal_id=proposal.pk, consents=True)

    _results, errors = run_at_once([consent(consumer) for consumer in case.consumers])

    assert errors == []
    assert MemberConsent.objects.filter(proposal=proposal, consents=True).count() == 3
    joint_services.joint_proposal_adopt(by=case.consumers[0], proposal_id=proposal.pk)
    for complaint in Complaint.objects.filter(pk__in=[c.pk for c in case.complaints]):
        assert verify_chain(complaint) is None
