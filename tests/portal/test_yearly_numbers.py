"""Numbers counted per year (complaint references KM-YYYY-NNNNNN, penalty numbers prefix〔YYYY〕N号) take the year
in Asia/Shanghai: eight hours after UTC's, so the first minutes of a Chinese year are still the old one in UTC."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from portal.models import NumberSequence
from regulation.models import PenaltyKind
from regulation.penalties import penalty_issue
from tests.factories import file_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

SHANGHAI = ZoneInfo("Asia/Shanghai")
LAST_SECONDS_OF_2026 = datetime(2026, 12, 31, 23, 59, 30, tzinfo=SHANGHAI)
FIRST_SECONDS_OF_2027 = datetime(2027, 1, 1, 0, 0, 30, tzinfo=SHANGHAI)  # 2026-12-31 16:00:30 UTC


def warning(regulator, platform):
    return penalty_issue(
        by=regulator, platform=platform, kind=PenaltyKind.WARNING,
        legal_basis="《中华人民共和国电子商务法》第七十七条", facts="收款后未交付。", decision="警告。",
    )  # fmt: skip


def test_a_complaint_filed_in_the_first_minute_of_the_shanghai_year_is_numbered_in_it():
    assert FIRST_SECONDS_OF_2027.astimezone(UTC).year == 2026
    with time_machine.travel(FIRST_SECONDS_OF_2027):
        assert file_complaint().reference == "KM-2027-000001"


def test_complaint_references_start_again_at_one_in_the_new_year():
    with time_machine.travel(LAST_SECONDS_OF_2026):
        first, second = file_complaint(), file_complaint()
    with time_machine.travel(FIRST_SECONDS_OF_2027):
        third = file_complaint()
    assert [c.reference for c in (first, second, third)] == ["KM-2026-000001", "KM-2026-000002", "KM-2027-000001"]
    assert set(NumberSequence.objects.filter(scope="complaint").values_list("year", "last_value")) == {
        (2026, 2),
        (2027, 1),
    }


def test_the_reference_year_is_shanghai_s_whatever_time_zone_is_active():
    # A thread (a worker, a view) may run with another zone active: the number still follows the regulator's.
    with time_machine.travel(FIRST_SECONDS_OF_2027), timezone.override(UTC):
        assert file_complaint().reference == "KM-2027-000001"


def test_a_penalty_decided_in_the_first_minute_of_the_shanghai_year_is_numbered_in_it(regulator, platform):
    with time_machine.travel(FIRST_SECONDS_OF_2027):
        penalty = warning(regulator, platform)
    assert (penalty.decided_on.isoformat(), penalty.number) == ("2027-01-01", "国市监处罚〔2027〕1号")


def test_penalty_numbers_start_again_at_one_in_the_new_year(regulator, platform):
    with time_machine.travel(LAST_SECONDS_OF_2026):
        last_of_2026 = [warning(regulator, platform).number for _ in range(2)]
    with time_machine.travel(FIRST_SECONDS_OF_2027):
        first_of_2027 = warning(regulator, platform).number
    assert last_of_2026 == ["国市监处罚〔2026〕1号", "国市监处罚〔2026〕2号"]
    assert first_of_2027 == "国市监处罚〔2027〕1号"


def test_the_penalty_year_is_shanghai_s_whatever_time_zone_is_active(regulator, platform):
    with time_machine.travel(FIRST_SECONDS_OF_2027), timezone.override(UTC):
        penalty = warning(regulator, platform)
    assert (penalty.decided_on.isoformat(), penalty.number) == ("2027-01-01", "国市监处罚〔2027〕1号")
