"""The dossier PDF: what it shows, who may download it, and the background export of large complaints."""

from pathlib import Path
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from complaints import services
from complaints.dossier import dossier_context, dossier_export_run, render_dossier
from complaints.models import DossierExport, DossierExportStatus
from complaints.tasks import render_dossier_task
from portal.models import AccessLog
from tests.factories import add_evidence, file_complaint, image_upload
from tests.fixtures_roles import client_for
from tests.pdf_reading import compact, noto_cjk_fonts, pdf_images, pdf_text

pytestmark = pytest.mark.django_db

OWNER_AND_READERS = ["consumer", "agent", "regulator"]
OUTSIDERS = ["other_consumer", "other_agent"]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def documented(complaint, consumer, agent):
    """A complaint with two screenshots and a platform request: every section of the dossier has content."""
    screenshots = image_upload("订单截图.png"), image_upload("支付凭证.png", color="navy")
    add_evidence(complaint, consumer, *screenshots)
    services.complaint_request_info(complaint_id=complaint.pk, by=agent, message="请提供充值账号。")
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def large_complaint(documented, settings):
    settings.PORTAL_DOSSIER_ASYNC_EVIDENCE = 1
    return documented


def web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- content -----------------------------------------------------------------------------------------------


def test_dossier_is_a_pdf(documented):
    assert render_dossier(documented).startswith(b"%PDF")


def test_dossier_shows_reference_order_number_and_chinese_product(documented):
    text = compact(pdf_text(render_dossier(documented)))
    assert documented.reference in text
    assert documented.order_number in text
    assert "王者荣耀648点券" in text
    assert "投诉证据材料" in text


def test_dossier_shows_every_event_hash_and_prev_hash(documented):
    text = compact(pdf_text(render_dossier(documented)))
    links = list(documented.events.values_list("hash", "prev_hash"))
    assert len(links) == 5  # filed, forwarded, two evidence_added, info_requested
    for event_hash, prev_hash in links:
        assert event_hash in text
        assert prev_hash in text


def test_dossier_lists_each_evidence_sha256(documented):
    text = compact(pdf_text(render_dossier(documented)))
    for evidence in documented.evidence.all():
        assert evidence.sha256 in text
        assert evidence.original_name in text


def test_dossier_shows_head_hash_and_intact_chain(documented):
    text = compact(pdf_text(render_dossier(documented)))
    assert documented.last_event_hash in text
    assert "链完整" in text


def test_dossier_names_the_first_broken_link(documented):
    documented.events.filter(sequence=2).update(data={"platform": "forged"})
    text = compact(pdf_text(render_dossier(documented)))
    assert "链断裂于第2条" in text


@pytest.mark.dated
def test_dossier_shows_how_the_deadline_was_computed(documented):
    text = compact(pdf_text(render_dossier(documented)))
    assert "计算方法" in text
    assert "个工作日" in text


def test_image_evidence_is_inlined(documented):
    assert len(pdf_images(render_dossier(documented))) == 2


def test_cjk_font_is_embedded(documented):
    cjk_fonts = noto_cjk_fonts(render_dossier(documented))
    assert any(font.name.replace("-", "").endswith("CJKSC") for font in cjk_fonts)  # the Simplified Chinese cut
    assert all(font.embedded for font in cjk_fonts)


def test_typical_dossier_stays_under_one_megabyte(documented):
    # Fonts are subsets and screenshots are inlined as thumbnails: a dossier fits an e-mail or a 12315 upload.
    assert len(render_dossier(documented)) < 1_000_000


def test_markup_in_the_description_is_printed_as_text(consumer, platform):
    complaint = file_complaint(consumer, platform, description="客服说<script>alert(1)</script>会补发")
    text = compact(pdf_text(render_dossier(complaint)))
    assert "<script>alert(1)</script>" in text


def test_dossier_context_query_count_does_not_grow_with_evidence(consumer, platform):
    small = file_complaint(consumer, platform)
    add_evidence(small, consumer, image_upload())
    large = file_complaint(consumer, platform)
    add_evidence(large, consumer, *(image_upload(f"截图{n}.png") for n in range(5)))
    counts = []
    for complaint in (small, large):
        with CaptureQueriesContext(connection) as queries:
            dossier_context(type(complaint).objects.get(pk=complaint.pk))
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", OWNER_AND_READERS)
def test_web_download_allowed_for_owner_own_platform_and_regulator(role, request, documented):
    url = reverse("complaints:dossier-download", args=[documented.pk])
    response = web_client(request.getfixturevalue(role)).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("role", OUTSIDERS)
