"""Schemathesis against the API's own OpenAPI schema, in process through WSGI, as every role that gets past
each operation's permission check, in positive (schema-valid) and negative (schema-violating) modes.

Everything is derived, so a new operation is fuzzed without a line here: the operations come from the schema, the
roles that reach an operation from a probe request (a role answered 401/403 only ever meets its guard), and the
ids put into path parameters from the parameter's name or the collection it follows (``/penalties/{id}`` is a
penalty) — drawn from two tenants, so a caller also asks for the other tenant's objects. Each example draws its
role and whose ids it uses. Checks: no server error, answers as documented (positive mode), and an object of
the other tenant is never answered with a 2xx. PDFs (dossiers, penalty notices) are rendered for real.

Bounded and repeatable: derandomised examples, a modest count per operation and mode; on PostgreSQL (the CI
pass with Redis), where NUL characters and row locks behave as in production.
"""

import re
from dataclasses import dataclass

import pytest
import schemathesis
from django.core import signals
from django.core.files.base import ContentFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle
from schemathesis import GenerationMode

from complaints.models import DossierExport, DossierExportStatus
from platforms.models import WebhookEndpoint
from portal.roles import make_regulator
from regulation.models import PenaltyKind
from regulation.penalties import penalty_issue
from tests.factories import (
    ConsumerFactory,
    ManagerFactory,
    PlatformFactory,
    RegulatorFactory,
    StaffFactory,
    add_evidence,
    file_complaint,
    image_upload,
)
from tests.fixtures_roles import make_api_key

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

MAX_EXAMPLES = 8
# status_code_conformance and content_type_conformance are left out on purpose (docs/security.md, "API
# fuzzing"): DRF's generic answers (404 for a page number past the end, 403 from permission classes) are not
# declared per operation, and downloads are declared as octet-stream but served with the evidence's type.
# Negative examples are invalid by construction, so only the absence of server errors is checked for them.
CHECKS = {
    GenerationMode.POSITIVE: [schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance],
    GenerationMode.NEGATIVE: [schemathesis.checks.not_a_server_error],
}
# Which tenants' objects each role may see: platform roles and the consumer belong to tenant A, regulators see all.
ROLE_SCOPE = {
    "anonymous": set(),
    "consumer": {"A"},
    "agent": {"A"},
    "manager": {"A"},
    "api_key": {"A"},
    "regulator": {"A", "B"},
}
ROLES = tuple(ROLE_SCOPE)
# The object a path parameter names: by its own name (``export_id``), else by the collection it follows.
COLLECTION_KINDS = {
    "complaints": "complaint", "evidence": "evidence", "penalties": "penalty", "webhooks": "webhook",
    "platforms": "slug", "dossier": "export",
}  # fmt: skip
PUBLIC_KINDS = {"slug"}  # platforms are public (registry)


def schema_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path)
        for path, path_item in schema["paths"].items()
        for method in path_item
        if method != "parameters"
    )


OPERATIONS = schema_operations()


def parameter_kinds(path: str) -> dict[str, str | None]:
    """{path parameter: kind of object} — None when neither the name nor the collection says."""
    kinds = {}
    for match in re.finditer(r"(?:/([\w-]+))?/\{(\w+)\}", path):
        collection, name = match.groups()
        if name.endswith("_id"):
            kinds[name] = name.removesuffix("_id")
        else:
            kinds[name] = "slug" if name == "slug" else COLLECTION_KINDS.get(collection or "")
    return kinds


@dataclass
class World:
    ids: dict[tuple[str, str], object]  # (kind, tenant) → path value
    headers: dict[str, dict[str, str]]

    def path_value(self, kind: str | None, tenant: str):
        if kind is None:  # an object this file does not know yet: any of the known ids
            return self.ids[("complaint", tenant)]
        return self.ids.get((kind, tenant), self.ids[("complaint", tenant)])


