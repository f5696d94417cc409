"""The platform workspace: staff, API keys and webhooks for managers (the pages with complaint data:
tests/complaints/test_workspace.py)."""

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from platforms import services
from platforms.authentication import hash_api_key
from platforms.models import ApiKey, WebhookEndpoint
from portal.models import OutboxMessage, Role
from tests.factories import ManagerFactory, StaffFactory
from tests.fixtures_roles import client_for, make_api_key

pytestmark = pytest.mark.django_db

HTTPS_HOOK = "https://hooks.example.cn/complaints"
ALL_EVENTS = ["complaint.created", "complaint.disputed", "complaint.escalated", "complaint.overdue"]


def make_webhook(platform, **fields):
    return WebhookEndpoint.objects.create(
        platform=platform,
        url=fields.pop("url", HTTPS_HOOK),
        secret="s" * 64,
        events=fields.pop("events", ALL_EVENTS),
        **fields,
    )


# --- who may enter -------------------------------------------------------------------------------------


def test_manager_sees_management_links(manager_client):
    html = manager_client.get(reverse("complaints:workspace-home")).content.decode()
    assert reverse("platforms:workspace-api-keys") in html and reverse("platforms:workspace-webhooks") in html


@pytest.mark.parametrize("role", ["consumer", "regulator"])
def test_workspace_refuses_non_platform_users(client, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("complaints:workspace-home")).status_code == 403


@pytest.mark.parametrize(
    "url_name", ["platforms:workspace-staff-invite", "platforms:workspace-api-keys", "platforms:workspace-webhooks"]
)
def test_agents_cannot_manage(agent_client, url_name):
    url = reverse(url_name)
    assert agent_client.get(url).status_code == 403
    assert agent_client.post(url, {}).status_code == 403


def test_staff_list_shows_only_the_platform_s_staff(manager_client, agent, other_agent):
    html = manager_client.get(reverse("complaints:workspace-home")).content.decode()
    assert agent.username in html and other_agent.username not in html


# --- staff ---------------------------------------------------------------------------------------------


