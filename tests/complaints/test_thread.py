"""A complaint's message thread: the service (chained event, status and clocks untouched, attachments as
evidence, all or nothing, notifications), who may post, and the pages that show it."""

import hashlib
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from complaints import services
from complaints.events import verify_chain
from complaints.models import Deadline, Event, EventKind, Evidence, Message, Party, Status
from complaints.thread import message_post
from portal.errors import IllegalTransition
from portal.models import OutboxMessage
from tests.factories import ConsumerFactory, StaffFactory, file_complaint, image_upload
from tests.fixtures_roles import make_api_key
from tests.offices import build_tree, platform_in

pytestmark = pytest.mark.django_db

DISGUISED_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 120


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def clock_state(complaint) -> list[tuple]:
    return list(
        Deadline.objects.filter(complaint=complaint)
        .order_by("pk")
        .values_list("kind", "due_at", "met_at", "breached_at", "paused_at", "paused_seconds", "cancelled_at")
    )


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- the service -------------------------------------------------------------------------------------------


def test_a_message_changes_neither_status_nor_clocks_nor_the_inbox_order(complaint, consumer, agent):
    complaint.refresh_from_db()
    before = (complaint.status, complaint.platform_due_at, complaint.is_overdue, clock_state(complaint))

    message_post(complaint_id=complaint.pk, by=consumer, body="请再查一下，我还没收到卡密。")
    message_post(complaint_id=complaint.pk, by=agent, body="已在核查，请稍候。")

    complaint.refresh_from_db()
    assert (complaint.status, complaint.platform_due_at, complaint.is_overdue, clock_state(complaint)) == before


def test_a_message_appends_one_chained_event_with_the_body_hash_and_the_chain_verifies(complaint, consumer):
    head = complaint.event_count

    message = message_post(complaint_id=complaint.pk, by=consumer, body="请再查一下。")

    complaint.refresh_from_db()
    event = Event.objects.get(complaint=complaint, kind=EventKind.MESSAGE_POSTED)
    assert (complaint.event_count, event.sequence) == (head + 1, head + 1)
    assert event.data == {
        "message_id": message.pk,
        "party": "consumer",
        "body_sha256": hashlib.sha256("请再查一下。".encode()).hexdigest(),
        "attachments": [],
    }
    assert verify_chain(complaint) is None


def test_an_edited_message_body_breaks_the_chain(complaint, consumer):
    message = message_post(complaint_id=complaint.pk, by=consumer, body="原话")
    Message.objects.filter(pk=message.pk).update(body="改过的话")

    complaint.refresh_from_db()
    assert verify_chain(complaint).reason == f"message {message.pk} body altered"


def test_attachments_are_evidence_of_the_complaint_with_their_hashes_in_the_event(complaint, consumer):
    message = message_post(complaint_id=complaint.pk, by=consumer, body="截图如下", files=[image_upload("截图.png")])

    evidence = Evidence.objects.get(complaint=complaint)
    assert list(message.attachments.all()) == [evidence]
    assert (evidence.party, evidence.content_type, evidence.kind) == (Party.CONSUMER, "image/png", "other")
    kinds = list(Event.objects.filter(complaint=complaint).order_by("sequence").values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.EVIDENCE_ADDED, EventKind.MESSAGE_POSTED]
    event = Event.objects.get(complaint=complaint, kind=EventKind.MESSAGE_POSTED)
    assert event.data["attachments"] == [evidence.sha256]
    complaint.refresh_from_db()
    assert verify_chain(complaint) is None


def test_a_rejected_attachment_stores_nothing(settings, complaint, consumer):
    events = complaint.event_count
    exe = SimpleUploadedFile("screenshot.jpg", DISGUISED_EXE, content_type="image/jpeg")

    with pytest.raises(ValidationError) as refused:
        message_post(complaint_id=complaint.pk, by=consumer, body="看附件", files=[image_upload(), exe])

    assert list(refused.value.message_dict) == ["files"]
    assert "screenshot.jpg" in refused.value.message_dict["files"][0]
    complaint.refresh_from_db()
    assert complaint.event_count == events
    assert not Message.objects.exists() and not Evidence.objects.exists()
    assert stored_files(settings) == []
    assert not OutboxMessage.objects.filter(template="complaint_message").exists()


