"""The desk's notices: their PDF text (ground, article, Art. 39 routes), storage with a hash, who may read them."""

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from complaints.models import ClockKind, Deadline, EventKind, NoticeKind
from regulation import desk
from regulation.models import Notice
from regulation.notices import CONSUMER_LAW_ART39_ROUTES, notice_issue, notice_render, notices_issue_pending
from tests.factories import ConsumerFactory, StaffFactory
from tests.fixtures_roles import client_for
from tests.pdf_reading import compact, pdf_text
from tests.regulation.desk_helpers import escalated_complaint, mediated_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def refused(regulator, consumer=None):
    complaint = escalated_complaint(consumer)
    desk.complaint_refuse(
        complaint_id=complaint.pk, by=regulator, ground="art16_2", reason="该争议已由区消费者协会调解处理"
    )
    return Notice.objects.get(complaint=complaint, kind=NoticeKind.REFUSAL)


def terminated(regulator, platform=None):
    complaint = mediated_complaint(regulator, platform=platform)
    desk.complaint_terminate_mediation(complaint_id=complaint.pk, by=regulator, ground="art23_3", reason="平台明确拒绝")
    return Notice.objects.get(complaint=complaint, kind=NoticeKind.TERMINATION)


def test_refusal_notice_names_the_ground_its_article_the_reason_and_the_art39_routes(regulator):
    text = compact(pdf_text(notice_render(refused(regulator))))
    assert "不予受理告知书" in text
    assert "art16_2" in text and "令第121号第十六条第（二）项" in text
    assert compact("消费者协会已经受理或者处理过同一消费者权益争议") in text
    assert "该争议已由区消费者协会调解处理" in text
    assert "消费者权益保护法》第三十九条" in text
    for route in CONSUMER_LAW_ART39_ROUTES:
        assert compact(route) in text


def test_termination_notice_names_the_ground_and_the_art25_routes(regulator):
    text = compact(pdf_text(notice_render(terminated(regulator))))
    assert "终止调解告知书" in text and "令第121号第二十三条第一款第（三）项" in text and "art23_3" in text
    assert "第二十五条" in text
    for route in CONSUMER_LAW_ART39_ROUTES:
        assert compact(route) in text


def test_acceptance_notice_states_the_sixty_day_mediation_period(regulator):
    complaint = escalated_complaint()
    desk.complaint_accept_for_mediation(complaint_id=complaint.pk, by=regulator)
    text = compact(pdf_text(notice_render(Notice.objects.get(complaint=complaint))))
    assert "受理告知书" in text and "第十五条" in text and "六十日" in text


def test_issuing_stores_the_pdf_with_its_sha256_and_chains_an_event(regulator):
    notice = notice_issue(notice_id=refused(regulator).pk)
    with notice.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == notice.sha256
    event = notice.complaint.events.order_by("-sequence").first()
    assert (event.kind, event.data["sha256"], event.data["addressed_to"]) == (
        EventKind.NOTICE_ISSUED,
        notice.sha256,
        ["consumer"],
    )


def test_issuing_twice_renders_and_records_once(regulator):
    notice = refused(regulator)
    first = notice_issue(notice_id=notice.pk)
    events = notice.complaint.events.count()
    second = notice_issue(notice_id=notice.pk)
    assert (second.sha256, second.issued_at) == (first.sha256, first.issued_at)
    assert notice.complaint.events.count() == events


def test_issuing_the_termination_notice_meets_its_clock(regulator):
    notice = notice_issue(notice_id=terminated(regulator).pk)
    clock = Deadline.objects.get(complaint=notice.complaint, kind=ClockKind.TERMINATION_NOTICE)
    assert clock.met_at == notice.issued_at


def test_beat_issues_every_pending_notice(regulator):
    refused(regulator)
    terminated(regulator)
    assert notices_issue_pending() == 3  # the refusal, and the acceptance and termination of the other
    assert not Notice.objects.filter(issued_at=None).exists()


# --- who may read a notice -----------------------------------------------------------------------------------


def download(user, notice):
    client = Client()
    client.force_login(user)
    return client.get(reverse("regulation:notice-pdf", args=[notice.pk]))


def test_consumer_downloads_the_refusal_notice_as_stored(regulator):
    notice = refused(regulator)
    response = download(notice.complaint.consumer, notice)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == response["X-Content-SHA256"]


def test_platform_staff_download_the_termination_notice_addressed_to_them(regulator, platform):
    notice = terminated(regulator, platform=platform)
    assert download(StaffFactory(platform=platform), notice).status_code == 200


def test_platform_staff_cannot_read_a_refusal_addressed_to_the_consumer(regulator, platform):
    notice = refused(regulator)
    assert download(StaffFactory(platform=notice.complaint.platform), notice).status_code == 404


def test_another_consumer_cannot_read_a_notice(regulator):
    assert download(ConsumerFactory(), refused(regulator)).status_code == 404


def test_api_lists_only_the_notices_addressed_to_the_platform(regulator, platform):
    terminated(regulator, platform=platform)
    response = client_for(StaffFactory(platform=platform)).get(reverse("regulation_api:notice-list"))
    kinds = sorted(row["kind"] for row in response.json()["results"])
    assert kinds == [NoticeKind.ACCEPTANCE, NoticeKind.TERMINATION]


def test_api_notice_pdf_for_the_consumer(regulator):
    notice = refused(regulator)
    response = client_for(notice.complaint.consumer).get(reverse("regulation_api:notice-pdf", args=[notice.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


# --- the complaint page ------------------------------------------------------------------------------------


def page(user, complaint):
    client = Client()
    client.force_login(user)
    return client.get(reverse("complaints:complaint-detail", args=[complaint.pk])).content.decode()


def test_consumer_page_shows_the_desk_events_and_links_the_issued_notice(regulator):
    notice = notice_issue(notice_id=refused(regulator).pk)
    html = page(notice.complaint.consumer, notice.complaint)
    assert notice.number in html and "art16_2" in html
    assert reverse("regulation:notice-pdf", args=[notice.pk]) in html


def test_platform_page_links_only_the_notices_addressed_to_the_platform(regulator, platform):
    termination = notice_issue(notice_id=terminated(regulator, platform=platform).pk)
    html = page(StaffFactory(platform=platform), termination.complaint)
    assert reverse("regulation:notice-pdf", args=[termination.pk]) in html
    refusal = notice_issue(notice_id=refused(regulator).pk)
    html = page(StaffFactory(platform=refusal.complaint.platform), refusal.complaint)
    assert reverse("regulation:notice-pdf", args=[refusal.pk]) not in html
