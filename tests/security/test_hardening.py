"""Defences around the edges: lockout, throttles, passwords, production settings, headers, CSP-safe templates,
and the access log of personal data.

Already proven elsewhere (not repeated here): web lockout after five failures
(tests/portal/test_accounts.py::test_login_is_locked_after_five_failures), token lockout
(tests/portal/test_api_auth.py::test_token_endpoint_locks_out_after_five_failures), token and filing throttles
(test_api_auth.py::test_token_endpoint_is_throttled, tests/complaints/test_api_consumer.py::
test_filing_is_throttled), the regulator's access-log list (tests/complaints/test_admin.py::
test_regulator_can_open_every_admin_list).
"""

import importlib
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from portal.models import AccessLog
from tests.factories import DEFAULT_PASSWORD, add_evidence, image_upload
from tests.fixtures_roles import client_for, make_api_key
from tests.signing import make_signing_files

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = BASE_DIR / "templates"
STRONG_PASSWORD = "violet-kettle-harbour-42"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- lockout: one counter for the web login and the token endpoint ----------------------------------------


def fail_web_login(client, username: str, times: int) -> None:
    for _attempt in range(times):
        client.post(reverse("portal:login"), {"username": username, "password": "wrong-password"})


def test_web_lockout_also_refuses_the_token_endpoint(client, api_client, consumer):
    fail_web_login(client, consumer.username, 5)

    response = api_client.post(
        reverse("portal_api:token"), {"username": consumer.username, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 429
    assert "token" not in response.json()


def test_token_endpoint_failures_lock_the_web_login(client, api_client, consumer):
    for _attempt in range(5):
        api_client.post(reverse("portal_api:token"), {"username": consumer.username, "password": "wrong"})

    response = client.post(reverse("portal:login"), {"username": consumer.username, "password": DEFAULT_PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_of_one_user_does_not_lock_another(client, consumer, other_consumer):
    fail_web_login(client, consumer.username, 5)

    response = client.post(reverse("portal:login"), {"username": other_consumer.username, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302


# --- throttles --------------------------------------------------------------------------------------------


@pytest.fixture
def upload_rate_two_per_hour(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"upload": "2/hour", "filing": "30/hour"})


def post_evidence(client, complaint):
    return client.post(
        reverse("complaints_api:complaint-evidence", args=[complaint.pk]),
        {"file": image_upload(), "kind": "order_screenshot"},
        format="multipart",
    )


def test_evidence_uploads_over_the_rate_answer_429_with_retry_after(
    media_root, upload_rate_two_per_hour, consumer, complaint
):
    client = client_for(consumer)
    statuses = [post_evidence(client, complaint).status_code for _attempt in range(3)]

    third = post_evidence(client, complaint)

    assert statuses == [201, 201, 429]
    assert third.status_code == 429
    assert int(third.headers["Retry-After"]) > 0
    assert complaint.evidence.count() == 2


def test_each_platform_api_key_has_its_own_upload_budget(
    media_root, upload_rate_two_per_hour, platform, api_key, complaint
):
    first_key = client_for(api_key=api_key)
    for _attempt in range(2):
        post_evidence(first_key, complaint)
    second_key = client_for(api_key=make_api_key(platform))

    assert post_evidence(first_key, complaint).status_code == 429
    assert post_evidence(second_key, complaint).status_code == 201


def test_reading_is_not_throttled_by_the_upload_budget(media_root, upload_rate_two_per_hour, consumer, complaint):
    client = client_for(consumer)
    for _attempt in range(3):
        post_evidence(client, complaint)

    assert client.get(reverse("complaints_api:complaint-detail", args=[complaint.pk])).status_code == 200


# --- passwords --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Kq7#vb2", "password_too_short"),
        ("password123", "password_too_common"),
        ("20261125083012", "password_entirely_numeric"),
        ("xiaoming-2026", "password_too_similar"),
    ],
    ids=["short", "common", "numeric", "like-the-username"],
)
def test_registration_refuses_weak_passwords(client, password, code):
    response = client.post(
        reverse("portal:register"),
        {
            "username": "xiaoming",
            "email": "xiaoming@example.cn",
            "password1": password,
            "password2": password,
        },
    )

    assert response.status_code == 200
    codes = [error.code for error in response.context["form"].errors.as_data()["password2"]]
    assert code in codes


def test_registration_accepts_a_long_uncommon_password(client):
    response = client.post(
        reverse("portal:register"),
        {
            "username": "xiaoming",
            "email": "xiaoming@example.cn",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )

    assert response.status_code == 302


def test_argon2_is_the_default_password_hasher():
    # The tests switch to MD5 for speed (fixtures_roles.fast_password_hashing): read the settings module itself.
    project_settings = importlib.import_module("portal.settings.base")

    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


# --- production settings ----------------------------------------------------------------------------------

PRODUCTION_HOST = "complaints.example.cn"


def production_env(tmp_path: Path) -> dict[str, str]:
    # The browser tests relax Django's async-safety check for this test process only; production never does.
    inherited = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **inherited,
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": PRODUCTION_HOST,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }


# Deployments choose production either by DJANGO_ENV (with the default portal.settings) or by naming the module.
@pytest.mark.parametrize(
    "chosen_by",
    [
        {"DJANGO_ENV": "production"},
        {"DJANGO_ENV": "development", "DJANGO_SETTINGS_MODULE": "portal.settings.production"},
    ],
)
def test_deploy_check_is_clean_in_production_mode(tmp_path, chosen_by):
    # A production install signs its PDFs; without a certificate the check says so (portal.I001, test_pdf_signing).
    signing = make_signing_files(tmp_path)
    signing_env = {"SIGNING_KEY_FILE": str(signing.key), "SIGNING_CERT_FILE": str(signing.cert)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**production_env(tmp_path), **signing_env, **chosen_by},
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# Runs in a fresh interpreter with the production environment: the login page over HTTPS, as a browser
# behind the proxy would fetch it.
PRODUCTION_PROBE = f"""
import json
import django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

# The manifest of hashed static names exists only after collectstatic, which a test run does not do.
plain_static = {{"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
override_settings(STORAGES={{**settings.STORAGES, "staticfiles": plain_static}}).enable()
response = Client().get(reverse("portal:login"), HTTP_HOST="{PRODUCTION_HOST}", HTTP_X_FORWARDED_PROTO="https")
csrf = response.cookies["csrftoken"]
print(json.dumps({{
    "status": response.status_code,
    "headers": dict(response.headers),
    "csrf_cookie": {{"secure": bool(csrf["secure"]), "httponly": bool(csrf["httponly"])}},
    "session_cookie": {{"secure": settings.SESSION_COOKIE_SECURE, "httponly": settings.SESSION_COOKIE_HTTPONLY}},
    "plain_http_redirect": Client().get(reverse("portal:home"), HTTP_HOST="{PRODUCTION_HOST}").status_code,
}}))
"""


@pytest.fixture(scope="module")
def production_answer(tmp_path_factory) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=BASE_DIR,
        env=production_env(tmp_path_factory.mktemp("production")),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_and_http_only(production_answer):
    assert production_answer["session_cookie"] == {"secure": True, "httponly": True}
    assert production_answer["csrf_cookie"] == {"secure": True, "httponly": True}


def test_production_pages_send_hsts_nosniff_and_frame_denial(production_answer):
    headers = production_answer["headers"]

    assert production_answer["status"] == 200
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    assert "includeSubDomains" in headers["Strict-Transport-Security"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_production_redirects_plain_http_to_https(production_answer):
    assert production_answer["plain_http_redirect"] == 301


# --- content security policy ------------------------------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize(
    "url_name", ["portal:home", "portal:login", "regulation:registry-list", "complaints:complaint-payment-not-taken"]
)
def test_pages_carry_a_csp_without_inline_script(client, url_name):
    response = client.get(reverse(url_name))

    directives = csp_directives(response["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_signed_in_pages_carry_the_csp_too(client, consumer, complaint):
    client.force_login(consumer)

    response = client.get(reverse("complaints:complaint-detail", args=[complaint.pk]))

    assert csp_directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]


# PDF templates are rendered by WeasyPrint into files, never served as HTML: their <style> blocks are fine.
NOT_SERVED_AS_HTML = ("pdf/",)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.IGNORECASE | re.DOTALL)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"(?:href|src|action)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)
CSP_OFFENCES = {
    "inline <script>": INLINE_SCRIPT,
    "on* event handler": EVENT_HANDLER,
    "style attribute": STYLE_ATTRIBUTE,
    "<style> element": STYLE_ELEMENT,
    "javascript: URL": JAVASCRIPT_URL,
}


def html_templates() -> list[Path]:
    return [
        path
        for path in sorted(TEMPLATES_DIR.rglob("*.html"))
        if not path.relative_to(TEMPLATES_DIR).as_posix().startswith(NOT_SERVED_AS_HTML)
    ]


def test_csp_offence_patterns_catch_what_they_are_meant_to():
    samples = {
        "inline <script>": "<script>alert(1)</script>",
        "on* event handler": '<img src="x.png" onerror="alert(1)">',
        "style attribute": '<p style="color: red">',
        "<style> element": "<style>p {}</style>",
        "javascript: URL": '<a href="javascript:alert(1)">',
    }
    assert {name: bool(CSP_OFFENCES[name].search(sample)) for name, sample in samples.items()} == dict.fromkeys(
        samples, True
    )
    assert not INLINE_SCRIPT.search('<script src="/static/js/portal.js" defer></script>')


def test_no_template_needs_inline_script_or_style():
    assert html_templates(), "no templates found"
    offenders = [
        f"{path.relative_to(BASE_DIR)}: {offence}"
        for path in html_templates()
        for offence, pattern in CSP_OFFENCES.items()
        if pattern.search(path.read_text())
    ]
    assert not offenders, "templates the CSP would break:\n" + "\n".join(offenders)


# --- the access log of personal data and evidence ---------------------------------------------------------


def test_evidence_downloads_and_regulator_reads_are_in_the_log_the_regulator_reviews(
    media_root, client, consumer, agent, regulator, complaint
):
    evidence = add_evidence(complaint, consumer, image_upload())[0]
    client_for(agent).get(reverse("complaints_api:evidence-download", args=[evidence.pk]))
    client_for(regulator).get(reverse("complaints_api:complaint-detail", args=[complaint.pk]))
    client.force_login(regulator)

    changelist = client.get(reverse("admin:portal_accesslog_changelist"))

    assert changelist.status_code == 200
    logged = {(entry.actor_label, entry.action, entry.object_id) for entry in AccessLog.objects.all()}
    assert (agent.username, "evidence_download", str(evidence.pk)) in logged
    assert (regulator.username, "personal_data_read", str(complaint.pk)) in logged
    page = changelist.content.decode()
    assert agent.username in page and "evidence_download" in page and "personal_data_read" in page


def test_web_evidence_download_is_logged(media_root, client, consumer, agent, complaint):
    evidence = add_evidence(complaint, consumer, image_upload())[0]
    client.force_login(agent)

    response = client.get(reverse("complaints:complaint-evidence-download", args=[evidence.pk]))

    assert response.status_code == 200
    assert AccessLog.objects.filter(user=agent, action="evidence_download", object_id=str(evidence.pk)).exists()


def test_access_log_cannot_be_edited_or_deleted_by_the_regulator(media_root, client, consumer, regulator, complaint):
    evidence = add_evidence(complaint, consumer, image_upload())[0]
    client.force_login(consumer)
    client.get(reverse("complaints:complaint-evidence-download", args=[evidence.pk]))
    entry = AccessLog.objects.get()
    client.force_login(regulator)

    client.post(reverse("admin:portal_accesslog_delete", args=[entry.pk]), {"post": "yes"})
    client.post(reverse("admin:portal_accesslog_change", args=[entry.pk]), {"action": "tampered"})

    entry.refresh_from_db()
    assert entry.action == "evidence_download"