def test_a_failure_after_the_files_were_written_removes_them(settings, complaint, consumer, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Message.objects, "create", broken)
    with pytest.raises(RuntimeError):
        message_post(complaint_id=complaint.pk, by=consumer, body="看附件", files=[image_upload()])

    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("body", ["", "   \n "])
def test_an_empty_message_is_a_field_error(complaint, consumer, body):
    with pytest.raises(ValidationError) as refused:
        message_post(complaint_id=complaint.pk, by=consumer, body=body)
    assert refused.value.message_dict == {"body": ["Write a message."]}


def test_too_many_files_is_a_field_error(settings, complaint, consumer):
    settings.PORTAL_MESSAGE_MAX_FILES = 2
    with pytest.raises(ValidationError) as refused:
        message_post(complaint_id=complaint.pk, by=consumer, body="多个文件", files=[image_upload()] * 3)
    assert refused.value.message_dict == {"files": ["Attach at most 2 files to one message."]}


def test_the_complaints_evidence_cap_counts_attachments(settings, complaint, consumer):
    settings.PORTAL_EVIDENCE_MAX_FILES = 1
    services.complaint_add_evidence(complaint_id=complaint.pk, by=consumer, files=[(image_upload(), "other")])
    with pytest.raises(ValidationError) as refused:
        message_post(complaint_id=complaint.pk, by=consumer, body="再来一张", files=[image_upload("b.png")])
    assert refused.value.message_dict == {"files": ["A complaint can have at most 1 evidence files."]}
    assert not Message.objects.exists()


@pytest.mark.parametrize("finish", ["withdrawn", "resolved"])
def test_a_finished_complaint_takes_no_message(complaint, consumer, agent, finish):
    if finish == "withdrawn":
        services.complaint_withdraw(complaint_id=complaint.pk, by=consumer)
    else:
        services.complaint_respond(
            complaint_id=complaint.pk,
            by=agent,
            outcome="refunded",
            message="已退款",
            refund_amount="199.00",
            refund_reference="RF1",
        )
        services.complaint_accept(complaint_id=complaint.pk, by=consumer, rating=5)

    with pytest.raises(IllegalTransition) as refused:
        message_post(complaint_id=complaint.pk, by=consumer, body="还在吗？")
    assert refused.value.status_code == 409
    assert "takes no new messages" in refused.value.message
    assert not Message.objects.exists()


# --- who posts, as which party ------------------------------------------------------------------------------


def test_each_party_posts_as_itself(complaint, consumer, agent, platform, regulator):
    from platforms.authentication import ApiKeyUser
    from platforms.models import ApiKey

    make_api_key(platform)
    key_user = ApiKeyUser(ApiKey.objects.get(platform=platform))
    parties = [
        message_post(complaint_id=complaint.pk, by=user, body=f"来自 {index}").party
        for index, user in enumerate([consumer, agent, key_user, regulator])
    ]
    assert parties == ["consumer", "platform", "platform", "regulator"]
    key_message = Message.objects.get(party="platform", author__isnull=True)
    assert key_message.api_key.platform == platform


@pytest.mark.parametrize("stranger", ["other_consumer", "other_agent"])
def test_strangers_find_no_complaint_to_post_on(request, complaint, stranger):
    with pytest.raises(Http404):
        message_post(complaint_id=complaint.pk, by=request.getfixturevalue(stranger), body="你好")
    assert not Message.objects.exists()


def test_a_regulator_outside_the_office_scope_finds_no_complaint_and_one_inside_posts():
    tree = build_tree()
    complaint = file_complaint(ConsumerFactory(), platform_in(tree.district_a))

    with pytest.raises(Http404):
        message_post(complaint_id=complaint.pk, by=tree.regulator("b"), body="兄弟单位")
    message = message_post(complaint_id=complaint.pk, by=tree.regulator("city"), body="请平台尽快核实。")
    assert message.party == Party.REGULATOR


def test_a_consumer_who_is_no_party_to_the_complaint_may_not_post(complaint):
    from complaints.thread import thread_party

    with pytest.raises(PermissionDenied):
        thread_party(ConsumerFactory(), complaint)


# --- notifications -----------------------------------------------------------------------------------------


