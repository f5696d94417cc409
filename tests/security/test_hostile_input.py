"""Hostile files and hostile text through the real HTTP endpoints.

The byte-level rules of ``complaints.uploads`` are tested in tests/complaints/test_uploads.py; here the same
kinds of attack go through the web uploader and the API, and the assertions are about what the portal then
does: a clear 400 with a field message and nothing stored, or an inert file served only as a sandboxed
attachment. Markup typed into every text field must come out escaped on every page and in the PDF.
"""

import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import Complaint, Evidence
from complaints.services import complaint_add_note, complaint_dispute, complaint_respond, complaint_set_publication
from tests.complaints.test_uploads import image_bytes, pdf_bytes, png_declaring
from tests.factories import file_complaint
from tests.fixtures_roles import client_for
from tests.pdf_reading import pdf_text

pytestmark = pytest.mark.django_db

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50 + b"PE\x00\x00"
SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'

# (file name, bytes, the rejection code the uploader gets)
REFUSED = [
    pytest.param(
        "photo.gif", image_bytes("GIF") + b"<script>alert(document.cookie)</script>", "polyglot", id="gif-html-polyglot"
    ),
    pytest.param("photo.png", SVG_WITH_SCRIPT, "type_not_allowed", id="svg-with-script-named-png"),
    pytest.param("drawing.svg", SVG_WITH_SCRIPT, "type_not_allowed", id="svg-with-script"),
    pytest.param("photo.png", PE, "type_not_allowed", id="pe-executable-named-png"),
    pytest.param("photo.png", ELF, "type_not_allowed", id="elf-executable-named-png"),
    pytest.param("empty.png", b"", "empty", id="zero-bytes"),
    pytest.param("bomb.png", png_declaring(30000, 30000), "image_too_large", id="decompression-bomb-png"),
    pytest.param("receipt.pdf", pdf_bytes(b"/Names << /JavaScript 5 0 R >>"), "active_pdf", id="pdf-javascript"),
    pytest.param(
        "receipt.pdf",
        pdf_bytes(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        "active_pdf",
        id="pdf-openaction",
    ),
    pytest.param(
        "page.html",
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        "type_not_allowed",
        id="html",
    ),
]


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def upload_through_web(client, complaint, name: str, content: bytes):
    """The page's uploader (it asks for JSON); the plain form post is tested in test_views_consumer."""
    return client.post(
        reverse("complaints:complaint-evidence-add", args=[complaint.pk]),
        {"evidence_files": SimpleUploadedFile(name, content), "evidence_kind": "order_screenshot"},
        HTTP_ACCEPT="application/json",
    )


def upload_through_api(client, complaint, name: str, content: bytes):
    return client.post(
        reverse("complaints_api:complaint-evidence", args=[complaint.pk]),
        {"file": SimpleUploadedFile(name, content), "kind": "order_screenshot"},
        format="multipart",
    )


def field_messages(response, channel: str) -> list[str]:
    body = response.json()
    return body["errors"]["evidence_files"] if channel == "web" else body["file"]


@pytest.fixture
def uploader(client, consumer):
    client.force_login(consumer)
    channels = {
        "web": lambda complaint, name, content: upload_through_web(client, complaint, name, content),
        "api": lambda complaint, name, content: upload_through_api(client_for(consumer), complaint, name, content),
    }
    return channels


@pytest.mark.parametrize("channel", ["web", "api"])
@pytest.mark.parametrize(("name", "content", "code"), REFUSED)
def test_hostile_file_is_refused_with_a_field_message_and_nothing_stored(
    media_root, uploader, complaint, channel, name, content, code
):
    files_before = stored_files(media_root)

    response = uploader[channel](complaint, name, content)

    assert response.status_code == 400
    assert field_messages(response, channel)
    assert not Evidence.objects.filter(complaint=complaint).exists()
    assert stored_files(media_root) == files_before
    assert not complaint.events.filter(kind="evidence_added").exists()


@pytest.mark.parametrize("channel", ["web", "api"])
def test_file_over_the_size_cap_is_refused(media_root, settings, uploader, complaint, channel):
    settings.PORTAL_EVIDENCE_MAX_BYTES = 2048
    content = image_bytes("PNG", size=(400, 400), mode="RGB")
    content += b"\x00" * max(0, 4096 - len(content))  # padding after IEND: over the cap whatever PIL wrote

    response = uploader[channel](complaint, "big.png", content)

    assert response.status_code == 400
    assert "MB" in " ".join(field_messages(response, channel))
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("channel", ["web", "api"])
def test_one_bad_file_in_a_batch_stores_none_of_them(media_root, client, consumer, complaint, channel):
    good = SimpleUploadedFile("good.png", image_bytes("PNG"))
    bad = SimpleUploadedFile("bad.png", ELF)
    if channel == "web":
        client.force_login(consumer)
        response = client.post(
            reverse("complaints:complaint-evidence-add", args=[complaint.pk]),
            {"evidence_files": [good, bad], "evidence_kind": "order_screenshot"},
            HTTP_ACCEPT="application/json",
        )
    else:
        response = client_for(consumer).post(
            reverse("complaints_api:complaint-evidence", args=[complaint.pk]),
            {"file": [good, bad], "kind": "order_screenshot"},
            format="multipart",
        )

    assert response.status_code == 400
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


# --- hostile names: sanitised for display, never used for storage ----------------------------------------

HOSTILE_NAMES = [
    pytest.param("../../../../etc/cron.d/evil.png", id="path-traversal"),
    pytest.param("..\\..\\windows\\system32\\evil.png", id="windows-traversal"),
    pytest.param("a\x00b\r\nc\x1b.png", id="control-characters"),
    pytest.param("invoice\u202egnp.exe", id="rtl-override"),
    pytest.param('"><img src=x onerror=alert(1)>.png', id="markup"),
]
# What a display name may never contain: path separators, control and bidi-override characters, and the
# characters that break out of HTML attributes or Content-Disposition.
UNSAFE_IN_NAME = re.compile(r'[/\\\x00-\x1f\x7f<>:"|?*\u202a-\u202e\u2066-\u2069]')
RANDOM_STORAGE_NAME = re.compile(r"^evidence/\d{4}/\d{2}/[0-9a-f]{32}$")


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_file_name_is_sanitised_and_the_file_stored_under_a_random_name(media_root, consumer, complaint, name):
    response = upload_through_api(client_for(consumer), complaint, name, image_bytes("PNG"))

    assert response.status_code == 201
    evidence = Evidence.objects.get()
    assert not UNSAFE_IN_NAME.search(evidence.original_name), evidence.original_name
    assert evidence.original_name.endswith(".png")
    assert not evidence.original_name.startswith(".")
    assert RANDOM_STORAGE_NAME.match(evidence.file.name), evidence.file.name
    stored = Path(evidence.file.path).resolve()
    assert stored.is_relative_to(Path(media_root).resolve())


def test_download_of_a_hostile_name_carries_no_control_or_bidi_characters(media_root, consumer, complaint):
    upload_through_api(client_for(consumer), complaint, "invoice\u202egnp\r\n.exe", image_bytes("PNG"))
    evidence = Evidence.objects.get()

    response = client_for(consumer).get(reverse("complaints_api:evidence-download", args=[evidence.pk]))

    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert not re.search(r"[\x00-\x1f\u202a-\u202e\u2066-\u2069]", disposition)


# --- what is accepted is inert ---------------------------------------------------------------------------

INERT_BUT_ACCEPTED = [
    pytest.param(
        "chat.txt",
        "客服：稍等\n<script>alert('km-xss')</script>\n".encode(),
        "text/plain",
        id="chat-log-quoting-script",
    ),
    pytest.param(
        "page.html", "聊天记录 <b>html</b> <script>alert(1)</script>".encode(), "text/plain", id="text-named-html"
    ),
    pytest.param("photo.png", image_bytes("PNG"), "image/png", id="real-png"),
]


@pytest.mark.parametrize("url_name", ["complaints_api:evidence-download", "complaints:complaint-evidence-download"])
@pytest.mark.parametrize(("name", "content", "content_type"), INERT_BUT_ACCEPTED)
def test_accepted_file_is_served_only_as_a_sandboxed_attachment(
    media_root, client, agent, consumer, complaint, url_name, name, content, content_type
):
    upload_through_api(client_for(consumer), complaint, name, content)
    evidence = Evidence.objects.get()
    client.force_login(agent)

    response = client.get(reverse(url_name, args=[evidence.pk]), HTTP_AUTHORIZATION="")
    if url_name.startswith("complaints_api:"):
        response = client_for(agent).get(reverse(url_name, args=[evidence.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert not response["Content-Disposition"].endswith((".html", ".htm", '.html"', '.svg"'))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == content


# --- markup in every text field ---------------------------------------------------------------------------

SCRIPT_MARKER = '<script>alert("km-xss")</script>'
ATTRIBUTE_MARKER = '"><img src=x onerror=alert(1)>'
HOSTILE_TEXT = f"{SCRIPT_MARKER} {ATTRIBUTE_MARKER} 卡密未到"
RAW_MARKUP = ('<script>alert("km-xss")', "<img src=x onerror=alert(1)>")


@pytest.fixture
def hostile_complaint(media_root, consumer, platform, agent):
    """Markup in the description, product, support promise, dispute reason, answer and internal note."""
    complaint = file_complaint(
        consumer,
        platform,
        description=f"付款后未发货。{HOSTILE_TEXT}",
        product_name=f"点券{SCRIPT_MARKER}",
        support_promise=f"24小时内补发{ATTRIBUTE_MARKER}",
        publish_consent=True,
    )
    complaint_respond(
        complaint_id=complaint.pk,
        by=agent,
        outcome="rejected",
        message=f"查无此单{HOSTILE_TEXT}",
        rejection_reason="not_our_order",
    )
    complaint_dispute(complaint_id=complaint.pk, by=consumer, reason=f"订单截图在此{HOSTILE_TEXT}")
    complaint_add_note(complaint_id=complaint.pk, by=agent, text=f"内部备注{HOSTILE_TEXT}")
    complaint_set_publication(complaint_id=complaint.pk, by=consumer, consent=True)
    complaint.refresh_from_db()
    return complaint


def assert_no_raw_markup(html: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in html, f"unescaped markup in the page: {raw}"


def assert_escaped(html: str) -> None:
    assert_no_raw_markup(html)
    assert "&lt;script&gt;alert(" in html, "the hostile text was not rendered at all"


@pytest.mark.parametrize("role", ["consumer", "agent", "regulator"])
def test_markup_in_text_fields_is_escaped_on_the_detail_page(client, request, hostile_complaint, role):
    client.force_login(request.getfixturevalue(role))

    html = client.get(reverse("complaints:complaint-detail", args=[hostile_complaint.pk])).content.decode()

    assert_escaped(html)


def test_markup_in_text_fields_is_escaped_on_the_answer_page(client, agent, hostile_complaint):
    client.force_login(agent)

    html = client.get(reverse("complaints:respond-complaint", args=[hostile_complaint.pk])).content.decode()

    assert_escaped(html)
    assert "内部备注" in html  # the internal note is on this page, escaped


def test_inbox_row_of_a_complaint_full_of_markup_has_none_of_it_raw(client, agent, hostile_complaint):
    client.force_login(agent)

    html = client.get(reverse("complaints:inbox-list")).content.decode()

    # The row shows the complaint's fields (no free text: the markup is in those only), none of it raw.
    row = html[html.index(hostile_complaint.reference) - 2000 : html.index(hostile_complaint.reference) + 3000]
    for shown in (hostile_complaint.get_status_display(), hostile_complaint.get_problem_display(),
                  f"¥{hostile_complaint.amount}"):  # fmt: skip
        assert shown in row, f"the inbox row does not show {shown}"
    assert_no_raw_markup(html)


def test_markup_in_text_fields_is_escaped_on_the_admin_change_page(client, regulator, hostile_complaint):
    client.force_login(regulator)

    html = client.get(reverse("admin:complaints_complaint_change", args=[hostile_complaint.pk])).content.decode()

    assert_escaped(html)


def test_markup_in_the_published_narrative_is_escaped_in_the_public_registry(client, platform, hostile_complaint):
    html = client.get(reverse("regulation:registry-detail", kwargs={"slug": platform.slug})).content.decode()

    assert "付款后未发货" in html  # the narrative is on the page
    assert_escaped(html)


def test_markup_in_text_fields_is_literal_text_in_the_dossier_pdf(client, consumer, hostile_complaint):
    client.force_login(consumer)
    response = client.get(reverse("complaints:dossier-download", args=[hostile_complaint.pk]))

    text = pdf_text(b"".join(response.streaming_content))

    assert '<script>alert("km-xss")' in re.sub(r"\s+", " ", text).replace("“", '"').replace("”", '"')


# --- NUL characters in looked-up names (PostgreSQL refuses to compare text containing them) ---------------

NUL_LOOKUPS = [
    pytest.param(
        "regulator",
        "post",
        "regulation_api:penalty-list",
        {"platform": "a\x00b", "kind": "warning"},
        "platform",
        id="penalty-platform",
    ),
    pytest.param(
        "consumer", "post", "complaints_api:complaint-list", {"platform": "a\x00b"}, "platform", id="filing-platform"
    ),
    pytest.param(
        "regulator", "get", "regulation_api:stats-trend", {"platform": "a\x00b"}, "platform", id="trend-platform"
    ),
    pytest.param(
        "agent", "post", "complaints_api:complaint-assign", {"assignee": "a\x00b"}, "assignee", id="assignee-username"
    ),
]


@pytest.mark.parametrize(("role", "method", "url_name", "data", "field"), NUL_LOOKUPS)
def test_nul_character_in_a_looked_up_name_is_a_field_error(request, complaint, role, method, url_name, data, field):
    client = client_for(request.getfixturevalue(role))
    url = reverse(url_name, args=[complaint.pk] if url_name == "complaints_api:complaint-assign" else None)

    response = client.get(url, data) if method == "get" else client.post(url, data, format="json")

    assert response.status_code == 400
    assert field in response.json()


# --- Hostile JSON bodies: nested too deep for Python's json, or too large (portal.parsers) ------------------

DEEP_LEVELS = 50_000  # ~100 KB: far past the interpreter's recursion limit


def deep_list() -> str:
    return "[" * DEEP_LEVELS + "]" * DEEP_LEVELS


def deep_object() -> str:
    return '{"a":' * (DEEP_LEVELS // 3) + "1" + "}" * (DEEP_LEVELS // 3)


def with_deep_field(valid: dict, field: str) -> str:
    """``valid`` as JSON with ``field`` holding a deeply nested value: the rest of the body is fine."""
    return json.dumps(valid)[:-1] + f', "{field}": {deep_object()}}}'


def oversized(valid: dict) -> str:
    from django.conf import settings

    return json.dumps({**valid, "description": "x" * settings.PORTAL_JSON_MAX_BYTES})


def hostile_bodies(valid: dict, field: str) -> list[tuple[str, str, str]]:
    """(case, body, what the message says) for each way a JSON body can be too much."""
    return [
        ("deep list", deep_list(), "nest deeper than 64 levels"),
        ("deep object", deep_object(), "nest deeper than 64 levels"),
        ("deep inside a valid field", with_deep_field(valid, field), "nest deeper than 64 levels"),
        ("oversized", oversized(valid), "larger than 1,048,576 bytes"),
    ]


@pytest.fixture
def json_endpoints(request, complaint, platform, consumer, regulator, api_key):
    """(name, client, url, a valid body, a field to nest in) for each audience's JSON endpoints."""
    from tests.complaints.test_api_consumer import filing

    return [
        ("consumer filing", client_for(consumer), reverse("complaints_api:complaint-list"), filing(platform),
         "support_contact"),
        ("consumer dispute", client_for(consumer), reverse("complaints_api:complaint-dispute", args=[complaint.pk]),
         {"reason": "没有收到"}, "reason"),
        ("platform answer with an API key", client_for(api_key=api_key),
         reverse("complaints_api:complaint-respond", args=[complaint.pk]), {"outcome": "refunded", "message": "已退款"},
         "message"),
        ("regulator penalty", client_for(regulator), reverse("regulation_api:penalty-list"),
         {"platform": platform.slug, "kind": "warning"}, "facts"),
        ("regulator note", client_for(regulator), reverse("complaints_api:complaint-notes", args=[complaint.pk]),
         {"text": "核查中"}, "text"),
        ("token, anonymous", client_for(), reverse("portal_api:token"), {"username": "a", "password": "b"}, "password"),
    ]  # fmt: skip


def test_hostile_json_bodies_answer_400_with_a_message_on_every_audience_s_endpoints(json_endpoints):
    answers = {}
    for name, client, url, valid, field in json_endpoints:
        for case, body, expected in hostile_bodies(valid, field):
            response = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
            answers[f"{name}: {case}"] = (response.status_code, expected in response.json().get("detail", ""))

    assert answers == dict.fromkeys(answers, (400, True))


def test_a_deep_body_changes_nothing(consumer, platform):
    url = reverse("complaints_api:complaint-list")
    response = client_for(consumer).post(url, deep_list(), content_type="application/json")

    assert response.status_code == 400
    assert not Complaint.objects.exists()


def test_json_nested_up_to_the_cap_reaches_the_serializer(consumer, platform, settings):
    from tests.complaints.test_api_consumer import filing

    settings.PORTAL_JSON_MAX_DEPTH = 3
    nested = {**filing(platform), "support_contact": {"agent_id": "KF-007", "promise": "24小时内补发"}}

    response = client_for(consumer).post(reverse("complaints_api:complaint-list"), nested, format="json")

    assert response.status_code == 201, response.json()


def test_json_nested_one_level_past_the_cap_is_refused(consumer, platform, settings):
    from tests.complaints.test_api_consumer import filing

    settings.PORTAL_JSON_MAX_DEPTH = 3
    nested = {**filing(platform), "support_contact": {"agent_id": {"id": ["KF-007"]}}}

    url = reverse("complaints_api:complaint-list")
    response = client_for(consumer).post(url, nested, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "nest deeper than 3 levels" in response.json()["detail"]


def test_a_body_at_the_size_cap_is_parsed(consumer, platform, settings):
    from tests.complaints.test_api_consumer import filing

    body = json.dumps(filing(platform)).encode()
    settings.PORTAL_JSON_MAX_BYTES = len(body)

    url = reverse("complaints_api:complaint-list")
    response = client_for(consumer).post(url, body, content_type="application/json")

    assert response.status_code == 201, response.json()
