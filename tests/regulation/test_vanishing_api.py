"""The alerts API and admin: office-scoped, fail-closed, 404 outside the caller's scope."""

import pytest
from django.urls import reverse
from django.utils import timezone

from regulation.models import VanishingAlert, VanishingAlertStatus
from tests.factories import ConsumerFactory, ManagerFactory
from tests.fixtures_roles import client_for
from tests.offices import build_tree, platform_in

pytestmark = pytest.mark.django_db

LIST = "/api/v1/regulator/alerts/"


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture
def alert(tree):
    now = timezone.now()
    return VanishingAlert.objects.create(
        platform=platform_in(tree.district_a), office=tree.district_a, opened_at=now, refreshed_at=now
    )


SEES = {"national": True, "province": True, "city": True, "a": True, "b": False, "cousin": False}


@pytest.mark.parametrize(("who", "sees"), SEES.items())
def test_regulators_list_the_alerts_of_their_offices_only(tree, alert, who, sees):
    response = client_for(tree.regulator(who)).get(LIST)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == ([alert.pk] if sees else [])


@pytest.mark.parametrize(("who", "sees"), SEES.items())
def test_dismissing_outside_the_scope_answers_404(tree, alert, who, sees):
    response = client_for(tree.regulator(who)).post(
        f"{LIST}{alert.pk}/dismiss/", {"reason": "reachable by phone"}, format="json"
    )

    assert response.status_code == (200 if sees else 404)


def test_confirming_answers_the_alert_with_the_reference(tree, alert):
    response = client_for(tree.regulator("a")).post(f"{LIST}{alert.pk}/confirm/", {}, format="json")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == VanishingAlertStatus.CONFIRMED
    assert body["unreachable_reference"].startswith("杭西市监预警〔")


def test_confirming_twice_answers_409(tree, alert):
    client = client_for(tree.regulator("a"))
    client.post(f"{LIST}{alert.pk}/confirm/", {}, format="json")

    assert client.post(f"{LIST}{alert.pk}/confirm/", {}, format="json").status_code == 409


def test_dismissing_without_a_reason_answers_400_with_the_field(tree, alert):
    response = client_for(tree.regulator("a")).post(f"{LIST}{alert.pk}/dismiss/", {"reason": ""}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()


@pytest.mark.parametrize("who", ["anonymous", "consumer", "platform manager"])
def test_others_are_refused_before_any_lookup(tree, alert, who):
    user = {
        "anonymous": None,
        "consumer": ConsumerFactory(),
        "platform manager": ManagerFactory(platform=alert.platform),
    }[who]
    client = client_for(user)

    assert client.get(LIST).status_code in (401, 403)
    assert client.post(f"{LIST}{alert.pk}/confirm/", {}, format="json").status_code in (401, 403)
    alert.refresh_from_db()
    assert alert.status == VanishingAlertStatus.OPEN


def test_the_list_filters_by_status(tree, alert):
    client = client_for(tree.regulator("a"))
    client.post(f"{LIST}{alert.pk}/dismiss/", {"reason": "ok"}, format="json")

    assert client.get(LIST).json()["results"] == []
    assert [row["id"] for row in client.get(LIST, {"status": "dismissed"}).json()["results"]] == [alert.pk]


@pytest.mark.parametrize(("who", "sees"), SEES.items())
def test_the_admin_lists_the_alerts_of_the_regulators_offices(client, tree, alert, who, sees):
    client.force_login(tree.regulator(who))

    response = client.get(reverse("admin:regulation_vanishingalert_changelist"))

    assert response.status_code == 200
    assert (f"/{alert.pk}/change/" in response.content.decode()) is sees


def test_the_admin_dismiss_action_asks_for_a_reason_then_dismisses(client, tree, alert):
    client.force_login(tree.regulator("a"))
    url = reverse("admin:regulation_vanishingalert_changelist")
    selection = {"action": "dismiss", "_selected_action": [alert.pk]}

    form_page = client.post(url, selection)
    assert form_page.status_code == 200
    assert 'name="reason"' in form_page.content.decode()
    client.post(url, {**selection, "apply": "1", "reason": "checked: the site answers"})

    alert.refresh_from_db()
    assert (alert.status, alert.reason) == (VanishingAlertStatus.DISMISSED, "checked: the site answers")


def test_the_admin_confirm_action_confirms(client, tree, alert):
    client.force_login(tree.regulator("city"))
    url = reverse("admin:regulation_vanishingalert_changelist")

    client.post(url, {"action": "confirm", "_selected_action": [alert.pk], "apply": "1", "reason": ""})

    alert.platform.refresh_from_db()
    assert alert.platform.is_unreachable