def test_the_consumers_message_is_emailed_to_the_platform_only(complaint, consumer, agent, platform):
    message_post(complaint_id=complaint.pk, by=consumer, body="请再查一下。")

    row = OutboxMessage.objects.get(template="complaint_message")
    assert sorted(row.recipients) == sorted([agent.email, platform.contact_email])
    assert row.complaint_id == complaint.pk
    assert row.context["body"] == "请再查一下。" and row.context["party"] == "consumer"
    assert row.context["url"].endswith(f"/complaints/{complaint.pk}/#thread")


def test_the_platforms_message_is_emailed_to_the_consumer_only(complaint, consumer, agent):
    message_post(complaint_id=complaint.pk, by=agent, body="请提供支付截图。")

    assert OutboxMessage.objects.get(template="complaint_message").recipients == [consumer.email]


def test_a_regulators_message_reaches_both_parties(complaint, consumer, agent, platform, regulator):
    message_post(complaint_id=complaint.pk, by=regulator, body="请双方补充材料。")

    recipients = OutboxMessage.objects.get(template="complaint_message").recipients
    assert sorted(recipients) == sorted([consumer.email, agent.email, platform.contact_email])


def test_an_escalated_complaints_regulators_hear_of_messages(settings, complaint, consumer, agent, regulator):
    services.complaint_respond(
        complaint_id=complaint.pk,
        by=agent,
        outcome="rejected",
        message="订单已发货，不予处理。",
        rejection_reason="already_delivered",
    )
    services.complaint_dispute(complaint_id=complaint.pk, by=consumer, reason="没有收到。")
    services.complaint_escalate(complaint_id=complaint.pk, by=consumer, reason="平台不处理。")

    message_post(complaint_id=complaint.pk, by=consumer, body="补充：聊天记录。")

    assert regulator.email in OutboxMessage.objects.get(template="complaint_message").recipients


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_email_renders_in_both_languages(complaint, consumer, language):
    from django.template.loader import render_to_string

    message_post(complaint_id=complaint.pk, by=consumer, body="请再查一下。", files=[image_upload()])
    context = OutboxMessage.objects.get(template="complaint_message").context
    with translation.override(language):
        subject = render_to_string("emails/complaint_message.subject.txt", context).strip()
        text = render_to_string("emails/complaint_message.txt", context)
    assert complaint.reference in subject and "\n" not in subject
    assert "请再查一下。" in text and text.count("#thread") == 1


# --- pages -------------------------------------------------------------------------------------------------