def build_tenant(tenant: str, regulator) -> tuple[dict, dict]:
    platform = PlatformFactory()
    consumer = ConsumerFactory()
    agent, manager = StaffFactory(platform=platform), ManagerFactory(platform=platform)
    complaint = file_complaint(consumer, platform)
    evidence = add_evidence(complaint, consumer, image_upload())[0]
    penalty = penalty_issue(
        by=regulator, platform=platform, kind=PenaltyKind.WARNING, legal_basis="《电子商务法》第七十七条",
        facts="逾期未发货", decision="警告", complaint_ids=[complaint.pk],
    )  # fmt: skip
    export = DossierExport.objects.create(
        complaint=complaint, requested_by=consumer, status=DossierExportStatus.DONE, progress=100,
        finished_at=timezone.now(),
    )  # fmt: skip
    export.file.save("dossier.pdf", ContentFile(b"%PDF-1.4\n% stored export\n%%EOF\n"))
    webhook = WebhookEndpoint.objects.create(
        platform=platform, url=f"https://hooks.{tenant.lower()}.example.cn/km", secret=f"secret-{tenant}",
        events=["complaint.created"],
    )  # fmt: skip
    ids = {
        ("complaint", tenant): complaint.pk, ("evidence", tenant): evidence.pk, ("penalty", tenant): penalty.pk,
        ("export", tenant): export.pk, ("webhook", tenant): webhook.pk, ("slug", tenant): platform.slug,
    }  # fmt: skip
    users = {"consumer": consumer, "agent": agent, "manager": manager, "api_key": make_api_key(platform)}
    return ids, users


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    regulator = RegulatorFactory()
    make_regulator(regulator)
    ids_a, users_a = build_tenant("A", regulator)
    ids_b, _users_b = build_tenant("B", regulator)
    headers = {"anonymous": {}, "api_key": {"Authorization": f"Api-Key {users_a.pop('api_key')}"}}
    for role, user in [*users_a.items(), ("regulator", regulator)]:
        headers[role] = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    return World(ids={**ids_a, **ids_b}, headers=headers)


def keep_connections_across_requests() -> None:
    """Calls go through the real WSGI handler, which closes "old" database connections around each request.
    Inside a test's transaction that would close it mid-test: do what Django's test client does and keep the
    connection. (The test client connects the handlers again after each of its requests: call this after it.)"""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)


@pytest.fixture(autouse=True)
def connections_closed_again_afterwards():
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def api_schema():
    keep_connections_across_requests()
    return schemathesis.openapi.from_wsgi(reverse("portal:schema"), get_wsgi_application())


@pytest.fixture(autouse=True)
def unthrottled(monkeypatch):
    """Hundreds of requests per test: no throttling (its 429s are tested in test_hardening)."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {
        "filing": "100000/hour", "upload": "100000/hour", "token": "100000/minute", "anon": "100000/minute",
    })  # fmt: skip
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "100000/minute"})


def roles_reaching(world: World, method: str, path: str) -> list[str]:
    """The roles that get past the operation's authentication and permission checks with their own ids: for
    the others every example would meet the same 401/403."""
    concrete = path
    for name, kind in parameter_kinds(path).items():
        concrete = concrete.replace("{" + name + "}", str(world.path_value(kind, "A")))
    reaching = []
    for role in ROLES:
        headers = {f"HTTP_{key.upper()}": value for key, value in world.headers[role].items()}
        response = Client().generic(method, concrete, data="{}", content_type="application/json", **headers)
        if response.status_code not in {401, 403}:
            reaching.append(role)
    return reaching


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{method} {path}" for method, path in OPERATIONS])
def test_api_operation_survives_fuzzing(api_schema, world, mode, method, path):
    operation = api_schema[path][method]
    kinds = parameter_kinds(path)
    reaching = roles_reaching(world, method, path)
    keep_connections_across_requests()
    assert reaching, f"no role gets past the permission check of {method} {path}"
    # Negative examples may break the path parameters themselves; positive ones start from real ids.
    real_ids = {name: world.path_value(kind, "A") for name, kind in kinds.items()}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=real_ids if mode.is_positive else None)

    @given(case=strategy, role=st.sampled_from(reaching), tenant=st.sampled_from(["A", "B", None]))
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    def answers_within_the_contract_and_the_callers_scope(case, role, tenant):
        if tenant is not None:  # else: the path parameters as generated (missing ids, or invalid ones)
            for name, kind in kinds.items():
                case.path_parameters[name] = world.path_value(kind, tenant)
        headers = world.headers[role]
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS[mode], headers=headers)
        scoped = [kind for kind in kinds.values() if kind is not None and kind not in PUBLIC_KINDS]
        if tenant is not None and scoped and tenant not in ROLE_SCOPE[role]:
            assert not 200 <= response.status_code < 300, (
                f"{role} got {response.status_code} for tenant {tenant}'s object: {case.path_parameters}"
            )

    try:
        answers_within_the_contract_and_the_callers_scope()
    except Unsatisfiable:
        # Negative mode on an operation whose every input accepts anything (no body, no query, text in the path).
        assert not mode.is_positive
        pytest.skip("nothing in this operation's input can violate its schema")
