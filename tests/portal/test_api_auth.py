import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import DEFAULT_PASSWORD
from tests.fixtures_roles import client_for

pytestmark = pytest.mark.django_db


def test_token_endpoint_returns_a_token_for_valid_credentials(api_client, consumer):
    response = api_client.post(
        reverse("portal_api:token"), {"username": consumer.username, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=consumer).key}


def test_token_endpoint_returns_the_same_token_twice(api_client, consumer):
    credentials = {"username": consumer.username, "password": DEFAULT_PASSWORD}

    first = api_client.post(reverse("portal_api:token"), credentials).json()["token"]
    second = api_client.post(reverse("portal_api:token"), credentials).json()["token"]

    assert first == second


@pytest.mark.parametrize("payload", [{"username": "nobody", "password": "wrong-password"}, {"username": "nobody"}, {}])
def test_token_endpoint_answers_400_for_bad_credentials(api_client, consumer, payload):
    response = api_client.post(reverse("portal_api:token"), payload)

    assert response.status_code == 400
    assert response.json()


def test_token_endpoint_is_throttled(api_client, consumer, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})

    statuses = [
        api_client.post(reverse("portal_api:token"), {"username": "x", "password": "y"}).status_code
        for _attempt in range(4)
    ]

    assert statuses == [400, 400, 400, 429]


def test_token_works_for_later_requests(api_client, consumer):
    credentials = {"username": consumer.username, "password": DEFAULT_PASSWORD}
    token = api_client.post(reverse("portal_api:token"), credentials).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = api_client.get(reverse("portal_api:me"))

    assert response.status_code == 200
    assert response.json()["username"] == consumer.username


def test_me_requires_authentication(api_client):
    assert api_client.get(reverse("portal_api:me")).status_code == 401


def test_me_describes_a_consumer(consumer):
    response = client_for(consumer).get(reverse("portal_api:me"))

    assert response.json() == {
        "username": consumer.username,
        "role": "consumer",
        "platform": None,
        "staff_role": "",
    }


def test_me_describes_platform_staff_with_their_platform(agent):
    data = client_for(agent).get(reverse("portal_api:me")).json()

    assert data["role"] == "platform_staff"
    assert data["platform"] == agent.platform.slug
    assert data["staff_role"] == agent.staff_role


def test_me_describes_a_platform_api_key_as_an_agent(platform, api_key):
    data = client_for(api_key=api_key).get(reverse("portal_api:me")).json()

    assert data["role"] == "platform_staff"
    assert data["platform"] == platform.slug
    assert data["staff_role"] == "agent"


def test_me_describes_a_regulator(regulator):
    data = client_for(regulator).get(reverse("portal_api:me")).json()

    assert data["role"] == "regulator"
    assert data["platform"] is None


def test_token_endpoint_locks_out_after_five_failures(api_client, consumer):
    url = reverse("portal_api:token")
    statuses = [
        api_client.post(url, {"username": consumer.username, "password": "wrong"}).status_code for _attempt in range(5)
    ]
    with_right_password = api_client.post(url, {"username": consumer.username, "password": DEFAULT_PASSWORD})

    assert statuses == [400, 400, 400, 400, 429]
    assert with_right_password.status_code == 429
    assert with_right_password.json()["detail"]
    assert int(with_right_password.headers["Retry-After"]) > 0
