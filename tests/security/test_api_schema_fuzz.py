"""Schemathesis against the API's own OpenAPI schema, in process through WSGI, as three kinds of caller.

Every operation gets bounded, derandomised examples (so CI is repeatable and takes minutes, not hours) with
path parameters pointing at real objects of the caller's tenant, so the fuzzed bodies and queries reach the
views' logic instead of stopping at a 404. Each answer must not be a server error and must match the
documented response schema.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.files.base import ContentFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import add_evidence, file_complaint, image_upload

MAX_EXAMPLES = 12
STUB_PDF = b"%PDF-1.4\n% stub\n%%EOF\n"
# status_code_conformance and content_type_conformance are left out on purpose (docs/security.md, "API
# fuzzing"): DRF's generic answers (404 for a page number past the end, 403 from permission classes) are not
# declared per operation, and downloads are declared as octet-stream but served with the evidence's type.
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance]
ROLES = ("consumer", "platform_api_key", "regulator")


def schema_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path)
        for path, path_item in schema["paths"].items()
        for method in path_item
        if method != "parameters"
    )


OPERATIONS = schema_operations()


@pytest.fixture(scope="module")
def connections_kept_across_requests():
    """Calls go through the real WSGI handler, which closes "old" database connections around each request.
    Inside a test's transaction that would close it mid-test: do what Django's test client does and keep
    the connection for the duration."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def api_schema(connections_kept_across_requests):
    return schemathesis.openapi.from_wsgi(reverse("portal:schema"), get_wsgi_application())


@pytest.fixture
def tenant(db, settings, tmp_path, consumer, platform, agent, regulator, api_key):
    """The objects the fuzzed paths point at, and the credentials of each kind of caller."""
    from complaints.models import DossierExport, DossierExportStatus, NoticeKind
    from regulation.models import PenaltyKind
    from regulation.notices import notice_decide
    from regulation.penalties import penalty_issue

    settings.MEDIA_ROOT = tmp_path / "media"
    complaint = file_complaint(consumer, platform)
    evidence = add_evidence(complaint, consumer, image_upload())[0]
    penalty = penalty_issue(
        by=regulator, platform=platform, kind=PenaltyKind.WARNING, legal_basis="《电子商务法》第七十七条",
        facts="逾期未发货", decision="警告", complaint_ids=[complaint.pk],
    )
    with transaction.atomic():
        notice = notice_decide(complaint, kind=NoticeKind.ACCEPTANCE, by=regulator, at=timezone.now())
    export = DossierExport.objects.create(complaint=complaint, status=DossierExportStatus.DONE, progress=100)
    export.file.save("dossier.pdf", ContentFile(STUB_PDF))
    return {
        "path_parameters": {
            "id": complaint.pk, "export_id": export.pk, "slug": platform.slug,
            "evidence_id": evidence.pk, "penalty_id": penalty.pk, "notice_id": notice.pk,
        },
        "headers": {
            "consumer": {"Authorization": f"Token {Token.objects.create(user=consumer).key}"},
            "platform_api_key": {"Authorization": f"Api-Key {api_key}"},
            "regulator": {"Authorization": f"Token {Token.objects.create(user=regulator).key}"},
        },
    }


@pytest.fixture(autouse=True)
def fast_and_unthrottled(monkeypatch):
    """Hundreds of requests per test: no throttling (its 429s are tested in test_hardening) and no real
    PDF rendering (the fuzzed input of the PDF endpoints is only their path; rendering is tested elsewhere)."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {
        "filing": "100000/hour", "upload": "100000/hour", "token": "100000/minute", "anon": "100000/minute",
    })
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "100000/minute"})
    monkeypatch.setattr("complaints.dossier.render_dossier", lambda complaint, **kwargs: STUB_PDF)
    for module in ("regulation.views_penalties", "regulation.api.penalties"):
        monkeypatch.setattr(f"{module}.penalty_notice_pdf", lambda penalty: STUB_PDF)
    monkeypatch.setattr("regulation.notices.notice_render", lambda notice: STUB_PDF)


def path_parameters_for(path: str, known: dict) -> dict:
    """Real ids of the caller's tenant for each path parameter ({id} names a penalty or evidence in places)."""
    names = {"id": "id", "export_id": "export_id", "slug": "slug"}
    if path.startswith("/api/v1/penalties/"):
        names["id"] = "penalty_id"
    if path.startswith("/api/v1/evidence/"):
        names["id"] = "evidence_id"
    if path.startswith("/api/v1/notices/"):
        names["id"] = "notice_id"
    return {name: known[source] for name, source in names.items() if "{" + name + "}" in path}


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{method} {path}" for method, path in OPERATIONS])
def test_api_operation_survives_fuzzing(api_schema, tenant, role, method, path):
    operation = api_schema[path][method]
    strategy = operation.as_strategy(path_parameters=path_parameters_for(path, tenant["path_parameters"]))
    headers = tenant["headers"][role]

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def answers_within_the_contract(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_within_the_contract()
