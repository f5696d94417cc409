"""A platform's developer generates a Python client from ``/api/schema/`` with openapi-python-client and walks
the README's API quick start with it, over the portal's WSGI app: the schema must make a client that imports and
works, and the generator must have nothing to warn about."""

import importlib
import io
import pkgutil
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from PIL import Image

from complaints.models import Complaint, Status
from tests.factories import ConsumerFactory, PlatformFactory, api_filing
from tests.fixtures_roles import make_api_key

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
CONFIG = ROOT / "tools" / "openapi-client.yaml"
PASSWORD = "quick-start-pass-2026"


@pytest.fixture(scope="module")
def generation(tmp_path_factory):
    """The generator's output and the generated ``portal_client`` package, importable for this module."""
    folder = tmp_path_factory.mktemp("client")
    schema = folder / "schema.yaml"
    call_command("spectacular", file=str(schema))
    run = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--config",
            str(CONFIG),
            "--meta",
            "none",
            "--output-path",
            str(folder / "portal_client"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    sys.path.insert(0, str(folder))
    try:
        yield run
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == "portal_client"]:
            del sys.modules[name]


def test_the_generator_succeeds_without_a_warning(generation):
    output = generation.stdout + generation.stderr

    assert generation.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "cannot" not in output.lower(), output


def test_every_module_of_the_generated_client_imports(generation):
    package = importlib.import_module("portal_client")

    modules = [
        importlib.import_module(module.name) for module in pkgutil.walk_packages(package.__path__, "portal_client.")
    ]

    assert len(modules) > 50
    assert [module.__name__ for module in modules if not module.__name__.isascii()] == []


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 20), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def test_database_connection_kept():
    """Requests through the WSGI app end by closing old database connections; the test's own connection holds its
    transaction, so keep it open, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def over_wsgi(client_class, **kwargs):
    """A client of the generated package that talks to the portal in this process, through its WSGI app."""
    transport = httpx.WSGITransport(app=get_wsgi_application())
    return client_class(base_url="http://testserver", httpx_args={"transport": transport}, **kwargs)


@pytest.mark.django_db
def test_the_readme_quick_start_works_through_the_generated_client(generation, test_database_connection_kept):
    from portal_client import AuthenticatedClient, Client
    from portal_client.api.auth import auth_token_create, me_retrieve
    from portal_client.api.complaints import v1_complaints_create, v1_complaints_events_list, v1_complaints_list
    from portal_client.api.evidence import v1_complaints_evidence_create
    from portal_client.api.platform import v1_complaints_respond_create
    from portal_client.api.v1 import complaints_dossier_pdf
    from portal_client.models import (
        AuthTokenRequest,
        ComplaintFileInRequest,
        EvidenceKindEnum,
        EvidenceUploadInRequest,
        RespondInRequest,
        V1ComplaintsListStatus,
    )
    from portal_client.types import File

    consumer = ConsumerFactory(username="quick-start")
    consumer.set_password(PASSWORD)
    consumer.save()
    platform = PlatformFactory()
    key = make_api_key(platform)

    # 1. a token, 2. who am I
    token = auth_token_create.sync(
        client=over_wsgi(Client), body=AuthTokenRequest(username="quick-start", password=PASSWORD)
    ).token
    me = over_wsgi(AuthenticatedClient, token=token, prefix="Token")
    assert me_retrieve.sync(client=me).username == "quick-start"

    # 3. file a complaint with an Idempotency-Key, and retry it
    body = ComplaintFileInRequest.from_dict(api_filing(platform))
    idempotency_key = str(uuid.uuid4())
    filed = v1_complaints_create.sync_detailed(client=me, body=body, idempotency_key=idempotency_key)
    retried = v1_complaints_create.sync_detailed(client=me, body=body, idempotency_key=idempotency_key)
    assert (filed.status_code, retried.status_code) == (201, 200)
    assert filed.parsed.id == retried.parsed.id == Complaint.objects.get().pk
    complaint_id = filed.parsed.id

    # 4. the list and the timeline
    listed = v1_complaints_list.sync(client=me, status=V1ComplaintsListStatus.AWAITING_PLATFORM)
    assert [row.id for row in listed.results] == [complaint_id]
    events = v1_complaints_events_list.sync(id=complaint_id, client=me)
    assert events[0].kind == "filed"

    # 5. evidence
    upload = EvidenceUploadInRequest(
        file=[File(payload=io.BytesIO(png()), file_name="order.png", mime_type="image/png")],
        kind=EvidenceKindEnum.ORDER_SCREENSHOT,
    )
    stored = v1_complaints_evidence_create.sync_detailed(id=complaint_id, client=me, body=upload)
    assert stored.status_code == 201, stored.content

    # 6. the platform answers with its API key
    platform_client = over_wsgi(AuthenticatedClient, token=key, prefix="Api-Key")
    answer = RespondInRequest.from_dict(
        {"outcome": "refunded", "message": "已原路退款。", "refund_amount": "199.00", "refund_reference": "RF1"}
    )
    answered = v1_complaints_respond_create.sync_detailed(id=complaint_id, client=platform_client, body=answer)
    assert answered.status_code == 201, answered.content
    assert Complaint.objects.get().status == Status.AWAITING_CONSUMER

    # 7. the dossier
    dossier = complaints_dossier_pdf.sync_detailed(id=complaint_id, client=me)
    assert dossier.status_code == 200
    assert dossier.content.startswith(b"%PDF")
