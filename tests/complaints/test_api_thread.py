"""The thread over the API: GET and POST /api/v1/complaints/{id}/messages/ for every role against every
complaint, JSON and multipart bodies, field errors, 409 on a finished complaint, cursor pages, query counts and
the schema."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from complaints import services
from complaints.models import Event, EventKind, Evidence, Message, Status
from complaints.thread import message_post
from tests.factories import ConsumerFactory, StaffFactory, file_complaint, image_upload
from tests.fixtures_roles import client_for, make_api_key
from tests.offices import build_tree, platform_in

pytestmark = pytest.mark.django_db

DISGUISED_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 120


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def messages_url(complaint) -> str:
    return reverse("complaints_api:complaint-messages", args=[complaint.pk])


def with_files_url(complaint) -> str:
    return reverse("complaints_api:complaint-messages-with-files", args=[complaint.pk])


@pytest.fixture
def scene():
    """A complaint against a platform domiciled in district A, with every kind of caller around it."""
    tree = build_tree()
    platform = platform_in(tree.district_a)
    other_platform = platform_in(tree.district_b)
    consumer = ConsumerFactory()
    complaint = file_complaint(consumer, platform)
    message_post(complaint_id=complaint.pk, by=consumer, body="第一条留言")
    return {
        "complaint": complaint,
        "clients": {
            "consumer_own": client_for(consumer),
            "consumer_other": client_for(ConsumerFactory()),
            "staff_own_platform": client_for(StaffFactory(platform=platform)),
            "staff_other_platform": client_for(StaffFactory(platform=other_platform)),
            "api_key_own_platform": client_for(api_key=make_api_key(platform)),
            "api_key_other_platform": client_for(api_key=make_api_key(other_platform)),
            "regulator_in_scope": client_for(tree.regulator("city")),
            "regulator_same_office": client_for(tree.regulator("a")),
            "regulator_out_of_scope": client_for(tree.regulator("b")),
            "anonymous": client_for(),
        },
    }


# caller → (GET status, POST status, party the post is recorded as)
MATRIX = {
    "consumer_own": (200, 201, "consumer"),
    "consumer_other": (404, 404, None),
    "staff_own_platform": (200, 201, "platform"),
    "staff_other_platform": (404, 404, None),
    "api_key_own_platform": (200, 201, "platform"),
    "api_key_other_platform": (404, 404, None),
    "regulator_in_scope": (200, 201, "regulator"),
    "regulator_same_office": (200, 201, "regulator"),
    "regulator_out_of_scope": (404, 404, None),
    "anonymous": (401, 401, None),
}


@pytest.mark.parametrize("caller", MATRIX)
def test_who_reads_the_thread(scene, caller):
    response = scene["clients"][caller].get(messages_url(scene["complaint"]))

    assert response.status_code == MATRIX[caller][0]
    if response.status_code == 200:
        assert [m["body"] for m in response.json()["results"]] == ["第一条留言"]


@pytest.mark.parametrize("caller", MATRIX)
def test_who_posts_on_the_thread_and_as_which_party(scene, caller):
    complaint = scene["complaint"]
    response = scene["clients"][caller].post(messages_url(complaint), {"body": "请核实"}, format="json")

    _read, expected_status, party = MATRIX[caller]
    assert response.status_code == expected_status, response.content
    posted = Message.objects.filter(complaint=complaint, body="请核实")
    if party is None:
        assert not posted.exists()
    else:
        assert response.json()["party"] == party == posted.get().party


def test_a_json_post_keeps_status_and_clocks_and_answers_the_message(complaint, consumer):
    complaint.refresh_from_db()
    before = (complaint.status, complaint.platform_due_at)

    response = client_for(consumer).post(messages_url(complaint), {"body": "请再查一下。"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["party"], body["body"], body["attachments"], body["author"]) == ("consumer", "请再查一下。", [], None)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.platform_due_at) == before
    assert Event.objects.filter(complaint=complaint, kind=EventKind.MESSAGE_POSTED).count() == 1


def test_a_multipart_post_attaches_files_as_evidence(complaint, agent):
    response = client_for(agent).post(
        with_files_url(complaint),
        {"body": "已补发，见截图。", "files": [image_upload("补发.png")], "kind": "delivery_proof"},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    attachment = response.json()["attachments"][0]
    evidence = Evidence.objects.get(pk=attachment["id"])
    assert (evidence.kind, evidence.party, attachment["sha256"]) == ("delivery_proof", "platform", evidence.sha256)
    assert attachment["download_url"].endswith(f"/api/v1/evidence/{evidence.pk}/download/")
    assert response.json()["author"] == agent.username


def test_a_rejected_attachment_is_a_400_on_files_and_stores_nothing(complaint, consumer):
    exe = SimpleUploadedFile("screenshot.jpg", DISGUISED_EXE, content_type="image/jpeg")
    payload = {"body": "截图", "files": [exe]}
    response = client_for(consumer).post(with_files_url(complaint), payload, format="multipart")

    assert response.status_code == 400
    assert list(response.json()) == ["files"]
    assert "screenshot.jpg" in response.json()["files"][0]
    assert not Message.objects.exists() and not Evidence.objects.exists()


@pytest.mark.parametrize("payload", [{}, {"body": ""}, {"body": "   "}, {"body": "长" * 2001}])
def test_a_missing_empty_or_overlong_body_is_a_400_on_body(complaint, consumer, payload):
    response = client_for(consumer).post(messages_url(complaint), payload, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["body"]
    assert not Message.objects.exists()


def test_each_endpoint_parses_only_the_body_type_it_declares(complaint, consumer):
    client = client_for(consumer)

    form = client.post(messages_url(complaint), "body=hi", content_type="application/x-www-form-urlencoded")
    multipart_to_json = client.post(messages_url(complaint), {"body": "hi"}, format="multipart")
    json_to_multipart = client.post(with_files_url(complaint), {"body": "hi"}, format="json")

    assert (form.status_code, multipart_to_json.status_code, json_to_multipart.status_code) == (415, 415, 415)
    assert not Message.objects.exists()


def test_a_message_without_files_may_go_to_the_multipart_endpoint_too(complaint, consumer):
    response = client_for(consumer).post(with_files_url(complaint), {"body": "没有附件"}, format="multipart")
    assert response.status_code == 201 and response.json()["attachments"] == []


@pytest.mark.parametrize("caller", MATRIX)
def test_who_posts_with_files(scene, caller):
    complaint = scene["complaint"]
    response = scene["clients"][caller].post(
        with_files_url(complaint), {"body": "附件", "files": [image_upload()]}, format="multipart"
    )

    assert response.status_code == MATRIX[caller][1]
    stored = Evidence.objects.filter(complaint=complaint)
    assert stored.count() == (1 if MATRIX[caller][2] else 0)


def test_posting_on_a_withdrawn_complaint_is_409(complaint, consumer, agent):
    services.complaint_withdraw(complaint_id=complaint.pk, by=consumer)

    response = client_for(agent).post(messages_url(complaint), {"body": "还需要处理吗？"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "thread_closed"
    assert client_for(agent).get(messages_url(complaint)).status_code == 200


def test_the_consumer_sees_parties_and_staff_see_who_wrote(complaint, consumer, agent):
    message_post(complaint_id=complaint.pk, by=agent, body="请提供截图")

    as_consumer = client_for(consumer).get(messages_url(complaint)).json()["results"]
    as_staff = client_for(agent).get(messages_url(complaint)).json()["results"]

    assert [(m["party"], m["author"]) for m in as_consumer] == [("platform", None)]
    assert [(m["party"], m["author"]) for m in as_staff] == [("platform", agent.username)]


def test_the_thread_pages_by_cursor(complaint, consumer):
    for index in range(5):
        message_post(complaint_id=complaint.pk, by=consumer, body=f"第{index}条")
    client = client_for(consumer)

    first = client.get(messages_url(complaint), {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    newest = client.get(messages_url(complaint), {"page_size": 2, "ordering": "-created_at"}).json()

    assert [m["body"] for m in first["results"]] == ["第0条", "第1条"]
    assert [m["body"] for m in second["results"]] == ["第2条", "第3条"]
    assert [m["body"] for m in newest["results"]] == ["第4条", "第3条"]


@pytest.mark.parametrize("count", [1, 12])
def test_the_thread_list_takes_a_fixed_number_of_queries(
    complaint, consumer, agent, count, django_assert_max_num_queries
):
    for index in range(count):
        message_post(
            complaint_id=complaint.pk, by=agent if index % 2 else consumer, body=f"第{index}条", files=[image_upload()]
        )
    client = client_for(agent)

    # The complaint, the messages with their authors and keys, their attachments.
    with django_assert_max_num_queries(3):
        response = client.get(messages_url(complaint))
    assert len(response.json()["results"]) == count


def test_the_schema_declares_one_body_type_per_operation():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = schema["paths"]["/api/v1/complaints/{id}/messages/"]
    with_files = schema["paths"]["/api/v1/complaints/{id}/messages/with-files/"]["post"]

    assert list(operations["post"]["requestBody"]["content"]) == ["application/json"]
    assert list(with_files["requestBody"]["content"]) == ["multipart/form-data"]
    multipart = with_files["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "files" in schema["components"]["schemas"][multipart]["properties"]
    assert set(operations["post"]["responses"]) >= {"201", "400", "403", "404", "409"}
    assert set(with_files["responses"]) >= {"201", "400", "403", "404", "409", "413"}
    assert {p["name"] for p in operations["get"]["parameters"]} >= {"cursor", "page_size", "ordering"}


def test_status_stays_after_the_platform_answers_on_the_thread(complaint, agent):
    client_for(agent).post(messages_url(complaint), {"body": "正在核查"}, format="json")
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_PLATFORM
    assert complaint.first_answered_at is None  # a message is not an answer: the first-response clock runs on
