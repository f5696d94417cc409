"""The benchmark's office scenarios: a regulator of the busiest county office and of its city are picked from the
data, and each of their scenarios answers 200 on a tiny data set. Nothing here measures time."""

import pytest

from bench import scenarios
from bench.actors import pick_actors
from portal.offices import national_office
from tests.factories import ConsumerFactory, PlatformFactory, file_complaint
from tests.offices import build_tree, platform_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_counties(db):
    tree = build_tree()
    busy, quiet = tree.district_a, tree.district_b
    for office, count in ((busy, 3), (quiet, 1)):
        platform = platform_in(office)
        for _ in range(count):
            file_complaint(ConsumerFactory(), platform)
    return busy, quiet


def test_the_busiest_county_and_its_city_are_picked_with_a_national_supervisor(two_counties):
    busy, _quiet = two_counties
    actors = pick_actors()
    assert (actors.county_office, actors.county_office_complaints) == (busy, 3)
    assert actors.county_regulator.office == busy and actors.city_regulator.office == busy.parent
    assert actors.regulator.office == national_office()
    assert pick_actors().county_regulator == actors.county_regulator


def test_every_office_scenario_answers_200_for_its_caller(two_counties):
    actors = pick_actors()
    office_scenarios = scenarios.office_scenarios(actors)
    assert len(office_scenarios) >= 6
    for scenario in office_scenarios:
        if scenario.resolve:  # the 50th page does not exist in three complaints
            continue
        client = scenarios.client_for(scenario.caller, actors)
        _elapsed, queries = scenarios.request_once(client, scenario.url)
        assert queries > 0, scenario.name


def test_without_county_offices_there_are_no_office_scenarios(db):
    file_complaint(ConsumerFactory(), PlatformFactory())
    assert scenarios.office_scenarios(pick_actors()) == []
