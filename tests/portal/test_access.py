"""portal.access: every role against every predicate, the template filter, the DRF permissions, and the one bypass."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from rest_framework.test import APIRequestFactory

from platforms.authentication import ApiKeyUser
from platforms.models import ApiKey
from portal import access
from portal.models import User
from tests.factories import ConsumerFactory, ManagerFactory, PlatformFactory, RegulatorFactory, StaffFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "consumer",
    "inactive_consumer",
    "agent",
    "manager",
    "api_key",
    "regulator",
    "inactive_regulator",
    "superuser",
]


@pytest.fixture
def users():
    platform = PlatformFactory()
    return {
        "anonymous": AnonymousUser(),
        "consumer": ConsumerFactory(),
        "inactive_consumer": ConsumerFactory(is_active=False),
        "agent": StaffFactory(platform=platform),
        "manager": ManagerFactory(platform=platform),
        "api_key": ApiKeyUser(ApiKey(platform=platform, name="erp", prefix="abcd1234")),
        "regulator": RegulatorFactory(),
        "inactive_regulator": RegulatorFactory(is_active=False),
        "superuser": User.objects.create_superuser("root", "root@example.cn", "root-pass-2026-x"),
    }


def row(*holders: str) -> dict[str, bool]:
    unknown = set(holders) - set(ROLES)
    assert not unknown, unknown
    return {role: role in holders for role in ROLES}


# Who holds each right. Rights on the user alone; see below for those about a complaint.
TABLE = {
    access.is_authenticated: row(*(r for r in ROLES if r != "anonymous")),
    access.is_superuser: row("superuser"),
    access.is_consumer: row("consumer", "inactive_consumer"),
    access.is_regulator: row("regulator", "inactive_regulator", "superuser"),
    access.acts_as_regulator: row("regulator", "inactive_regulator", "superuser"),
    access.is_platform_staff: row("agent", "manager", "api_key"),
    access.manages_platform: row("manager"),
    access.may_read_internal_notes: row("agent", "manager", "api_key", "regulator", "inactive_regulator", "superuser"),
    access.may_keep_internal_notes: row("agent", "manager", "api_key", "regulator", "inactive_regulator", "superuser"),
    access.may_see_penalties: row("agent", "manager", "api_key", "regulator", "superuser"),
    access.sees_payment_reference: row(
        "consumer", "inactive_consumer", "agent", "manager", "api_key", "regulator", "inactive_regulator", "superuser"
    ),
    access.works_in_admin: row("regulator", "inactive_regulator", "superuser"),
    # RegulatorFactory's regulators belong to the national office; the office dimension is in test_offices.py.
    access.is_national_supervisor: row("regulator", "inactive_regulator", "superuser"),
    access.has_account: row(*(r for r in ROLES if r not in ("anonymous", "api_key"))),
}


@pytest.mark.parametrize("predicate", TABLE, ids=lambda p: p.__name__)
def test_role_by_predicate_table(users, predicate):
    assert {role: predicate(users[role]) for role in ROLES} == TABLE[predicate]


def test_every_public_predicate_is_in_the_table():
    predicates = {
        value
        for name, value in vars(access).items()
        if callable(value)
        and not isinstance(value, type)
        and not name.startswith("_")
        and getattr(value, "__module__", None) == access.__name__
        and value.__code__.co_argcount == 1
    } - {access.can, access.office_scope, access.office_ids_in_scope}  # scopes, not yes/no
    assert predicates == set(TABLE)


def test_a_superuser_without_the_regulator_role_still_acts_as_one_but_does_not_hold_the_role(users):
    root = users["superuser"]
    root.role = "consumer"
    assert access.acts_as_regulator(root) and access.works_in_admin(root) and access.may_see_penalties(root)
    assert not access.is_regulator(root) and not access.may_keep_internal_notes(root)


def test_a_platform_manager_without_a_platform_is_not_staff():
    # The model's properties require the platform; an unsaved half-made account must not pass.
    user = User(role="platform_staff", staff_role="manager", platform=None)
    assert not access.is_platform_staff(user) and not access.manages_platform(user)


def test_predicates_refuse_none_and_an_object_without_any_role_attribute():
    for predicate in TABLE:
        assert predicate(None) is False
        assert predicate(object()) is False


# --- rights about one complaint ----------------------------------------------------------------------------

COMPLAINT_TABLE = {
    # (predicate, whose complaint): holders
    (access.owns_complaint, "theirs"): row("consumer", "inactive_consumer"),
    (access.owns_complaint, "another"): row(),
    (access.works_for_platform_of, "theirs"): row("agent", "manager", "api_key"),
    (access.works_for_platform_of, "another"): row(),
    (access.sees_consumer_contact, "theirs"): row(
        "agent", "manager", "api_key", "regulator", "inactive_regulator", "superuser"
    ),
    (access.sees_consumer_contact, "another"): row("regulator", "inactive_regulator", "superuser"),
    # Inactive accounts hold it but never reach a complaint: complaints_visible_to gives them none.
    (access.may_post_in_thread, "theirs"): row(
        "consumer", "inactive_consumer", "agent", "manager", "api_key", "regulator", "inactive_regulator", "superuser"
    ),
    (access.may_post_in_thread, "another"): row("regulator", "inactive_regulator", "superuser"),
}


@pytest.mark.parametrize("predicate,whose", COMPLAINT_TABLE, ids=lambda v: getattr(v, "__name__", v))
def test_role_by_complaint_predicate_table(users, predicate, whose):
    def complaint_for(user):
        # "theirs": filed by this consumer, against this staff member's platform; "another": neither.
        if whose == "another":
            return SimpleNamespace(consumer_id=-1, platform_id=-1)
        return SimpleNamespace(
            consumer_id=getattr(user, "pk", None) or -2, platform_id=getattr(user, "platform_id", None) or -2
        )

    got = {role: predicate(users[role], complaint_for(users[role])) for role in ROLES}
    assert got == COMPLAINT_TABLE[(predicate, whose)]


def test_another_platforms_staff_do_not_work_for_the_complaint(users):
    complaint = SimpleNamespace(consumer_id=users["consumer"].pk, platform_id=PlatformFactory().pk)
    assert not access.works_for_platform_of(users["agent"], complaint)
    assert not access.sees_consumer_contact(users["manager"], complaint)


# --- templates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("right", sorted(access.RIGHTS))
def test_template_filter_asks_the_same_predicate(users, right):
    template = Template("{% load portal_tags %}{% if user|can:right %}yes{% else %}no{% endif %}")
    for role in ROLES:
        expected = "yes" if access.RIGHTS[right](users[role]) else "no"
        assert template.render(Context({"user": users[role], "right": right})) == expected, role


def test_template_filter_refuses_an_unknown_right(users):
    template = Template('{% load portal_tags %}{% if user|can:"see_everything" %}yes{% endif %}')
    with pytest.raises(ValueError, match="see_everything"):
        template.render(Context({"user": users["regulator"]}))


# --- DRF permissions -------------------------------------------------------------------------------------

PERMISSIONS = {
    access.IsPlatformStaff: access.is_platform_staff,
    access.ManagesPlatform: access.manages_platform,
    access.ActsAsRegulator: access.acts_as_regulator,
}


@pytest.mark.parametrize("permission", PERMISSIONS, ids=lambda p: p.__name__)
def test_drf_permission_follows_its_predicate_and_refuses_anonymous(users, permission):
    request = APIRequestFactory().get("/api/v1/")
    for role in ROLES:
        request.user = users[role]
        expected = role != "anonymous" and PERMISSIONS[permission](users[role])
        assert permission().has_permission(request, view=None) is expected, role


# --- the one bypass --------------------------------------------------------------------------------------

APP_DIRS = ("portal", "platforms", "complaints", "regulation")


def app_sources():
    for app in APP_DIRS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path, path.read_text(encoding="utf-8")


def test_unscoped_complaints_for_system_is_the_only_named_bypass():
    names = {name for _path, source in app_sources() for name in re.findall(r"^def (unscoped_\w+)", source, re.M)}
    assert names == {"unscoped_complaints_for_system"}


def test_every_tenant_table_is_read_whole_only_inside_its_selector():
    whole_reads = {
        (str(path.relative_to(settings.BASE_DIR)), model)
        for path, source in app_sources()
        for model in re.findall(r"\b(Complaint|Penalty|Evidence|InternalNote)\.objects\.all\(\)", source)
    }
    # Penalties are read whole nowhere: a regulator's read is narrowed to their office scope.
    assert whole_reads == {("complaints/selectors.py", "Complaint")}


def test_no_code_outside_portal_access_spells_a_role_rule():
    flags = r"(is_regulator|is_superuser|is_platform_staff|is_platform_manager|is_consumer)"
    spelled = re.compile(rf'\.{flags}\b|getattr\([^,]+, "{flags}"')
    # The model defines the roles; the API key user declares its own; the admin names the fields it edits.
    exempt = {"portal/access.py", "portal/models.py", "platforms/authentication.py"}
    offenders = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path, source in app_sources()
        if str(path.relative_to(settings.BASE_DIR)) not in exempt
        for number, line in enumerate(source.splitlines(), 1)
        if spelled.search(line)
    ]
    templates = Path(settings.BASE_DIR) / "templates"
    offenders += [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in templates.rglob("*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"user\.is_(regulator|superuser|platform_staff|platform_manager|consumer)\b", line)
    ]
    assert offenders == []