def test_invite_creates_staff_without_password_and_mails_a_working_set_password_link(
    manager_client, platform, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("platforms:workspace-staff-invite"),
            {
                "username": "xiaoli",
                "email": "xiaoli@platform.example.cn",
                "staff_role": "agent",
            },
        )
    assert response.status_code == 302
    invited = platform.staff.get(username="xiaoli")
    assert (invited.role, invited.staff_role) == (Role.PLATFORM_STAFF, "agent")
    assert not invited.has_usable_password()
    assert [m.to for m in mail.outbox] == [["xiaoli@platform.example.cn"]]
    link = re.search(r"https?://\S+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    client.logout()
    assert client.get(link, follow=True).context["validlink"] is True


def test_invite_refuses_an_e_mail_already_in_use(manager_client, agent):
    response = manager_client.post(
        reverse("platforms:workspace-staff-invite"),
        {
            "username": "someone-new",
            "email": agent.email.upper(),
            "staff_role": "agent",
        },
    )
    assert response.status_code == 200 and "email" in response.context["form"].errors


def test_invite_service_refuses_agents(agent):
    with pytest.raises(PermissionDenied):
        services.staff_invite(by=agent, username="x", email="x@example.cn", staff_role="agent")


def test_deactivating_another_platform_s_staff_is_404(manager_client, other_agent):
    url = reverse("platforms:workspace-staff-deactivate", args=[other_agent.pk])
    assert manager_client.post(url).status_code == 404
    other_agent.refresh_from_db()
    assert other_agent.is_active


def test_a_manager_cannot_deactivate_themself(manager):
    with pytest.raises(ValidationError):
        services.staff_deactivate(by=manager, user_id=manager.pk)
    manager.refresh_from_db()
    assert manager.is_active


def test_deactivate_page_reports_deactivating_oneself_as_an_error(manager_client, manager):
    response = manager_client.post(reverse("platforms:workspace-staff-deactivate", args=[manager.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


# --- API keys ------------------------------------------------------------------------------------------


def test_new_api_key_is_shown_once_and_only_its_hash_is_stored(manager_client, manager):
    response = manager_client.post(reverse("platforms:workspace-api-keys"), {"name": "订单系统"})
    raw_key = response.context["raw_key"]
    stored = ApiKey.objects.get()
    assert raw_key in response.content.decode()
    assert (stored.key_hash, stored.created_by) == (hash_api_key(raw_key), manager)
    assert "no-store" in response["Cache-Control"]
    listing = manager_client.get(reverse("platforms:workspace-api-keys")).content.decode()
    assert raw_key not in listing and stored.prefix in listing


def test_revoking_a_key_stops_it_authenticating(manager_client, platform):
    raw_key = make_api_key(platform)
    key = ApiKey.objects.get()
    manager_client.post(reverse("platforms:workspace-api-key-revoke", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert client_for(api_key=raw_key).get(reverse("portal_api:me")).status_code == 401


def test_revoking_another_platform_s_key_is_404(manager_client, other_platform):
    make_api_key(other_platform)
    key = ApiKey.objects.get()
    assert manager_client.post(reverse("platforms:workspace-api-key-revoke", args=[key.pk])).status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_agent_cannot_create_keys_through_the_service(agent):
    with pytest.raises(PermissionDenied):
        services.api_key_create(by=agent, name="x")


def test_api_key_list_query_count_does_not_grow(manager_client, manager, platform, django_assert_max_num_queries):
    services.api_key_create(by=manager, name="first")
    with django_assert_max_num_queries(10) as few:
        manager_client.get(reverse("platforms:workspace-api-keys"))
    for index in range(10):
        services.api_key_create(by=ManagerFactory(platform=platform), name=f"key {index}")
    with django_assert_max_num_queries(10) as many:
        manager_client.get(reverse("platforms:workspace-api-keys"))
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    ("url_name", "add_one"),
    [
        ("complaints:workspace-home", lambda platform: StaffFactory(platform=platform)),
        ("platforms:workspace-webhooks", lambda platform: make_webhook(platform)),
    ],
    ids=["staff", "webhooks"],
)
def test_workspace_list_query_count_does_not_grow(
    manager_client, platform, url_name, add_one, django_assert_max_num_queries
):
    url = reverse(url_name)
    add_one(platform)
    with django_assert_max_num_queries(10) as few:
        assert manager_client.get(url).status_code == 200
    for _ in range(10):
        add_one(platform)
    with django_assert_max_num_queries(10) as many:
        manager_client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


# --- webhooks ------------------------------------------------------------------------------------------


def test_registering_a_webhook_shows_its_generated_secret_once(manager_client, platform):
    response = manager_client.post(
        reverse("platforms:workspace-webhooks"), {"url": HTTPS_HOOK, "events": ["complaint.created"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.platform, endpoint.events) == (platform, ["complaint.created"])
    assert re.fullmatch(r"[0-9a-f]{64}", endpoint.secret)
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in manager_client.get(reverse("platforms:workspace-webhooks")).content.decode()


@pytest.mark.parametrize(
    "url", ["http://hooks.example.cn/x", "ftp://hooks.example.cn/x", "not a url", "https://user:pw@hooks.example.cn/x"]
)
def test_webhook_urls_must_be_https(manager, url):
    with pytest.raises(ValidationError) as error:
        services.webhook_register(by=manager, url=url, events=["complaint.created"])
    assert "url" in error.value.message_dict


def test_plain_http_is_allowed_for_localhost_only_in_debug(manager, settings):
    local = "http://127.0.0.1:8080/hook"
    with pytest.raises(ValidationError):
        services.webhook_register(by=manager, url=local, events=["complaint.created"])
    settings.DEBUG = True
    assert services.webhook_register(by=manager, url=local, events=["complaint.created"]).url == local


def test_webhook_needs_known_events(manager):
    with pytest.raises(ValidationError) as error:
        services.webhook_register(by=manager, url=HTTPS_HOOK, events=["complaint.eaten"])
    assert "events" in error.value.message_dict


@pytest.mark.parametrize(
    "url_name",
    [
        "platforms:workspace-webhook-deactivate",
        "complaints:workspace-webhook-test",
        "complaints:workspace-webhook-deliveries",
    ],
)
def test_another_platform_s_webhook_is_404(manager_client, other_platform, url_name):
    endpoint = make_webhook(other_platform)
    method = manager_client.get if url_name.endswith("-deliveries") else manager_client.post
    assert method(reverse(url_name, args=[endpoint.pk])).status_code == 404


def test_webhook_services_refuse_agents_and_hide_other_platforms(agent, manager, other_platform):
    endpoint = make_webhook(other_platform)
    with pytest.raises(PermissionDenied):
        services.webhook_deactivate(by=agent, webhook_id=endpoint.pk)
    with pytest.raises(Http404):
        services.webhook_deactivate(by=manager, webhook_id=endpoint.pk)


def test_invitation_e_mail_waits_in_the_outbox_when_not_committed(manager, platform):
    services.staff_invite(by=manager, username="later", email="later@example.cn", staff_role="manager")
    assert OutboxMessage.objects.get().template == "staff_invitation"
    assert platform.staff.get(username="later").is_platform_manager
