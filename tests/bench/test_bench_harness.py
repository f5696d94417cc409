"""The benchmark harness's own parts: percentiles, verdicts, the Markdown it appends, and that every scenario
can be discovered and answered on a tiny factory-made data set. Nothing here measures time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bench import pdf, scenarios, sweep
from bench.actors import FILER_USERNAME, HELPER_KEY_NAME, pick_actors
from bench.filing import delete_filed
from bench.measure import MISS, PASS, Target, Timing, percentile, verdict
from bench.report import FilingResult, Row, Run, append_run
from complaints.models import Complaint, Deadline, DossierExport, Event
from platforms.models import ApiKey
from portal.models import User
from regulation.models import Penalty
from tests.factories import ConsumerFactory, PlatformFactory, file_complaint

# --- percentiles and verdicts ------------------------------------------------------------------------------


def test_percentile_interpolates_between_ranks():
    assert percentile([4, 1, 3, 2], 0.5) == 2.5
    assert percentile(list(range(1, 21)), 0.95) == pytest.approx(19.05)
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([1, 2, 3], 0) == 1 and percentile([1, 2, 3], 1) == 3


@pytest.mark.parametrize("samples, fraction", [([], 0.5), ([1, 2], 1.5)])
def test_percentile_refuses_no_samples_or_a_fraction_out_of_range(samples, fraction):
    with pytest.raises(ValueError):
        percentile(samples, fraction)


def test_timing_reports_a_range_when_query_counts_differ():
    assert Timing([1, 2], queries=[8, 8]).query_counts == "8"
    assert Timing([1, 2], queries=[9, 8]).query_counts == "8–9"


def test_verdict_passes_only_when_every_target_holds():
    under, over = Target("p95", "<=", 100), Target("requests/s", ">=", 300, "")
    assert verdict([(under, 100), (over, 300)]) == PASS
    assert verdict([(under, 100.1), (over, 300)]) == MISS
    assert verdict([(under, 50), (over, 299)]) == MISS


# --- Markdown ----------------------------------------------------------------------------------------------


def test_row_renders_percentiles_queries_target_and_result():
    timing = Timing([10.0, 20.0, 30.0, 250.0], queries=[5, 5, 5, 5])
    line = Row("Platform inbox API, page 1", timing, Target("p95", "<=", 100), note="problem=x").markdown()
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert cells == [
        "Platform inbox API, page 1 (problem=x)",
        "4",
        "25.0",
        "217",
        "250",
        "5",
        "p95 ≤ 100 ms",
        "MISS",
    ]


def test_row_without_target_is_informational_and_an_error_is_reported():
    assert Row("x", Timing([1.0]), None).result == "—"
    failed = Row("Inbox page 50", None, Target("p95", "<=", 100), error="page 3 answered 500")
    assert failed.result == "ERROR" and "page 3 answered 500" in failed.markdown()


def test_filing_misses_on_any_non_201_answer():
    good = FilingResult(
        seconds=30,
        connections=4,
        threads=2,
        requests=10_000,
        requests_per_second=333,
        p99_ms=120,
    )
    assert good.result == PASS
    bad = FilingResult(
        seconds=30,
        connections=4,
        threads=2,
        requests=10_000,
        requests_per_second=333,
        p99_ms=120,
        non_201=1,
        statuses={"400": 1},
    )
    assert bad.result == MISS and "400×1" in bad.markdown()


def make_run(note: str) -> Run:
    return Run(
        started_at=timezone.now(),
        command="python -m bench",
        database="portal_load",
        machine={"nproc": "2"},
        data={"complaints": 100_000},
        notes=[note],
        rows=[Row("Consumer complaint list page", Timing([5.0] * 20, [4] * 20), Target("p95", "<=", 100))],
    )


def test_each_run_is_appended_and_earlier_runs_are_kept(tmp_path):
    path = tmp_path / "benchmarks.md"
    append_run(path, make_run("first run"))
    append_run(path, make_run("second run"))
    text = path.read_text()
    assert text.startswith("# Benchmarks")
    assert text.count("# Benchmarks") == 1
    assert text.index("first run") < text.index("second run")
    row = "| Consumer complaint list page | 20 | 5.00 | 5.00 | 5.00 | 4 | p95 ≤ 100 ms | PASS |"
    assert text.count(row) == 2


# --- discovery on a tiny data set --------------------------------------------------------------------------


@pytest.fixture
def small_market(db):
    busy, quiet = PlatformFactory(), PlatformFactory()
    regular = ConsumerFactory()
    for _ in range(3):
        file_complaint(regular, busy)
    file_complaint(ConsumerFactory(), quiet)
    return busy, regular


def test_actors_are_the_busiest_platform_and_consumer_and_helpers_are_reused(small_market):
    busy, regular = small_market
    actors = pick_actors()
    assert actors.platform == busy and actors.platform_complaints == 3
    assert actors.consumer == regular and actors.detail_complaint.consumer == regular
    again = pick_actors()
    assert again.staff == actors.staff and again.api_key == actors.api_key
    assert again.regulator_token == actors.regulator_token
    assert ApiKey.objects.filter(name=HELPER_KEY_NAME).count() == 1
    assert User.objects.filter(username__startswith="bench-").exclude(email="").count() == 0


def test_every_scenario_answers_200_for_its_caller(small_market):
    actors = pick_actors()
    found = scenarios.scenarios(actors)
    assert len(found) >= 15
    for scenario in found:
        if scenario.resolve:  # the 50th page does not exist in three complaints
            continue
        client = scenarios.client_for(scenario.caller, actors)
        _elapsed, queries = scenarios.request_once(client, scenario.url)
        assert queries > 0, scenario.name


def test_following_next_past_the_last_page_is_reported(small_market):
    actors = pick_actors()
    deep = next(s for s in scenarios.scenarios(actors) if s.resolve)
    with pytest.raises(scenarios.ScenarioFailed, match="ends after 1 pages"):
        scenarios.prepare(deep, scenarios.client_for(deep.caller, actors))


def test_benchmark_filings_are_never_picked_as_actors_and_are_deleted(small_market):
    busy, regular = small_market
    actors = pick_actors()
    for _ in range(4):
        complaint = file_complaint(actors.filer, busy)
    assert pick_actors().consumer == regular
    assert delete_filed(actors.filer.pk) == 4
    assert not Complaint.objects.filter(consumer__username=FILER_USERNAME).exists()
    assert not Event.objects.filter(complaint_id=complaint.pk).exists()
    assert Complaint.objects.count() == 4


def test_sweep_measurement_leaves_the_clocks_as_they_were(small_market):
    busy, regular = small_market
    filed_at = timezone.now() - timedelta(days=30)
    late = file_complaint(regular, busy, now=filed_at, paid_at=filed_at - timedelta(hours=5))
    running_before = set(Deadline.objects.running().values_list("pk", flat=True))
    measured = sweep.sweep_once()
    assert measured.breached >= 1 and measured.passes >= 2
    assert set(Deadline.objects.running().values_list("pk", flat=True)) == running_before
    late.refresh_from_db()
    assert late.is_overdue is False


def test_pdf_scenarios_render_every_document_and_leave_no_trace(small_market, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    complaints_before = Complaint.objects.count()

    rows = pdf.run(pick_actors(), selected=lambda name: True, requests=1, warmup=0, say=lambda line: None)

    assert [row.name for row in rows] == [pdf.SMALL_DOSSIER, pdf.STORED_DOSSIER, pdf.NOTICE, pdf.LARGE_DOSSIER]
    assert [row.error for row in rows] == ["", "", "", ""]
    assert "50 events, 20 images" in rows[-1].note
    assert all("CPU p50" in row.note for row in rows)
    assert Complaint.objects.count() == complaints_before
    assert not Penalty.objects.exists() and not DossierExport.objects.exists()
    assert not User.objects.filter(username__startswith="bench-pdf").exists()
    assert not any(tmp_path.iterdir())
