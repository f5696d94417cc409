"""Webhooks through the API (/api/v1/platform/webhooks/): the workspace's webhook pages for integrators."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import DeliveryStatus, WebhookDelivery
from platforms.models import WEBHOOK_TEST_EVENT, WebhookEndpoint
from tests.factories import WebhookEndpointFactory
from tests.fixtures_roles import client_for

pytestmark = pytest.mark.django_db

LIST_URL = reverse("platforms_api:webhook-list")
HTTPS_HOOK = "https://hooks.example.cn/complaints"


# Deactivating is a platforms API route; the test send and the delivery log belong to complaints, which owns deliveries.
WEBHOOK_URL_NAMES = {
    "deactivate": "platforms_api:webhook-deactivate",
    "test": "complaints_api:webhook-test",
    "deliveries": "complaints_api:webhook-deliveries",
}


def webhook_url(endpoint: WebhookEndpoint, action: str) -> str:
    return reverse(WEBHOOK_URL_NAMES[action], args=[endpoint.pk])


def add_deliveries(endpoint: WebhookEndpoint, count: int) -> list[WebhookDelivery]:
    return WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event="complaint.created", payload={}) for _ in range(count)
    )


@pytest.fixture
def manager_api(manager):
    return client_for(manager)


@pytest.fixture
def webhook(platform):
    return WebhookEndpointFactory(platform=platform)


# (method, action) of every webhook endpoint; action None is the list itself.
ENDPOINTS = [("get", None), ("post", None), ("post", "deactivate"), ("post", "test"), ("get", "deliveries")]
ENDPOINT_IDS = ["list", "register", "deactivate", "test", "deliveries"]


def call(client, webhook: WebhookEndpoint, method: str, action: str | None):
    url = LIST_URL if action is None else webhook_url(webhook, action)
    body = {"url": HTTPS_HOOK, "events": ["complaint.created"]} if (method, action) == ("post", None) else None
    return getattr(client, method)(url, body, format="json")


# --- register and list ---------------------------------------------------------------------------------


def test_registering_answers_the_secret_once_and_the_list_never_shows_it(manager_api, platform):
    response = manager_api.post(LIST_URL, {"url": HTTPS_HOOK, "events": ["complaint.created"]}, format="json")

    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.platform, endpoint.url, endpoint.events) == (platform, HTTPS_HOOK, ["complaint.created"])
    assert response.json()["secret"] == endpoint.secret
    listed = manager_api.get(LIST_URL)
    assert listed.json()["results"] == [
        {
            "id": endpoint.pk,
            "url": HTTPS_HOOK,
            "events": ["complaint.created"],
            "is_active": True,
            "created_at": response.json()["created_at"],
        }
    ]
    assert endpoint.secret not in listed.content.decode()


@pytest.mark.parametrize(
    "url", ["not a url", "http://hooks.example.cn/x", "https://10.0.0.8/x", "https://user:pw@hooks.example.cn/x"]
)
def test_registering_a_refused_url_is_a_400_on_url(manager_api, url):
    response = manager_api.post(LIST_URL, {"url": url, "events": ["complaint.created"]}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["url"] and response.json()["url"]
    assert not WebhookEndpoint.objects.exists()


def test_registering_without_events_is_a_400_on_events(manager_api):
    response = manager_api.post(LIST_URL, {"url": HTTPS_HOOK, "events": []}, format="json")

    assert response.status_code == 400
    assert response.json()["events"]


def test_plain_http_to_localhost_is_accepted_in_debug(manager_api, settings):
    settings.DEBUG = True
    response = manager_api.post(
        LIST_URL, {"url": "http://127.0.0.1:8080/hook", "events": ["complaint.created"]}, format="json"
    )

    assert response.status_code == 201


def test_list_shows_only_the_platform_s_webhooks_newest_first(manager_api, platform, other_platform):
    older, newer = WebhookEndpointFactory(platform=platform), WebhookEndpointFactory(platform=platform)
    WebhookEndpointFactory(platform=other_platform)
    WebhookEndpoint.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))

    response = manager_api.get(LIST_URL)

    assert [row["id"] for row in response.json()["results"]] == [newer.pk, older.pk]


def test_list_query_count_does_not_grow_with_webhooks(manager_api, platform, django_assert_max_num_queries):
    WebhookEndpointFactory(platform=platform)
    with django_assert_max_num_queries(5) as few:
        assert manager_api.get(LIST_URL).status_code == 200
    WebhookEndpointFactory.create_batch(10, platform=platform)
    with django_assert_max_num_queries(5) as many:
        assert len(manager_api.get(LIST_URL).json()["results"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)


# --- who may -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "action"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_agents_are_refused(agent, webhook, method, action):
    assert call(client_for(agent), webhook, method, action).status_code == 403


@pytest.mark.parametrize(("method", "action"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_the_platform_s_own_api_key_is_refused(api_key, webhook, method, action):
    assert call(client_for(api_key=api_key), webhook, method, action).status_code == 403


def test_an_api_key_cannot_register_or_deactivate(api_key, webhook):
    key_client = client_for(api_key=api_key)

    call(key_client, webhook, "post", None)
    call(key_client, webhook, "post", "deactivate")

    assert list(WebhookEndpoint.objects.values_list("pk", "is_active")) == [(webhook.pk, True)]


@pytest.mark.parametrize("action", ["deactivate", "test", "deliveries"])
def test_another_platform_s_webhook_is_404_and_untouched(manager_api, other_platform, action):
    theirs = WebhookEndpointFactory(platform=other_platform)
    method = "get" if action == "deliveries" else "post"

    response = call(manager_api, theirs, method, action)

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and not theirs.deliveries.exists()


# --- deactivate and test -------------------------------------------------------------------------------


def test_deactivating_answers_the_endpoint_and_cancels_pending_deliveries(manager_api, webhook):
    [pending] = add_deliveries(webhook, 1)

    response = manager_api.post(webhook_url(webhook, "deactivate"))

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["is_active"]) == (webhook.pk, False)
    assert "secret" not in response.json()
    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.FAILED


def test_send_test_queues_a_ping_delivery(manager_api, webhook):
    response = manager_api.post(webhook_url(webhook, "test"))

    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event) == (webhook, WEBHOOK_TEST_EVENT)
    assert response.json()["id"] == delivery.pk
    assert (response.json()["event"], response.json()["status"]) == (WEBHOOK_TEST_EVENT, DeliveryStatus.PENDING)


def test_send_test_to_a_deactivated_webhook_is_a_400(manager_api, platform):
    endpoint = WebhookEndpointFactory(platform=platform, is_active=False)

    response = manager_api.post(webhook_url(endpoint, "test"))

    assert response.status_code == 400
    assert response.json()["non_field_errors"]
    assert not WebhookDelivery.objects.exists()


# --- delivery log --------------------------------------------------------------------------------------


def test_delivery_log_is_newest_first(manager_api, webhook):
    first, second, third = add_deliveries(webhook, 3)
    now = timezone.now()
    # Creation times out of id order, so the answer shows the log is sorted by time, not by id.
    for delivery, minutes_ago in [(first, 1), (second, 30), (third, 10)]:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=now - timedelta(minutes=minutes_ago))

    response = manager_api.get(webhook_url(webhook, "deliveries"))

    assert [row["id"] for row in response.json()["results"]] == [first.pk, third.pk, second.pk]


def test_delivery_log_shows_only_that_webhook_s_deliveries(manager_api, platform, webhook):
    mine = add_deliveries(webhook, 2)
    add_deliveries(WebhookEndpointFactory(platform=platform), 3)

    response = manager_api.get(webhook_url(webhook, "deliveries"))

    assert response.json()["count"] == 2
    assert {row["id"] for row in response.json()["results"]} == {delivery.pk for delivery in mine}


def test_delivery_log_query_count_does_not_grow_with_deliveries(manager_api, webhook, django_assert_max_num_queries):
    add_deliveries(webhook, 1)
    url = webhook_url(webhook, "deliveries")
    with django_assert_max_num_queries(5) as few:
        assert manager_api.get(url).status_code == 200
    add_deliveries(webhook, 20)
    with django_assert_max_num_queries(5) as many:
        assert len(manager_api.get(url).json()["results"]) == 21
    assert len(many.captured_queries) == len(few.captured_queries)
