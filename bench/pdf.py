"""The PDFs: a consumer's dossier (rendered in the request), a large one (the background export) and a penalty
decision notice.

Their complaints and the penalty are made for the run through the services, as ``bench-pdf-*`` users, inside a
transaction that is rolled back at the end (as the sweep's), so the database keeps no trace and the penalty
counter no gap; the evidence files go to a temporary MEDIA_ROOT removed afterwards. Stored dossiers are
forgotten before every timed request, so each one renders; the "stored" row times the download of a dossier
whose chain head has not moved.
"""

import io
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from PIL import Image

from complaints import services
from complaints.dossier import dossier_export_run
from complaints.models import Complaint, DossierExport
from portal.models import Role, StaffRole
from regulation.models import PenaltyKind
from regulation.penalties import penalty_issue
from tests.factories import complaint_data

from .actors import HELPER_PREFIX, Actors, _helper_user
from .measure import Timing, format_number, p95_at_most, percentile
from .report import Row
from .scenarios import Scenario, ScenarioFailed, client_for
from .scenarios import run as run_scenario

SMALL_DOSSIER = "Dossier PDF, 3 events, 1 image"
STORED_DOSSIER = "Dossier PDF, 3 events, 1 image, stored"
LARGE_DOSSIER = "Dossier export, 50 events, 20 images"
NOTICE = "Penalty decision notice PDF"
NAMES = (SMALL_DOSSIER, STORED_DOSSIER, NOTICE, LARGE_DOSSIER)

PDF_TARGET = p95_at_most(1000)
STORED_TARGET = p95_at_most(100)
LARGE_TARGET = p95_at_most(5000)
LARGE_IMAGES = 20
LARGE_EVENTS = 50


@dataclass
class Documents:
    consumer_client: Client
    small: Complaint
    large: Complaint
    penalty_id: int


def screenshot(number: int) -> SimpleUploadedFile:
    """A phone-sized PNG with some detail, so the thumbnail is not a flat colour."""
    image = Image.new("RGB", (720, 1280), (30 + number * 9 % 200, 90, 160))
    for row in range(0, 1280, 40):
        image.paste((250, 250, 250), (40, row, 680, row + 12))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(f"订单截图{number}.png", buffer.getvalue(), content_type="image/png")


def file_for_bench(consumer, platform) -> Complaint:
    data = complaint_data(
        platform,
        order_number=f"BENCH-PDF-{uuid.uuid4().hex[:16]}",
        description="付款成功后一直显示待发货，客服说24小时内补发，至今未收到卡密。" * 3,
    )
    complaint, _created = services.complaint_file(consumer=consumer, data=data)
    return complaint


def make_documents(actors: Actors) -> Documents:
    """The complaints and the penalty the scenarios download (call inside the rolled-back transaction)."""
    consumer = _helper_user(f"{HELPER_PREFIX}pdf-consumer", role=Role.CONSUMER)
    agent = _helper_user(
        f"{HELPER_PREFIX}pdf-agent-{actors.platform.pk}",
        role=Role.PLATFORM_STAFF,
        platform=actors.platform,
        staff_role=StaffRole.MANAGER,
    )
    small = file_for_bench(consumer, actors.platform)  # filed, forwarded
    services.complaint_add_evidence(complaint_id=small.pk, by=consumer, files=[(screenshot(0), "order_screenshot")])

    large = file_for_bench(consumer, actors.platform)
    uploads = [(screenshot(number), "order_screenshot") for number in range(LARGE_IMAGES)]
    services.complaint_add_evidence(complaint_id=large.pk, by=consumer, files=uploads)
    round_trip = 0
    while Complaint.objects.get(pk=large.pk).event_count < LARGE_EVENTS:
        round_trip += 1
        services.complaint_request_info(complaint_id=large.pk, by=agent, message=f"请提供第{round_trip}次充值的截图。")
        services.complaint_supply_info(complaint_id=large.pk, by=consumer, message="已上传，请查收。")

    cited = file_for_bench(consumer, actors.platform)
    penalty = penalty_issue(
        by=actors.regulator,
        platform=actors.platform,
        kind=PenaltyKind.FINE,
        fine_amount=Decimal("5000"),
        legal_basis="《中华人民共和国电子商务法》第七十七条",
        facts="当事人收款后未按约定交付虚拟商品，经责令改正后仍未交付。" * 3,
        decision="警告，并处罚款人民币伍仟元。",
        complaint_ids=[cited.pk],
    )
    client = Client()
    client.force_login(consumer)
    return Documents(
        consumer_client=client,
        small=Complaint.objects.get(pk=small.pk),
        large=Complaint.objects.get(pk=large.pk),
        penalty_id=penalty.pk,
    )


