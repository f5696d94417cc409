"""Penalty decisions per office: each office numbers its own decisions with its prefix, issues them under its own
name, and regulators read the decisions of their office and the offices below it only (web, API, admin)."""

from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import NumberSequence
from portal.roles import make_regulator
from regulation.models import PenaltyKind
from regulation.penalties import penalty_issue, penalty_sequence_scope
from tests.factories import RegulatorFactory
from tests.fixtures_roles import client_for
from tests.offices import build_tree
from tests.pdf_reading import compact, pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

DECISION = {
    "kind": PenaltyKind.WARNING,
    "legal_basis": "《中华人民共和国电子商务法》第七十七条",
    "facts": "当事人收款后未按约定交付虚拟商品。",
    "decision": "警告，并责令立即改正。",
}


@pytest.fixture
def offices(db):
    """Two districts of Hangzhou (Xihu, Binjiang), the city, the province and the national office."""
    tree = build_tree()
    return SimpleNamespace(
        a=tree.district_a, b=tree.district_b, city=tree.city, province=tree.province, national=tree.national
    )


def regulator_of(office):
    user = RegulatorFactory(office=office)
    make_regulator(user)
    return user


def issue(office, platform, **overrides):
    return penalty_issue(by=regulator_of(office), platform=platform, **{**DECISION, **overrides})


# --- numbers ---------------------------------------------------------------------------------------------


def test_two_offices_number_their_decisions_of_a_year_each_from_one_with_their_prefix(offices, platform):
    year = timezone.localdate().year
    numbers = [issue(office, platform).number for office in (offices.a, offices.b, offices.a, offices.b)]
    assert numbers == [
        f"杭西市监处罚〔{year}〕1号",
        f"杭滨市监处罚〔{year}〕1号",
        f"杭西市监处罚〔{year}〕2号",
        f"杭滨市监处罚〔{year}〕2号",
    ]


def test_each_office_has_its_own_gap_free_counter(offices, platform):
    issue(offices.a, platform)
    issue(offices.a, platform)
    issue(offices.b, platform)
    year = timezone.localdate().year
    counters = dict(
        NumberSequence.objects.filter(scope__startswith="penalty:", year=year).values_list("scope", "last_value")
    )
    assert counters == {penalty_sequence_scope(offices.a.pk): 2, penalty_sequence_scope(offices.b.pk): 1}


def test_the_decision_belongs_to_the_issuing_regulator_s_office(offices, platform):
    assert issue(offices.b, platform).office == offices.b


def test_an_office_without_a_prefix_numbers_in_the_plain_form(offices, platform):
    offices.city.penalty_number_prefix = ""
    offices.city.save()
    assert issue(offices.city, platform).number == f"〔{timezone.localdate().year}〕第0001号"


def test_a_regulator_without_an_office_cannot_issue(platform):
    from django.core.exceptions import PermissionDenied

    lost = RegulatorFactory(office=None)
    make_regulator(lost)
    with pytest.raises(PermissionDenied):
        penalty_issue(by=lost, platform=platform, **DECISION)


# --- the notice ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["a", "b"])
def test_the_notice_is_issued_in_the_office_s_name_with_its_seal_line(offices, platform, which):
    office = getattr(offices, which)
    penalty = issue(office, platform)
    response = client_for(regulator_of(office)).get(reverse("regulation_api:penalty-notice", args=[penalty.pk]))
    text = compact(pdf_text(b"".join(response.streaming_content) if response.streaming else response.content))
    assert compact(penalty.number) in text
    assert text.count(office.name) >= 3  # the heading, the signature and the seal line
    other = offices.b if which == "a" else offices.a
    assert other.name not in text and "某市市场监督管理局" not in text


# --- who reads which decisions ---------------------------------------------------------------------------

# Xihu's decision, read by a regulator of each office: the same office, its sibling, the city and the province
# above it, the national office. A child office reading its parent's decision is the last case.
VISIBILITY = [("a", True), ("b", False), ("city", True), ("province", True), ("national", True)]


