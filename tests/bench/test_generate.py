"""The load generator: realistic shape, valid timelines, and it never mixes itself into real data."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from bench.__main__ import main as bench_main
from bench.generate.cli import generate_from_args, parse_args
from bench.generate.marks import generated_complaints, generated_platforms, real_data_present
from bench.generate.run import RealDataPresent, ensure_only_generated_data, generate
from complaints.deadlines import sync_platform_due
from complaints.events import verify_chain
from complaints.models import Complaint, Evidence, Status
from platforms.models import Platform
from portal.models import NumberSequence, Office, OfficeLevel
from regulation import statistics
from regulation.models import Penalty
from regulation.penalties import penalty_sequence_scope
from regulation.statistics import market_totals, scope_of_office
from tests.factories import ConsumerFactory, PlatformFactory, file_complaint

pytestmark = pytest.mark.dated
needs_postgres = pytest.mark.postgres
EVE_OF_SPRING_FESTIVAL_2027 = datetime(2027, 2, 5, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def generated(db):
    return generate(complaints=1200, platforms=30, seed=7, progress=lambda message: None)


@needs_postgres
def test_generates_the_requested_numbers(generated):
    assert (Complaint.objects.count(), Platform.objects.count()) == (1200, 30)
    assert generated.events > 2 * 1200 and generated.deadlines >= 3 * 1200
    assert Penalty.objects.exists() and Evidence.objects.exists()


@needs_postgres
def test_every_generated_row_is_recognised_as_generated(generated):
    assert (generated_complaints().count(), generated_platforms().count()) == (1200, 30)
    assert not real_data_present()


@needs_postgres
def test_a_second_run_over_generated_data_is_allowed(generated):
    ensure_only_generated_data(force=False)


@needs_postgres
def test_generated_timelines_verify_with_the_application_verifier(generated):
    broken = [verify_chain(c) for c in Complaint.objects.prefetch_related("events")[:200]]
    assert [b for b in broken if b] == []


@needs_postgres
def test_references_are_unique_and_gap_free_per_year(generated):
    by_year: dict[str, list[int]] = {}
    for reference in Complaint.objects.values_list("reference", flat=True):
        _prefix, year, number = reference.split("-")
        by_year.setdefault(year, []).append(int(number))
    for numbers in by_year.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))


@needs_postgres
def test_complaints_are_skewed_towards_a_few_platforms(generated):
    counts = list(
        Complaint.objects.values("platform").annotate(n=Count("id")).values_list("n", flat=True).order_by("-n")
    )
    assert counts[0] > 5 * (sum(counts) / len(counts))


@needs_postgres
def test_every_status_and_open_clocks_are_present(generated):
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN, Status.AWAITING_PLATFORM} <= statuses


@needs_postgres
def test_generated_complaints_store_their_next_platform_deadline(generated):
    generated_values = dict(Complaint.objects.values_list("pk", "platform_due_at"))
    sync_platform_due(generated_values)
    assert dict(Complaint.objects.values_list("pk", "platform_due_at")) == generated_values
    assert any(generated_values.values())


@needs_postgres
def test_filing_after_generation_continues_the_reference_sequence(generated):
    complaint = file_complaint()
    year = complaint.reference.split("-")[1]
    same_year = Complaint.objects.filter(reference__startswith=f"KM-{year}-").count()
    assert complaint.reference == f"KM-{year}-{same_year:06d}"


@needs_postgres
def test_refuses_a_database_with_real_complaints(db):
    file_complaint()
    with pytest.raises(CommandError, match="not generated"):
        call_command("generate_load", complaints=10, platforms=2)


@needs_postgres
def test_refuses_a_database_with_a_real_complaint_against_a_generated_platform(generated):
    file_complaint(platform=generated_platforms().first())
    with pytest.raises(RealDataPresent, match="not generated"):
        ensure_only_generated_data(force=False)


def test_refuses_to_run_without_postgres(db, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("generate_load", complaints=10, platforms=2)


def test_the_bench_command_line_refuses_to_run_without_postgres(db, monkeypatch, capsys):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert generate_from_args(parse_args(["--complaints", "10", "--platforms", "2"])) == 2
    assert "needs PostgreSQL" in capsys.readouterr().err


def test_the_bench_command_line_needs_a_postgres_url(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert bench_main(["generate", "--complaints", "10"]) == 2
    assert "DATABASE_URL=postgres://" in capsys.readouterr().err


def test_non_positive_sizes_are_refused(db):
    with pytest.raises(CommandError, match="must be positive"):
        call_command("generate_load", complaints=0, platforms=2)


def test_complaints_of_generated_consumers_on_generated_platforms_are_not_real_data(db):
    platform = PlatformFactory(slug="load-00001")
    file_complaint(ConsumerFactory(username="load-consumer-1"), platform)
    assert not real_data_present()


def test_a_real_consumer_s_complaint_is_real_even_against_a_generated_platform(db):
    file_complaint(platform=PlatformFactory(slug="load-00001"))
    assert real_data_present()


def test_a_real_platform_without_complaints_is_real(db):
    PlatformFactory()
    assert real_data_present()


@needs_postgres
def test_the_statistics_rollup_is_filled_and_equals_the_direct_count(generated, monkeypatch):
    with monkeypatch.context() as never_refreshed:
        never_refreshed.setattr(statistics, "rollup_state", lambda: None)
        direct = market_totals(days=365)

    from_rollup = market_totals(days=365)

    assert from_rollup.complaints > 0
    assert from_rollup.as_of is not None and direct.as_of is None
    assert from_rollup == direct


@needs_postgres
def test_penalties_are_numbered_gap_free_in_the_year_they_were_decided(db):
    # Early in February most of the 300 days of decisions fall in the year before.
    generate(complaints=200, platforms=40, seed=7, now=EVE_OF_SPRING_FESTIVAL_2027, progress=lambda message: None)
    penalties = list(Penalty.objects.select_related("office").order_by("decided_on", "platform_id"))
    by_series: dict[tuple[int, int], list[int]] = {}
    for penalty in penalties:
        assert (penalty.year, penalty.number) == (
            penalty.decided_on.year,
            f"{penalty.office.penalty_number_prefix}〔{penalty.decided_on.year}〕{penalty.sequence}号",
        )
        by_series.setdefault((penalty.office_id, penalty.year), []).append(penalty.sequence)
    assert {year for _office, year in by_series} == {2026, 2027}
    for (office_id, year), sequences in by_series.items():
        assert sequences == list(range(1, len(sequences) + 1))
        assert NumberSequence.objects.get(scope=penalty_sequence_scope(office_id), year=year).last_value == len(
            sequences
        )


@needs_postgres
def test_generated_complaints_are_with_the_district_office_of_their_platforms_domicile(generated):
    from django.db.models import F

    from portal.models import Office

    assert Office.objects.count() >= 311 and Office.objects.filter(level=OfficeLevel.COUNTY).count() >= 270
    assert not Complaint.objects.filter(office__isnull=True).exists()
    assert not Complaint.objects.exclude(office__division_code=F("platform__domicile_code")).exists()
    assert not Complaint.objects.exclude(first_received_by=F("office")).exists()


@needs_postgres
def test_the_rollup_equals_the_direct_count_for_a_county(generated, monkeypatch):
    busiest = Complaint.objects.values("office_id").annotate(total=Count("pk")).order_by("-total").first()
    scope = scope_of_office(Office.objects.get(pk=busiest["office_id"]))
    with monkeypatch.context() as never_refreshed:
        never_refreshed.setattr(statistics, "rollup_state", lambda: None)
        direct = market_totals(days=365, scope=scope)
    from_rollup = market_totals(days=365, scope=scope)
    assert from_rollup.complaints > 0 and from_rollup == direct
