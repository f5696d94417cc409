"""The benchmark's open-data export, open-data API and download scenarios, on a tiny data set: the export counts
its rows and bytes at both sizes and leaves no release, every scenario answers 200, and generated complaints are
publishable. Nothing here measures time."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.throttling import AnonRateThrottle

from bench import export, scenarios
from bench.actors import pick_actors
from bench.generate.run import generate
from portal.models import AuditAction, AuditEntry
from regulation.models import OpenDataRelease
from regulation.open_data import published_complaints
from tests.factories import ConsumerFactory, PlatformFactory, file_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_market(db):
    platform, consumer = PlatformFactory(), ConsumerFactory()
    filed_at = timezone.now() - timedelta(days=20)  # past the 15 days after which every complaint is published
    for _ in range(4):
        file_complaint(consumer, platform, now=filed_at, paid_at=filed_at - timedelta(hours=2))
    return platform


def test_the_export_runs_at_both_sizes_and_leaves_no_release(published_market, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    first, every = export.run(limit=3)

    assert (first.rows, every.rows) == (3, 4)
    assert 0 < first.csv_bytes < every.csv_bytes and 0 < first.jsonl_bytes < every.jsonl_bytes
    assert "4 rows" in every.note()
    assert not OpenDataRelease.objects.exists()
    assert not any(tmp_path.iterdir())


def test_peak_memory_traces_what_the_block_allocates():
    with export.PeakMemory(traced=True) as memory:
        block = bytearray(8 * 1024 * 1024)
        del block
    assert memory.traced_peak >= 8 * 1024 * 1024


def test_open_data_scenarios_answer_200_anonymously(published_market):
    actors = pick_actors()
    found = scenarios.open_data_scenarios(actors)
    assert {scenario.caller for scenario in found} == {"public"}
    client = scenarios.client_for("public", actors)
    for scenario in found:
        if scenario.resolve:  # the 50th page does not exist in four complaints
            continue
        for _ in range(3):
            scenario.before_each()
            _elapsed, queries = scenarios.request_once(client, scenario.url)
            assert queries > 0, scenario.name


def test_forgetting_the_throttle_lets_the_next_anonymous_request_through(published_market, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1/minute"})
    client = scenarios.client_for("public", pick_actors())
    assert client.get(scenarios.OPEN_DATA).status_code == 200
    assert client.get(scenarios.OPEN_DATA).status_code == 429
    scenarios.forget_anonymous_throttle()
    assert client.get(scenarios.OPEN_DATA).status_code == 200


def test_download_scenarios_stream_the_busiest_channels_manifest(published_market):
    actors = pick_actors()
    found = scenarios.download_scenarios(actors)
    manifest = found[0]
    assert "4 orders" in manifest.note
    client = scenarios.client_for(manifest.caller, actors)
    response = client.get(manifest.url)
    assert response.status_code == 200 and response.streaming
    assert len(b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()) == 1 + 4
    assert AuditEntry.objects.filter(action=AuditAction.CHARGEBACK_MANIFEST_EXPORTED).count() == 1


def test_the_monthly_report_pdf_scenario_answers_a_pdf(published_market):
    actors = pick_actors()
    pdf = next(s for s in scenarios.download_scenarios(actors) if s.name == "Monthly statistics report PDF")
    response = scenarios.client_for(pdf.caller, actors).get(pdf.url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


@pytest.mark.postgres
@pytest.mark.dated
def test_generated_complaints_are_published(db):
    generate(complaints=600, platforms=20, seed=7, progress=lambda message: None)
    cutoff = timezone.now() - timedelta(days=15)
    published = published_complaints().count()
    assert published > 500
    assert published == (
        published_complaints()
        .model.objects.filter(platform__isnull=False)
        .filter(created_at__lte=timezone.now())
        .exclude(first_answered_at__isnull=True, created_at__gt=cutoff)
        .count()
    )
