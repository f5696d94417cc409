"""The office dimension of access: every route that names a complaint (or its evidence, dossier, events), on
the web, the API and the admin, for a regulator of the same office, a sibling, the parent, a child, an office
of another city and the national supervisor.

Routes come from the URL conf, so a complaint route added later is covered without a line here. An office
outside the scope must get exactly the answer a missing id gets (no leak of existence); an office inside it
must never get a 404.
"""

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from complaints.models import DossierExport, DossierExportStatus
from tests.factories import add_evidence, file_complaint, image_upload
from tests.fixtures_roles import client_for
from tests.offices import build_tree, platform_in

MISSING_ID = 987654321
OBJECT_KWARGS = {"id", "pk", "export_id"}


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    kwargs: frozenset[str]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def names_evidence(self) -> bool:
        return "evidence/<" in self.route


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield Route(f"{namespace}{entry.name}", prefix + str(entry.pattern), frozenset(entry.pattern.converters))


# The follow-up survey (Order 121 Art. 26) is the filing consumer's alone: a 404 for every regulator, in scope or not
# (tests/security/test_access_matrix.py has its rows).
OWNER_ONLY_ROUTES = {"complaints_api:complaint-survey", "complaints:follow-up"}
# Routes whose id is a joint complaint's or a joint proposal's, not a complaint's: their office scope (the
# handling office of the joint complaint) is tested in tests/regulation/test_joint_refunds.py.
JOINT_OBJECT_ROUTE = "joint-"


def complaint_routes() -> list[Route]:
    """Every route whose object is a complaint or hangs off one: its keywords are ids, its path is about
    complaints or their evidence."""
    return sorted(
        {
            route
            for route in _walk(get_resolver().url_patterns)
            if route.kwargs
            and route.kwargs <= OBJECT_KWARGS
            and not route.route.startswith("admin/")
            and route.name not in OWNER_ONLY_ROUTES
            and (JOINT_OBJECT_ROUTE not in route.name or route.name == "complaints:joint-new")
            and ("complaints/" in route.route or "evidence/" in route.route)
        },
        # Downloading a dossier replaces the complaint's older exports: ask about the export first. A transfer or a
        # take-over moves the complaint to another office: ask about those last.
        key=lambda route: (
            "export" not in route.name,
            any(move in route.name for move in ("transfer", "take-over", "designate")),
            route.name,
        ),
    )


def test_the_route_list_is_derived_and_covers_every_audience():
    names = {route.name for route in complaint_routes()}
    assert {
        "complaints_api:complaint-detail",
        "complaints:complaint-detail",
        "complaints_api:evidence-download",
        "regulation_api:complaint-transfer",
        "complaints:dossier-download",
    } <= names


@dataclass
class Objects:
    complaint_id: int
    evidence_id: int
    export_id: int


def _objects_for(complaint) -> Objects:
    evidence = add_evidence(complaint, complaint.consumer, image_upload("a.png"))[0]
    export = DossierExport.objects.create(
        complaint=complaint,
        requested_by=complaint.consumer,
        status=DossierExportStatus.DONE,
        progress=100,
        finished_at=timezone.now(),
    )
    export.file.save("dossier.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    return Objects(complaint.pk, evidence.pk, export.pk)


def _url(route: Route, objects: Objects | None) -> str:
    kwargs = {}
    for key in route.kwargs:
        if objects is None:
            kwargs[key] = MISSING_ID
        elif key == "export_id":
            kwargs[key] = objects.export_id
        else:
            kwargs[key] = objects.evidence_id if route.names_evidence else objects.complaint_id
    return reverse(route.name, kwargs=kwargs)


def _ask(client, method: str, route: Route, url: str, target_code: str):
    if method == "GET":
        return client.get(url)
    body = {"office": target_code, "reason": "管辖"}
    return client.post(url, body, format="json") if route.is_api else client.post(url, body)


# relation of the regulator's office to the complaint's office → (regulator, complaint, in scope)
RELATIONS = {
    "same": ("a", "in_a", True),
    "parent": ("city", "in_a", True),
    "national": ("national", "in_a", True),
    "sibling": ("b", "in_a", False),
    "child": ("a", "in_city", False),
    "other_city": ("cousin", "in_a", False),
}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("relation", list(RELATIONS))
def test_office_scope_on_every_complaint_route(relation, method):
    tree = build_tree()
    complaints = {
        "in_a": file_complaint(platform=platform_in(tree.district_a)),
        "in_city": file_complaint(platform=platform_in(tree.city)),
    }
    regulator_name, complaint_key, in_scope = RELATIONS[relation]
    complaint = complaints[complaint_key]
    assert complaint.office in (tree.district_a, tree.city)
    objects = _objects_for(complaint)
    client = client_for(regulator_name and tree.regulator(regulator_name))
    # A body naming an office none of the moves accepts, so that no POST changes which office holds it.
    target = tree.national.division_code
    leaks = []
    for route in complaint_routes():
        present = _ask(client, method, route, _url(route, objects), target)
        if in_scope:
            if present.status_code == 404:
                leaks.append(f"{route.name}: 404 inside the scope")
            continue
        missing = _ask(client, method, route, _url(route, None), target)
        same_answer = present.status_code == missing.status_code and (
            not route.is_api
            or present.content.replace(str(objects.complaint_id).encode(), b"")
            == missing.content.replace(str(MISSING_ID).encode(), b"")
        )
        if not same_answer:
            leaks.append(f"{route.name}: {present.status_code} for the complaint, {missing.status_code} for none")
    assert not leaks, "\n".join(leaks)


@pytest.mark.django_db
@pytest.mark.parametrize("relation", list(RELATIONS))
def test_office_scope_in_the_admin(relation):
    tree = build_tree()
    complaints = {
        "in_a": file_complaint(platform=platform_in(tree.district_a)),
        "in_city": file_complaint(platform=platform_in(tree.city)),
    }
    regulator_name, complaint_key, in_scope = RELATIONS[relation]
    complaint = complaints[complaint_key]
    client = client_for(tree.regulator(regulator_name))
    client.force_login(tree.regulator(regulator_name))

    change = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]))
    changelist = client.get(reverse("admin:complaints_complaint_changelist"))

    if in_scope:
        assert change.status_code == 200
        assert complaint.reference in changelist.content.decode()
    else:
        missing = client.get(reverse("admin:complaints_complaint_change", args=[MISSING_ID]))
        assert (change.status_code, change.get("Location")) == (missing.status_code, missing.get("Location"))
        assert complaint.reference not in changelist.content.decode()