@pytest.fixture
def logged_in(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


def test_the_complaint_page_shows_the_thread_with_attachments(logged_in, complaint, consumer, agent):
    message_post(complaint_id=complaint.pk, by=agent, body="请提供支付截图。")
    message_post(complaint_id=complaint.pk, by=consumer, body="截图如下", files=[image_upload("支付.png")])

    html = logged_in(consumer).get(reverse("complaints:complaint-detail", args=[complaint.pk])).content.decode()

    assert html.index("请提供支付截图。") < html.index("截图如下")
    evidence = Evidence.objects.get()
    assert reverse("complaints:complaint-evidence-download", args=[evidence.pk]) in html
    assert agent.username not in html  # the consumer sees the platform, not who at the platform wrote
    assert f'action="/complaints/{complaint.pk}/messages/"' in html


def test_posting_from_the_complaint_page_keeps_status_and_shows_the_message(logged_in, complaint, consumer):
    client = logged_in(consumer)
    response = client.post(
        reverse("complaints:complaint-message-post", args=[complaint.pk]),
        {"body": "请再查一下。", "files": [image_upload()]},
    )

    assert response.status_code == 302 and response["Location"].endswith("#thread")
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_PLATFORM
    assert Message.objects.get().attachments.count() == 1


def test_a_rejected_file_on_the_page_keeps_the_message_and_names_the_file(logged_in, complaint, consumer):
    exe = SimpleUploadedFile("screenshot.jpg", DISGUISED_EXE, content_type="image/jpeg")
    response = logged_in(consumer).post(
        reverse("complaints:complaint-message-post", args=[complaint.pk]), {"body": "我的截图", "files": [exe]}
    )

    assert response.status_code == 200
    form = response.context["thread_form"]
    assert "screenshot.jpg" in form.errors["files"][0]
    assert "我的截图</textarea>" in response.content.decode()
    assert not Message.objects.exists() and not Evidence.objects.exists()


def test_a_withdrawn_complaint_page_says_the_thread_is_closed(logged_in, complaint, consumer):
    message_post(complaint_id=complaint.pk, by=consumer, body="之前的留言")
    services.complaint_withdraw(complaint_id=complaint.pk, by=consumer)
    client = logged_in(consumer)

    html = client.get(reverse("complaints:complaint-detail", args=[complaint.pk])).content.decode()
    assert "its thread takes no new messages" in html and "之前的留言" in html
    assert "thread_body" not in html

    response = client.post(reverse("complaints:complaint-message-post", args=[complaint.pk]), {"body": "还在吗"})
    assert response.status_code == 409
    assert "takes no new messages" in response.content.decode()
    assert "还在吗</textarea>" not in response.content.decode()  # no form on a finished complaint


@pytest.mark.parametrize("role", ["consumer", "agent", "regulator"])
def test_detail_page_ids_stay_unique_with_the_thread(logged_in, request, complaint, consumer, role):
    message_post(complaint_id=complaint.pk, by=consumer, body="第一条", files=[image_upload()])
    message_post(complaint_id=complaint.pk, by=request.getfixturevalue("agent"), body="第二条")

    html = (
        logged_in(request.getfixturevalue(role))
        .get(reverse("complaints:complaint-detail", args=[complaint.pk]))
        .content.decode()
    )

    ids = re.findall(r'\sid="([^"]+)"', html)
    assert "thread_body" in ids and "thread_files" in ids
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    for label_for in re.findall(r'<label[^>]*\sfor="([^"]+)"', html):
        assert label_for in ids


def test_the_answer_page_shows_the_thread_and_posts_on_it(logged_in, complaint, consumer, agent):
    message_post(complaint_id=complaint.pk, by=consumer, body="请再查一下。")
    client = logged_in(agent)
    url = reverse("complaints:respond-complaint", args=[complaint.pk])

    html = client.get(url).content.decode()
    assert "请再查一下。" in html
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []

    response = client.post(reverse("complaints:respond-message", args=[complaint.pk]), {"body": "已补发，请查收。"})
    assert response.status_code == 302 and response["Location"] == url + "#thread"
    assert Message.objects.filter(party="platform", author=agent).exists()
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_PLATFORM


def test_the_answer_page_keeps_an_invalid_message(logged_in, complaint, agent):
    response = logged_in(agent).post(reverse("complaints:respond-message", args=[complaint.pk]), {"body": "  "})
    assert response.status_code == 200
    assert response.context["thread_form"].errors["body"]
    assert not Message.objects.exists()


def test_another_platforms_staff_cannot_post_from_the_answer_page(logged_in, complaint):
    response = logged_in(StaffFactory()).post(
        reverse("complaints:respond-message", args=[complaint.pk]), {"body": "串门"}
    )
    assert response.status_code == 404
    assert not Message.objects.exists()


def test_the_complaint_page_reads_the_thread_in_a_fixed_number_of_queries(
    logged_in, complaint, consumer, agent, django_assert_max_num_queries
):
    client = logged_in(consumer)
    url = reverse("complaints:complaint-detail", args=[complaint.pk])
    message_post(complaint_id=complaint.pk, by=agent, body="一")
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for index in range(6):
        message_post(complaint_id=complaint.pk, by=consumer, body=f"第{index}条", files=[image_upload(f"{index}.png")])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_admin_change_view_shows_the_thread_and_links_to_the_form(client, complaint, consumer, regulator):
    message_post(complaint_id=complaint.pk, by=consumer, body="请监管部门关注。")
    client.force_login(regulator)

    html = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).content.decode()

    assert "请监管部门关注。" in html
    assert f'href="/complaints/{complaint.pk}/#thread"' in html


def test_the_dossier_has_a_messages_section(complaint, consumer):
    from complaints.dossier import dossier_context

    message = message_post(complaint_id=complaint.pk, by=consumer, body="请再查一下。", files=[image_upload()])
    complaint.refresh_from_db()

    context = dossier_context(complaint)
    assert context["messages"] == [message]
    assert [e["event"].kind for e in context["events"]][-1] == EventKind.MESSAGE_POSTED


def test_the_timeline_names_the_message_and_its_files(complaint, consumer):
    from complaints.timeline import event_summary

    message_post(complaint_id=complaint.pk, by=consumer, body="看图", files=[image_upload(), image_upload("b.png")])
    event = Event.objects.get(kind=EventKind.MESSAGE_POSTED)
    assert event_summary(event) == "A message on the thread, with 2 attached files"
