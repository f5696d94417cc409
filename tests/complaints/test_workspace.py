"""The platform workspace's pages with complaint data: the overview, a webhook's test ping and delivery log; and
what the complaints app does when the platforms app deactivates a staff member or a webhook."""

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from complaints import services as complaint_services
from complaints.models import DeliveryStatus, WebhookDelivery
from complaints.webhooks import webhook_send_test
from platforms import services
from platforms.models import WEBHOOK_TEST_EVENT, WebhookEvent
from tests.factories import WebhookEndpointFactory, file_complaint

pytestmark = pytest.mark.django_db


def test_agent_sees_profile_and_platform_overview_without_management(agent_client, agent, platform):
    file_complaint(platform=platform)
    response = agent_client.get(reverse("complaints:workspace-home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert agent.username in html and response.context["overview"]["open"] == 1
    assert reverse("platforms:workspace-api-keys") not in html


def test_deactivate_switches_off_the_account_and_unassigns_its_open_complaints(
    manager_client, manager, agent, platform
):
    complaint = file_complaint(platform=platform)
    complaint_services.complaint_assign(complaint_ids=[complaint.pk], by=manager, assignee=agent)
    response = manager_client.post(reverse("platforms:workspace-staff-deactivate", args=[agent.pk]))
    assert response.status_code == 302
    agent.refresh_from_db(), complaint.refresh_from_db()
    assert agent.is_active is False and complaint.assigned_to is None


def test_deactivation_rolls_back_when_its_complaints_cannot_be_unassigned(manager, agent, platform):
    complaint = file_complaint(platform=platform)
    complaint_services.complaint_assign(complaint_ids=[complaint.pk], by=manager, assignee=agent)
    with (
        mock.patch("complaints.receivers.complaint_assign", side_effect=RuntimeError("database gone")),
        pytest.raises(RuntimeError),
    ):
        services.staff_deactivate(by=manager, user_id=agent.pk)
    agent.refresh_from_db(), complaint.refresh_from_db()
    assert agent.is_active is True and complaint.assigned_to == agent


def test_deactivating_a_webhook_also_cancels_its_pending_deliveries(manager_client, platform):
    endpoint = WebhookEndpointFactory(platform=platform)
    pending = WebhookDelivery.objects.create(endpoint=endpoint, event="complaint.created", payload={})
    manager_client.post(reverse("platforms:workspace-webhook-deactivate", args=[endpoint.pk]))
    endpoint.refresh_from_db(), pending.refresh_from_db()
    assert endpoint.is_active is False and pending.status == DeliveryStatus.FAILED


def test_send_test_queues_a_ping_delivery_and_shows_the_log(manager_client, platform):
    endpoint = WebhookEndpointFactory(platform=platform)
    response = manager_client.post(reverse("complaints:workspace-webhook-test", args=[endpoint.pk]), follow=True)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event) == (endpoint, WEBHOOK_TEST_EVENT)
    assert response.request["PATH_INFO"] == reverse("complaints:workspace-webhook-deliveries", args=[endpoint.pk])


def test_a_ping_delivery_is_a_valid_row_but_not_an_event_to_subscribe_to(manager, platform):
    endpoint = WebhookEndpointFactory(platform=platform)
    webhook_send_test(by=manager, webhook_id=endpoint.pk)

    WebhookDelivery.objects.get().full_clean()
    assert WEBHOOK_TEST_EVENT not in WebhookEvent.values


def test_send_test_to_a_deactivated_webhook_is_refused(manager, platform):
    endpoint = WebhookEndpointFactory(platform=platform, is_active=False)
    with pytest.raises(ValidationError):
        webhook_send_test(by=manager, webhook_id=endpoint.pk)


def test_delivery_log_is_paginated_with_constant_queries(manager_client, platform, django_assert_max_num_queries):
    endpoint = WebhookEndpointFactory(platform=platform)
    WebhookDelivery.objects.create(endpoint=endpoint, event="complaint.created", payload={})
    url = reverse("complaints:workspace-webhook-deliveries", args=[endpoint.pk])
    with django_assert_max_num_queries(10) as few:
        manager_client.get(url)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event="complaint.overdue", payload={}) for _ in range(40)
    )
    with django_assert_max_num_queries(10) as many:
        response = manager_client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(response.context["page"]) == 25 and response.context["page"].paginator.num_pages == 2