def test_web_download_is_404_for_other_consumers_and_other_platforms(role, request, documented):
    url = reverse("complaints:dossier-download", args=[documented.pk])
    response = web_client(request.getfixturevalue(role)).get(url)
    assert response.status_code == 404


def test_web_download_of_a_missing_complaint_is_404(consumer):
    assert web_client(consumer).get(reverse("complaints:dossier-download", args=[999999])).status_code == 404


def test_web_download_asks_anonymous_visitors_to_log_in(documented):
    response = Client().get(reverse("complaints:dossier-download", args=[documented.pk]))
    assert response.status_code == 302
    assert reverse("portal:login") in response["Location"]


@pytest.mark.parametrize("role", OWNER_AND_READERS)
def test_api_download_allowed_for_owner_own_platform_and_regulator(role, request, documented):
    response = client_for(request.getfixturevalue(role)).get(
        reverse("complaints_api:dossier-download", args=[documented.pk]), HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("role", OUTSIDERS)
def test_api_download_is_404_for_other_consumers_and_other_platforms(role, request, documented):
    response = client_for(request.getfixturevalue(role)).get(
        reverse("complaints_api:dossier-download", args=[documented.pk]), HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("accept", ["*/*", "application/pdf", "application/pdf, application/json;q=0.5"])
def test_api_download_accepts_pdf_and_any_media_type(accept, consumer, documented):
    url = reverse("complaints_api:dossier-download", args=[documented.pk])
    response = client_for(consumer).get(url, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_api_download_with_platform_api_key(api_key, documented):
    response = client_for(api_key=api_key).get(reverse("complaints_api:dossier-download", args=[documented.pk]))
    assert response.status_code == 200


def test_api_download_needs_authentication(documented):
    response = client_for().get(reverse("complaints_api:dossier-download", args=[documented.pk]))
    assert response.status_code in (401, 403)


def test_download_is_logged(consumer, documented):
    web_client(consumer).get(reverse("complaints:dossier-download", args=[documented.pk]))
    entry = AccessLog.objects.get(action="dossier_download")
    assert (entry.user, entry.object_id, entry.detail) == (consumer, str(documented.pk), documented.reference)


def test_schema_documents_the_dossier_as_a_pdf():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/complaints/{id}/dossier.pdf"]["get"]
    assert operation["responses"]["200"]["content"]["application/pdf"]["schema"] == {
        "type": "string",
        "format": "binary",
    }
    assert "202" in operation["responses"]


# --- the dossier kept at its chain head ---------------------------------------------------------------------


@pytest.fixture
def renders(monkeypatch):
    """The template names the dossier module renders, one per PDF made."""
    from complaints import dossier

    made = []
    render = dossier.render_pdf

    def counting(template_name, *args, **kwargs):
        made.append(template_name)
        return render(template_name, *args, **kwargs)

    monkeypatch.setattr(dossier, "render_pdf", counting)
    return made


def download(client, complaint) -> bytes:
    response = client.get(reverse("complaints:dossier-download", args=[complaint.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_second_download_at_the_same_chain_head_is_not_rendered_again(consumer, documented, renders):
    client = web_client(consumer)
    first = download(client, documented)

    second = download(client, documented)

    assert renders == ["pdf/dossier.html"]
    assert second == first


def test_the_kept_dossier_serves_every_reader(consumer, regulator, agent, documented, renders):
    download(web_client(consumer), documented)

    download(web_client(regulator), documented)
    download(web_client(agent), documented)

    assert len(renders) == 1


def test_a_new_event_renders_the_dossier_again(consumer, documented, renders):
    client = web_client(consumer)
    download(client, documented)
    services.complaint_supply_info(complaint_id=documented.pk, by=consumer, message="充值账号是 13800000000。")
    documented.refresh_from_db()

    pdf = download(client, documented)

    assert len(renders) == 2
    assert documented.last_event_hash in compact(pdf_text(pdf))


def test_only_the_dossier_at_the_newest_head_is_kept(consumer, documented, django_capture_on_commit_callbacks):
    client = web_client(consumer)
    download(client, documented)
    old_file = DossierExport.objects.get(complaint=documented).file.path
    services.complaint_supply_info(complaint_id=documented.pk, by=consumer, message="已补充。")
    documented.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        download(client, documented)

    kept = DossierExport.objects.get(complaint=documented)
    assert (kept.status, kept.head_hash) == (DossierExportStatus.DONE, documented.last_event_hash)
    assert not Path(old_file).exists()


def test_api_download_serves_the_kept_dossier(consumer, documented, renders):
    download(web_client(consumer), documented)

    response = client_for(consumer).get(
        reverse("complaints_api:dossier-download", args=[documented.pk]), HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert len(renders) == 1


def test_kept_export_of_a_large_complaint_is_downloaded_at_once(consumer, large_complaint, renders):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    dossier_export_run(export.pk)

    pdf = download(web_client(consumer), large_complaint)

    assert pdf.startswith(b"%PDF")
    assert len(renders) == 1


def test_large_complaint_with_a_new_event_is_exported_again(consumer, large_complaint):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    dossier_export_run(export.pk)
    services.complaint_supply_info(complaint_id=large_complaint.pk, by=consumer, message="已补充。")

    response = web_client(consumer).get(reverse("complaints:dossier-download", args=[large_complaint.pk]))

    assert response.status_code == 302
    pending = DossierExport.objects.exclude(pk=export.pk).get(complaint=large_complaint)
    assert response["Location"] == reverse("complaints:dossier-status", args=[large_complaint.pk, pending.pk])


def test_complaint_page_shows_progress_while_the_dossier_is_made(consumer, documented):
    html = web_client(consumer).get(reverse("complaints:complaint-detail", args=[documented.pk])).content.decode()

    assert 'class="btn btn-secondary js-dossier-link"' in html
    assert "js-dossier-preparing" in html and "<progress" in html
    assert "js/dossier.js" in html


def test_download_tells_the_page_it_has_started(consumer, documented):
    url = reverse("complaints:dossier-download", args=[documented.pk])
    response = web_client(consumer).get(url + "?ready=k3x9q2m7ab")

    assert response.cookies["dossier_ready"].value == "k3x9q2m7ab"
    assert response.cookies["dossier_ready"]["samesite"] == "Strict"


@pytest.mark.parametrize("token", ["", "x", "<script>", "a" * 41])
def test_download_ignores_a_malformed_ready_token(token, consumer, documented):
    response = web_client(consumer).get(reverse("complaints:dossier-download", args=[documented.pk]), {"ready": token})

    assert response.status_code == 200
    assert "dossier_ready" not in response.cookies


# --- large complaints: background export -------------------------------------------------------------------


def test_web_download_of_large_complaint_is_exported_in_the_background(
    consumer, large_complaint, django_capture_on_commit_callbacks
):
    client = web_client(consumer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("complaints:dossier-download", args=[large_complaint.pk]))
    export = DossierExport.objects.get(complaint=large_complaint)
    assert response.status_code == 302
    assert response["Location"] == reverse("complaints:dossier-status", args=[large_complaint.pk, export.pk])
    assert (export.status, export.progress, export.requested_by) == (DossierExportStatus.DONE, 100, consumer)
    assert export.finished_at is not None

    status = client.get(reverse("complaints:dossier-status-json", args=[large_complaint.pk, export.pk])).json()
    assert status == {
        "status": "done",
        "progress": 100,
        "failure_message": "",
        "download_url": reverse("complaints:dossier-export-download", args=[large_complaint.pk, export.pk]),
    }
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_status_page_shows_progress_and_refreshes_while_pending(consumer, large_complaint):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer, progress=40)
    response = web_client(consumer).get(reverse("complaints:dossier-status", args=[large_complaint.pk, export.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<progress id="dossier-progress"' in html and 'value="40"' in html
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "js/dossier.js" in html
    assert reverse("complaints:dossier-export-download", args=[large_complaint.pk, export.pk]) not in html


def test_status_page_offers_the_download_when_done(consumer, large_complaint):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    dossier_export_run(export.pk)
    url = reverse("complaints:dossier-status", args=[large_complaint.pk, export.pk])
    html = web_client(consumer).get(url).content.decode()
    assert reverse("complaints:dossier-export-download", args=[large_complaint.pk, export.pk]) in html
    assert 'http-equiv="refresh"' not in html


def test_unfinished_export_cannot_be_downloaded(consumer, large_complaint):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    url = reverse("complaints:dossier-export-download", args=[large_complaint.pk, export.pk])
    response = web_client(consumer).get(url)
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["dossier-status", "dossier-status-json", "dossier-export-download"])
def test_export_pages_are_404_for_other_tenants(name, consumer, other_agent, large_complaint):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    dossier_export_run(export.pk)
    response = web_client(other_agent).get(reverse(f"complaints:{name}", args=[large_complaint.pk, export.pk]))
    assert response.status_code == 404


def test_export_of_another_complaint_is_404(consumer, platform, large_complaint):
    own_other = file_complaint(consumer, platform)
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    response = web_client(consumer).get(reverse("complaints:dossier-status", args=[own_other.pk, export.pk]))
    assert response.status_code == 404


def test_repeated_request_reuses_the_unfinished_export(consumer, large_complaint):
    client = web_client(consumer)
    url = reverse("complaints:dossier-download", args=[large_complaint.pk])
    first = client.get(url)  # on_commit not run: stays pending
    second = client.get(reverse("complaints:dossier-download", args=[large_complaint.pk]))
    assert first["Location"] == second["Location"]
    assert DossierExport.objects.count() == 1


def test_api_download_of_large_complaint_answers_202_and_the_export_can_be_followed(
    consumer, large_complaint, django_capture_on_commit_callbacks
):
    client = client_for(consumer)
    with django_capture_on_commit_callbacks(execute=True):
        url = reverse("complaints_api:dossier-download", args=[large_complaint.pk])
        response = client.get(url, HTTP_ACCEPT="application/pdf")
    export = DossierExport.objects.get(complaint=large_complaint)
    assert response.status_code == 202
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["export_id"] == export.pk
    url = reverse("complaints_api:dossier-export-status", args=[large_complaint.pk, export.pk])
    assert body["status_url"].endswith(url)

    status = client.get(body["status_url"]).json()
    assert (status["status"], status["progress"]) == ("done", 100)
    download = client.get(status["download_url"], HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_export_task_does_not_render_a_finished_export_again(consumer, large_complaint):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    first_file = dossier_export_run(export.pk).file.name
    assert dossier_export_run(export.pk).file.name == first_file


def test_export_task_reports_progress_in_steps(consumer, large_complaint, monkeypatch):
    from complaints import dossier

    seen = []
    record_progress = dossier._set_progress

    def spy(export_id, percent):
        seen.append(percent)
        record_progress(export_id, percent)

    monkeypatch.setattr(dossier, "_set_progress", spy)
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    dossier_export_run(export.pk)
    assert seen == sorted(seen)
    assert len(seen) >= 3
    assert seen[-1] < 100  # the last step, 100, is written with the finished file


def test_failed_export_records_the_error_and_can_be_run_again(consumer, large_complaint, monkeypatch):
    from complaints import dossier

    def full_disk(*args, **kwargs):
        raise OSError("disk full")

    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    monkeypatch.setattr(dossier, "render_pdf", full_disk)
    with pytest.raises(OSError):
        dossier_export_run(export.pk)
    export.refresh_from_db()
    assert (export.status, export.error) == (DossierExportStatus.FAILED, "disk full")
    monkeypatch.undo()
    assert dossier_export_run(export.pk).status == DossierExportStatus.DONE


# --- time limits: an export stopped by one is failed, says why, and can be asked for again -----------------


@pytest.fixture
def render_stopped_by_the_time_limit():
    with mock.patch("complaints.dossier.render_pdf", side_effect=SoftTimeLimitExceeded()) as render:
        yield render


def test_an_export_stopped_by_the_soft_time_limit_is_failed_not_left_running(
    consumer, large_complaint, render_stopped_by_the_time_limit
):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)

    assert render_dossier_task.delay(export.pk).get() == DossierExportStatus.FAILED

    export.refresh_from_db()
    assert (export.status, export.error) == (DossierExportStatus.FAILED, DossierExport.TIMED_OUT)
    assert export.finished_at is not None and not export.file


def test_the_status_page_of_a_timed_out_export_says_so_and_offers_to_try_again(
    consumer, large_complaint, render_stopped_by_the_time_limit
):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    render_dossier_task.delay(export.pk)

    client = web_client(consumer)
    url = reverse("complaints:dossier-status", args=[large_complaint.pk, export.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    status = client.get(reverse("complaints:dossier-status-json", args=[large_complaint.pk, export.pk])).json()

    assert "took longer than allowed" in html.content.decode()
    assert f'href="{reverse("complaints:dossier-download", args=[large_complaint.pk])}"' in html.content.decode()
    assert (status["status"], status["download_url"]) == ("failed", None)
    assert status["failure_message"] == str(DossierExport.FAILURE_MESSAGES[DossierExport.TIMED_OUT])


def test_the_api_tells_why_an_export_failed(consumer, large_complaint, render_stopped_by_the_time_limit):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    render_dossier_task.delay(export.pk)

    body = (
        client_for(consumer)
        .get(
            reverse("complaints_api:dossier-export-status", args=[large_complaint.pk, export.pk]),
            HTTP_ACCEPT_LANGUAGE="en",
        )
        .json()
    )

    assert body["status"] == "failed" and "took longer than allowed" in body["failure_message"]


def test_a_later_run_completes_an_export_stopped_by_the_time_limit(consumer, large_complaint):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    with mock.patch("complaints.dossier.render_pdf", side_effect=SoftTimeLimitExceeded()):
        render_dossier_task.delay(export.pk)

    assert render_dossier_task.delay(export.pk).get() == DossierExportStatus.DONE

    export.refresh_from_db()
    assert (export.status, export.progress, export.error) == (DossierExportStatus.DONE, 100, "")
    assert export.file.open("rb").read(4) == b"%PDF"


def test_trying_again_after_a_time_out_prepares_a_new_export(
    consumer, large_complaint, django_capture_on_commit_callbacks
):
    client = web_client(consumer)
    with (
        mock.patch("complaints.dossier.render_pdf", side_effect=SoftTimeLimitExceeded()),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.get(reverse("complaints:dossier-download", args=[large_complaint.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        url = reverse("complaints:dossier-download", args=[large_complaint.pk])
        again = client.get(url)  # the page's "Try again" link

    timed_out, retried = DossierExport.objects.order_by("pk")
    assert timed_out.status == DossierExportStatus.FAILED
    assert retried.status == DossierExportStatus.DONE
    assert again["Location"] == reverse("complaints:dossier-status", args=[large_complaint.pk, retried.pk])


def test_the_hard_time_limit_marks_the_running_export_failed(consumer, large_complaint):
    export = DossierExport.objects.create(
        complaint=large_complaint, requested_by=consumer, status=DossierExportStatus.RUNNING, progress=40
    )

    # What the worker's main process calls once it has killed the child that was rendering.
    render_dossier_task.on_failure(TimeLimitExceeded(360), "task-id", (export.pk,), {}, None)

    export.refresh_from_db()
    assert (export.status, export.error) == (DossierExportStatus.FAILED, DossierExport.TIMED_OUT)


def test_a_soft_time_limit_outside_the_render_still_marks_the_export_failed(consumer, large_complaint):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)

    with mock.patch("complaints.dossier.dossier_export_run", side_effect=SoftTimeLimitExceeded()):
        assert render_dossier_task.apply(args=(export.pk,)).failed()

    export.refresh_from_db()
    assert (export.status, export.error) == (DossierExportStatus.FAILED, DossierExport.TIMED_OUT)


def test_the_hard_time_limit_leaves_a_finished_export_alone(consumer, large_complaint):
    export = DossierExport.objects.create(complaint=large_complaint, requested_by=consumer)
    dossier_export_run(export.pk)

    render_dossier_task.on_failure(TimeLimitExceeded(360), "task-id", (export.pk,), {}, None)

    export.refresh_from_db()
    assert export.status == DossierExportStatus.DONE