@pytest.fixture
def xihu_penalty(offices, platform):
    return issue(offices.a, platform)


def _admin_change_status(client, penalty) -> tuple[int, str]:
    response = client.get(reverse("admin:regulation_penalty_change", args=[penalty.pk]))
    return response.status_code, response.get("Location", "")


@pytest.mark.parametrize(("reader", "sees"), VISIBILITY)
def test_web_pages_show_a_decision_only_inside_the_reader_s_scope(client, offices, xihu_penalty, reader, sees):
    client.force_login(regulator_of(getattr(offices, reader)))
    for name in ("regulation:penalty-detail", "regulation:penalty-notice"):
        assert client.get(reverse(name, args=[xihu_penalty.pk])).status_code == (200 if sees else 404)
    listed = client.get(reverse("regulation:penalty-list")).content.decode()
    assert (xihu_penalty.number in listed) is sees


@pytest.mark.parametrize(("reader", "sees"), VISIBILITY)
def test_api_shows_a_decision_only_inside_the_reader_s_scope(offices, xihu_penalty, reader, sees):
    api = client_for(regulator_of(getattr(offices, reader)))
    for name in ("regulation_api:penalty-detail", "regulation_api:penalty-notice"):
        assert api.get(reverse(name, args=[xihu_penalty.pk])).status_code == (200 if sees else 404)
    numbers = [row["number"] for row in api.get(reverse("regulation_api:penalty-list")).json()["results"]]
    assert (xihu_penalty.number in numbers) is sees


@pytest.mark.parametrize(("reader", "sees"), VISIBILITY)
def test_admin_shows_a_decision_only_inside_the_reader_s_scope(client, offices, xihu_penalty, reader, sees):
    client.force_login(regulator_of(getattr(offices, reader)))
    changelist = client.get(reverse("admin:regulation_penalty_changelist")).content.decode()
    assert (xihu_penalty.number in changelist) is sees
    status, location = _admin_change_status(client, xihu_penalty)
    if sees:
        assert status == 200
    else:
        # The admin answers an object out of scope exactly as a missing one: back to its index.
        missing = SimpleNamespace(pk=xihu_penalty.pk + 1000)
        assert (status, location) == _admin_change_status(client, missing)
        assert status == 302


def test_a_district_does_not_read_its_city_s_decisions(client, offices, platform):
    city_penalty = issue(offices.city, platform)
    district = regulator_of(offices.a)
    assert client_for(district).get(reverse("regulation_api:penalty-detail", args=[city_penalty.pk])).status_code == 404
    client.force_login(district)
    assert client.get(reverse("regulation:penalty-detail", args=[city_penalty.pk])).status_code == 404


def test_platform_staff_see_their_platform_s_decisions_of_every_office(offices, platform, agent):
    issue(offices.a, platform)
    issue(offices.b, platform)
    assert client_for(agent).get(reverse("regulation_api:penalty-list")).json()["count"] == 2


def test_the_public_registry_lists_every_office_s_decisions(client, offices, platform):
    first, second = issue(offices.a, platform), issue(offices.b, platform)
    page = client.get(reverse("regulation:registry-detail", args=[platform.slug])).content.decode()
    assert first.number in page and second.number in page


def test_the_api_names_the_issuing_office(offices, platform):
    penalty = issue(offices.a, platform)
    body = client_for(regulator_of(offices.a)).get(reverse("regulation_api:penalty-detail", args=[penalty.pk])).json()
    assert (body["office"], body["office_name"]) == ("330106", "杭州市西湖区市场监督管理局")


def test_the_platform_is_told_which_office_decided(offices, platform, agent):
    from portal.models import OutboxMessage

    issue(offices.a, platform)
    assert OutboxMessage.objects.get(template="penalty_issued").context["office"] == "杭州市西湖区市场监督管理局"