class CpuTimedClient:
    """A test client that also records the process CPU time of each GET. On a shared machine the wall time of a
    render grows with everybody else's load; its CPU time is what it would take on an idle core."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.cpu_ms: list[float] = []

    def get(self, *args, **kwargs):
        started = time.process_time()
        response = self.client.get(*args, **kwargs)
        self.cpu_ms.append((time.process_time() - started) * 1000)
        return response


def cpu_note(cpu_ms: list[float]) -> str:
    return f"CPU p50 {format_number(percentile(cpu_ms, 0.5))} ms"


def forget_stored(complaint: Complaint) -> Callable[[], None]:
    def clear() -> None:
        DossierExport.objects.filter(complaint=complaint).delete()

    return clear


def time_export(complaint: Complaint, *, requests: int, warmup: int) -> tuple[Timing, list[float]]:
    """The background export as the worker runs it (render, store the file, mark it done): wall and CPU ms."""
    timing = Timing(samples_ms=[])
    cpu_ms: list[float] = []
    for attempt in range(warmup + requests):
        forget_stored(complaint)()
        export = DossierExport.objects.create(complaint=complaint)
        with CaptureQueriesContext(connection) as queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            finished = dossier_export_run(export.pk)
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu_started) * 1000
        if finished is None or finished.status != "done":
            raise ScenarioFailed(f"the export ended {getattr(finished, 'status', 'missing')}")
        if attempt >= warmup:
            timing.samples_ms.append(elapsed)
            cpu_ms.append(cpu)
            timing.queries.append(len(queries))
    return timing, cpu_ms


def run(actors: Actors, *, selected: Callable[[str], bool], requests: int, warmup: int, say) -> list[Row]:
    """Time the selected PDF scenarios; nothing they create outlives the call."""
    if not any(selected(name) for name in NAMES):
        return []
    rows: list[Row] = []
    media = tempfile.TemporaryDirectory(prefix="bench-pdf-")
    with media, override_settings(MEDIA_ROOT=media.name), transaction.atomic():
        documents = make_documents(actors)
        small_url = f"/complaints/{documents.small.pk}/dossier.pdf"
        http = [
            (
                Scenario(
                    SMALL_DOSSIER,
                    "web-consumer",
                    small_url,
                    PDF_TARGET,
                    note=f"{documents.small.event_count} events, rendered each time",
                    before_each=forget_stored(documents.small),
                ),
                documents.consumer_client,
            ),
            (
                Scenario(STORED_DOSSIER, "web-consumer", small_url, STORED_TARGET, note="chain head unchanged"),
                documents.consumer_client,
            ),
            (
                Scenario(NOTICE, "api-regulator", f"/api/v1/penalties/{documents.penalty_id}/notice.pdf", PDF_TARGET),
                client_for("api-regulator", actors),
            ),
        ]
        for scenario, client in http:
            if not selected(scenario.name):
                continue
            try:
                timed_client = CpuTimedClient(client)
                timing = run_scenario(scenario, timed_client, requests=requests, warmup=warmup)
                notes = [scenario.note, cpu_note(timed_client.cpu_ms[warmup:])]
                row = Row(scenario.name, timing, scenario.target, note="; ".join(filter(None, notes)))
            except ScenarioFailed as failure:
                row = Row(scenario.name, None, scenario.target, note=scenario.note, error=str(failure))
            rows.append(row)
            say(row.markdown())
        if selected(LARGE_DOSSIER):
            note = (
                f"{documents.large.event_count} events, {LARGE_IMAGES} images; dossier_export_run, "
                "as the worker runs it"
            )
            try:
                timing, cpu_ms = time_export(documents.large, requests=requests, warmup=warmup)
                row = Row(LARGE_DOSSIER, timing, LARGE_TARGET, note=f"{note}; {cpu_note(cpu_ms)}")
            except ScenarioFailed as failure:
                row = Row(LARGE_DOSSIER, None, LARGE_TARGET, note=note, error=str(failure))
            rows.append(row)
            say(row.markdown())
        transaction.set_rollback(True)
    return rows
