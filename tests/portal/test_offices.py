"""The office tree, the office scope and routing on filing (Order 121 Art. 13, 14, 41)."""

import pytest
from django.core.exceptions import ValidationError

from complaints.selectors import complaints_visible_to
from portal.access import office_ids_in_scope, office_scope
from portal.models import Office, OfficeLevel
from portal.offices import receiving_office_for
from tests.factories import PlatformFactory, RegulatorFactory, file_complaint
from tests.offices import build_tree, platform_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return build_tree()


def test_path_makes_an_office_and_everything_below_it_one_prefix(tree):
    assert tree.district_a.path == "100000/330000/330100/330106/"
    assert set(tree.city.subtree()) == {tree.city, tree.district_a, tree.district_b}
    assert list(tree.district_a.ancestors()) == [tree.national, tree.province, tree.city]
    assert tree.city.is_above(tree.district_a) and not tree.district_a.is_above(tree.district_b)


def test_moving_an_office_moves_the_paths_below_it(tree):
    tree.city.parent = tree.national
    tree.city.level = OfficeLevel.PROVINCE
    tree.city.save()

    tree.district_a.refresh_from_db()
    assert tree.district_a.path == "100000/330100/330106/"


@pytest.mark.parametrize("code", ["33010", "3301066", "33O106", ""])
def test_division_code_must_be_six_digits(tree, code):
    office = Office(division_code=code, level=OfficeLevel.COUNTY, parent=tree.city, name="x", short_name="x")
    with pytest.raises(ValidationError) as raised:
        office.full_clean()
    assert "division_code" in raised.value.message_dict


def test_a_county_code_lies_inside_its_city(tree):
    office = Office(division_code="330203", level=OfficeLevel.COUNTY, parent=tree.city, name="x", short_name="x")
    with pytest.raises(ValidationError) as raised:
        office.full_clean()
    assert "division_code" in raised.value.message_dict


def test_a_platform_domicile_must_be_six_digits():
    platform = PlatformFactory.build(domicile_code="3301")
    with pytest.raises(ValidationError) as raised:
        platform.full_clean()
    assert "domicile_code" in raised.value.message_dict


def test_filing_against_a_platform_domiciled_in_a_district_goes_to_that_district(tree):
    complaint = file_complaint(platform=platform_in(tree.district_a))

    assert complaint.office == tree.district_a
    assert complaint.first_received_by == tree.district_a
    assert complaint.office_since == complaint.created_at


def test_a_domicile_without_its_county_office_goes_to_the_nearest_office_above(tree):
    assert receiving_office_for("330199") == tree.city
    assert receiving_office_for("339999") == tree.province


@pytest.mark.parametrize("domicile", ["", "110101"])
def test_no_or_unknown_domicile_goes_to_the_receiving_centres_triage(tree, domicile):
    complaint = file_complaint(platform=PlatformFactory(domicile_code=domicile))

    assert complaint.office == tree.national and tree.national.is_receiving_centre


def test_an_unregistered_platform_goes_to_the_receiving_centres_triage(tree):
    complaint = file_complaint(
        platform=False, unregistered_platform_name="某卡盟", unregistered_platform_url="https://x.cn"
    )

    assert complaint.office == tree.national


def test_a_regulator_sees_their_office_and_below_never_a_sibling(tree):
    in_a = file_complaint(platform=platform_in(tree.district_a))
    in_b = file_complaint(platform=platform_in(tree.district_b))
    in_cousin = file_complaint(platform=platform_in(tree.cousin))

    def visible(name):
        return set(complaints_visible_to(tree.regulator(name)))

    assert visible("a") == {in_a}
    assert visible("b") == {in_b}
    assert visible("city") == {in_a, in_b}
    assert visible("province") == {in_a, in_b, in_cousin}
    assert visible("national") >= {in_a, in_b, in_cousin}


def test_a_regulator_without_an_office_sees_nothing(tree):
    file_complaint(platform=platform_in(tree.district_a))
    orphan = RegulatorFactory(office=None)

    assert office_scope(orphan).is_empty
    assert not complaints_visible_to(orphan).exists()
    assert not office_ids_in_scope(orphan).exists()


def test_office_ids_in_scope_is_none_for_the_national_supervisor(tree):
    assert office_ids_in_scope(tree.regulator("national")) is None
    assert set(office_ids_in_scope(tree.regulator("city")).values_list("pk", flat=True)) == {
        tree.city.pk,
        tree.district_a.pk,
        tree.district_b.pk,
    }


def test_a_county_desk_filters_on_one_office_id(tree):
    sql = str(complaints_visible_to(tree.regulator("a")).query)

    assert "portal_office" not in sql


def test_only_regulators_may_have_an_office(tree):
    from django.db import IntegrityError

    consumer = file_complaint(platform=platform_in(tree.district_a)).consumer
    consumer.office = tree.district_a
    with pytest.raises(IntegrityError):
        consumer.save()


def test_seed_demo_gives_each_district_desk_its_own_complaints():
    from io import StringIO

    from django.core.management import call_command

    from portal.models import User

    call_command("seed_demo", market_complaints=0, stdout=StringIO())  # the stories alone

    def desk(username):
        return complaints_visible_to(User.objects.get(username=username))

    xihu, binjiang, city = desk("demo-regulator-xihu"), desk("demo-regulator-binjiang"), desk("demo-regulator-city")
    assert set(xihu.values_list("platform__slug", flat=True)) == {"demo-kameng", "yunduan-kameng"}
    assert set(binjiang.values_list("platform__slug", flat=True)) == {"jisu-card", "xingyou-dianka", "shanchong-kameng"}
    assert set(city) == set(xihu) | set(binjiang)
    assert desk("demo-regulator").count() == city.count() + 1  # and the unregistered platform's, in triage


def test_regulator_e_mails_go_to_the_handling_office_or_the_nearest_one_above(tree, settings):
    from complaints.notifications import regulator_recipients_by_office

    settings.REGULATOR_NOTIFICATION_EMAILS = []
    tree.regulator("b").delete()

    recipients = regulator_recipients_by_office({tree.district_a.pk, tree.district_b.pk, None})

    assert recipients[tree.district_a.pk] == ["reg-a@example.cn"]
    assert recipients[tree.district_b.pk] == ["reg-city@example.cn"]  # no regulator of its own: the city's
    assert "reg-national@example.cn" in recipients[None] and "reg-a@example.cn" not in recipients[None]


def test_district_b_gets_404_on_district_a_complaint_by_web_admin_and_api_and_the_city_sees_it(tree, client):
    from django.urls import reverse

    from tests.fixtures_roles import client_for

    complaint = file_complaint(platform=platform_in(tree.district_a))
    urls = {
        "web": reverse("complaints:complaint-detail", args=[complaint.pk]),
        "api": reverse("complaints_api:complaint-detail", args=[complaint.pk]),
        "admin": reverse("admin:complaints_complaint_change", args=[complaint.pk]),
    }

    def answers(name):
        client.force_login(tree.regulator(name))
        api = client_for(tree.regulator(name))
        return {
            "web": client.get(urls["web"]).status_code,
            "api": api.get(urls["api"]).status_code,
            "admin": client.get(urls["admin"]).status_code,
        }

    assert answers("a") == {"web": 200, "api": 200, "admin": 200}
    assert answers("city") == {"web": 200, "api": 200, "admin": 200}
    assert answers("b") == {"web": 404, "api": 404, "admin": 404}
