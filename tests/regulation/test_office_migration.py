"""Decisions issued before offices existed keep their numbers, become the national office's, and its series goes
on from their counter; the rollup rows join the national office as their complaints did."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portal.models import NumberSequence
from portal.offices import national_office
from regulation.models import Penalty, PlatformDailyStats
from regulation.penalties import penalty_issue, penalty_sequence_scope
from tests.factories import RegulatorFactory

BEFORE_OFFICES_NUMBERED = [("regulation", "0004_verbose_names")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def write_rows_without_offices(apps) -> list[tuple[int, str]]:
    # The national office the portal's migration creates (an earlier transactional test may have flushed it).
    apps.get_model("portal", "Office").objects.get_or_create(
        division_code="100000",
        defaults={
            "level": "national",
            "name": "国家市场监督管理总局",
            "short_name": "市场监管总局",
            "penalty_number_prefix": "国市监处罚",
            "path": "100000/",
        },
    )
    platform = apps.get_model("platforms", "Platform").objects.create(name="星辰卡盟", slug="xingchen-then")
    PenaltyThen = apps.get_model("regulation", "Penalty")
    penalties = [
        PenaltyThen.objects.create(
            platform=platform,
            year=2026,
            sequence=sequence,
            number=f"〔2026〕第{sequence:04d}号",
            kind="warning",
            legal_basis="《电子商务法》第七十七条",
            facts="逾期未处理投诉",
            decision="警告",
            decided_on=date(2026, 11, 25),
            appeal_deadline=date(2027, 1, 24),
        )
        for sequence in (1, 2)
    ]
    apps.get_model("portal", "NumberSequence").objects.create(scope="penalty", year=2026, last_value=2)
    apps.get_model("regulation", "PlatformDailyStats").objects.create(platform=platform, day=date(2026, 11, 20))
    return [(penalty.pk, penalty.number) for penalty in penalties]


@pytest.mark.dated
@pytest.mark.django_db(transaction=True)
def test_existing_penalties_keep_their_numbers_under_the_national_office(time_machine):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = migrate(BEFORE_OFFICES_NUMBERED)
    # Every other app stays migrated to its latest state; only the regulation app goes back.
    state_then = [node for node in latest if node[0] != "regulation"] + BEFORE_OFFICES_NUMBERED
    try:
        before = write_rows_without_offices(executor.loader.project_state(state_then).apps)
    finally:
        migrate(latest)
    national = national_office()

    assert [(p.pk, p.number) for p in Penalty.objects.order_by("pk")] == before
    assert set(Penalty.objects.values_list("office_id", flat=True)) == {national.pk}
    assert NumberSequence.objects.get(scope=penalty_sequence_scope(national.pk), year=2026).last_value == 2
    assert PlatformDailyStats.objects.get().office_id == national.pk

    time_machine.move_to("2026-12-01T10:00:00+08:00")
    next_penalty = penalty_issue(
        by=RegulatorFactory(office=national),
        platform=Penalty.objects.first().platform,
        kind="warning",
        legal_basis="《电子商务法》",
        facts="超时未发货。",
        decision="警告。",
    )
    assert (next_penalty.sequence, next_penalty.number) == (3, "国市监处罚〔2026〕3号")
