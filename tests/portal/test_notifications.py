"""In-app notifications: services, the header's unread count, the pages of every role, and the API matrix."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal import notifications as notes
from portal.models import Notification, NotificationChannel, NotificationPreference
from tests.factories import ConsumerFactory
from tests.fixtures_roles import client_for

pytestmark = pytest.mark.django_db


def notify(user, n: int = 1, *, kind: str = "complaint_answered", read: bool = False, **context):
    context = {"reference": "KM-2026-000001", "url": "http://testserver/complaints/7/", **context}
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=kind,
            context=context,
            complaint_id=7,
            link="/complaints/7/",
            read_at=timezone.now() if read else None,
        )
        for _ in range(n)
    )
    return rows[0] if n == 1 else rows


@pytest.fixture(params=["consumer", "agent", "regulator"])
def anyone(request):
    """A user of each role: every role has notifications."""
    return request.getfixturevalue(request.param)


# --- services and selectors --------------------------------------------------------------------------------------


def test_reading_marks_read_once_and_keeps_the_first_time(consumer):
    notification = notify(consumer)
    first = notes.notification_read(user=consumer, notification_id=notification.pk).read_at
    again = notes.notification_read(user=consumer, notification_id=notification.pk).read_at
    assert first is not None and again == first


def test_reading_another_users_notification_is_404_and_leaves_it_unread(consumer, other_consumer):
    from django.http import Http404

    notification = notify(other_consumer)
    with pytest.raises(Http404):
        notes.notification_read(user=consumer, notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.read_at is None


def test_read_all_marks_only_the_callers(consumer, other_consumer):
    notify(consumer, 3)
    notify(other_consumer, 2)
    assert notes.notifications_read_all(user=consumer) == 3
    assert notes.unread_count(consumer) == 0
    assert notes.unread_count(other_consumer) == 2


def test_preferences_default_to_both_and_change_per_kind(consumer):
    assert set(notes.preferences_of(consumer).values()) == {NotificationChannel.BOTH}
    notes.notification_preferences_set(user=consumer, channels={"complaint_answered": "email"})
    changed = notes.notification_preferences_set(user=consumer, channels={"complaint_answered": "in_app"})
    assert changed["complaint_answered"] == "in_app"
    assert NotificationPreference.objects.get(user=consumer).channel == "in_app"


@pytest.mark.parametrize(
    "channels", [{"complaint_answered": "sms"}, {"staff_invitation": "in_app"}, {"no_such_kind": "email"}]
)
def test_a_bad_kind_or_channel_is_refused_and_nothing_saved(consumer, channels):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        notes.notification_preferences_set(user=consumer, channels={"complaint_closed": "email", **channels})
    assert set(refused.value.message_dict) == set(channels)
    assert not NotificationPreference.objects.exists()


def test_notifications_are_not_read_without_an_account():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionError):
        notes.notifications_for(AnonymousUser())


# --- the header ------------------------------------------------------------------------------------------------


def test_the_header_shows_the_unread_count_with_a_text_alternative(client, consumer):
    notify(consumer, 3)
    notify(consumer, read=True)
    client.force_login(consumer)
    page = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="badge badge-count" aria-hidden="true">3</span>' in page
    assert "3 unread notifications" in page


def test_the_header_shows_no_badge_when_all_are_read(client, consumer):
    notify(consumer, read=True)
    client.force_login(consumer)
    page = client.get(reverse("portal:home")).content.decode()
    assert "badge-count" not in page
    assert reverse("portal:notifications") in page


def test_the_unread_count_is_one_query_per_page_whatever_the_number(client, consumer):
    client.force_login(consumer)
    client.get(reverse("portal:home"))  # session and language warmed up

    def notification_queries(n: int) -> list[str]:
        Notification.objects.all().delete()
        notify(consumer, n)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("complaints:complaint-list"))
        return [q["sql"] for q in queries.captured_queries if "portal_notification" in q["sql"]]

    few, many = notification_queries(1), notification_queries(60)
    assert len(few) == len(many) == 1
    assert "COUNT(" in few[0].upper()


def test_the_count_is_read_fresh_on_every_page(client, consumer):
    client.force_login(consumer)
    notify(consumer, 2)
    assert "2 unread notifications" in client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    notes.notifications_read_all(user=consumer)
    assert "badge-count" not in client.get(reverse("portal:home")).content.decode()


# --- pages -------------------------------------------------------------------------------------------------------


def test_every_role_lists_its_notifications_newest_first_unread_highlighted(client, anyone):
    older = notify(anyone, reference="KM-2026-000010", read=True)
    newer = notify(anyone, reference="KM-2026-000011")
    notify(ConsumerFactory(), reference="KM-2026-099999")
    client.force_login(anyone)
    response = client.get(reverse("portal:notifications"), HTTP_ACCEPT_LANGUAGE="en")
    assert [n.pk for n in response.context["notifications"]] == [newer.pk, older.pk]
    page = response.content.decode()
    assert page.index("KM-2026-000011") < page.index("KM-2026-000010")
    assert "KM-2026-099999" not in page
    assert page.count("notification-unread") == 1


def test_the_list_is_paged_in_a_fixed_number_of_queries(client, consumer, settings, django_assert_max_num_queries):
    settings.NOTIFICATIONS_PAGE_SIZE = 5
    notify(consumer, 12)
    client.force_login(consumer)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("portal:notifications") + "?page=3")
    assert len(response.context["notifications"]) == 2
    assert response.context["page_obj"].number == 3


def test_opening_marks_read_and_goes_to_the_complaint(client, anyone):
    notification = notify(anyone)
    client.force_login(anyone)
    response = client.post(reverse("portal:notification-open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == "/complaints/7/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_another_users_notification_is_404(client, consumer, other_consumer):
    notification = notify(other_consumer)
    client.force_login(consumer)
    assert client.post(reverse("portal:notification-open", args=[notification.pk])).status_code == 404


def test_a_link_off_the_site_is_never_followed(client, consumer):
    notification = notify(consumer)
    Notification.objects.filter(pk=notification.pk).update(link="//evil.example.com/")
    client.force_login(consumer)
    response = client.post(reverse("portal:notification-open", args=[notification.pk]))
    assert response["Location"] == reverse("portal:notifications")


def test_mark_all_read_on_the_page(client, consumer):
    notify(consumer, 4)
    client.force_login(consumer)
    response = client.post(reverse("portal:notifications-read-all"), follow=True)
    assert response.status_code == 200
    assert notes.unread_count(consumer) == 0


def test_every_role_saves_its_preferences(client, anyone):
    client.force_login(anyone)
    page = client.get(reverse("portal:notification-preferences"), HTTP_ACCEPT_LANGUAGE="en")
    assert len(page.context["form"].fields) == len(notes.PREFERENCE_KINDS)
    assert "The platform answered a complaint" in page.content.decode()
    data = dict.fromkeys(notes.PREFERENCE_KINDS, "both") | {"complaint_answered": "in_app"}
    response = client.post(reverse("portal:notification-preferences"), data)
    assert response.status_code == 302
    assert notes.preferences_of(anyone)["complaint_answered"] == "in_app"


def test_a_bad_channel_on_the_page_comes_back_with_the_error_and_nothing_saved(client, consumer):
    client.force_login(consumer)
    data = dict.fromkeys(notes.PREFERENCE_KINDS, "both") | {"complaint_answered": "sms"}
    response = client.post(reverse("portal:notification-preferences"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["complaint_answered"]
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize("name", ["portal:notifications", "portal:notification-preferences"])
def test_strangers_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- API ---------------------------------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_lists_own_notifications_paged_and_filters_unread(anyone, other_consumer):
    read = notify(anyone, read=True)
    unread = notify(anyone)
    notify(other_consumer)
    everything = api(anyone).get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [n["id"] for n in everything["results"]] == [unread.pk, read.pk]
    assert everything["results"][0]["title"] == "The platform answered KM-2026-000001"
    assert everything["results"][0]["link"] == "/complaints/7/"
    only_unread = api(anyone).get("/api/v1/notifications/?unread=1").json()
    assert [n["id"] for n in only_unread["results"]] == [unread.pk]


def test_api_marks_one_read_and_answers_404_for_anothers(consumer, other_consumer):
    mine, theirs = notify(consumer), notify(other_consumer)
    answer = api(consumer).post(f"/api/v1/notifications/{mine.pk}/read/")
    assert answer.status_code == 200 and answer.json()["is_read"] is True
    assert api(consumer).post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert api(consumer).post("/api/v1/notifications/999999/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_api_read_all_marks_only_the_callers(consumer, other_consumer):
    notify(consumer, 2)
    notify(other_consumer, 1)
    assert api(consumer).post("/api/v1/notifications/read-all/").json() == {"marked_read": 2}
    assert notes.unread_count(other_consumer) == 1


def test_api_preferences_get_and_put(consumer):
    client = api(consumer)
    shown = client.get("/api/v1/notifications/preferences/").json()["preferences"]
    assert {p["kind"] for p in shown} == set(notes.PREFERENCE_KINDS)
    answer = client.put(
        "/api/v1/notifications/preferences/",
        {"preferences": [{"kind": "complaint_answered", "channel": "email"}]},
        format="json",
    )
    assert answer.status_code == 200
    assert {p["kind"]: p["channel"] for p in answer.json()["preferences"]}["complaint_answered"] == "email"


@pytest.mark.parametrize(
    "body",
    [
        {"preferences": [{"kind": "complaint_answered", "channel": "sms"}]},
        {"preferences": [{"kind": "staff_invitation", "channel": "in_app"}]},
        {"preferences": []},
        {},
    ],
)
def test_api_preferences_refuse_bad_input_with_field_messages(consumer, body):
    answer = api(consumer).put("/api/v1/notifications/preferences/", body, format="json")
    assert answer.status_code == 400
    assert "preferences" in answer.json()
    assert not NotificationPreference.objects.exists()


def test_api_takes_json_only(consumer):
    answer = api(consumer).put("/api/v1/notifications/preferences/", {"preferences": "x"}, format="multipart")
    assert answer.status_code == 415


ENDPOINTS = [
    ("get", "/api/v1/notifications/"),
    ("post", "/api/v1/notifications/1/read/"),
    ("post", "/api/v1/notifications/read-all/"),
    ("get", "/api/v1/notifications/preferences/"),
    ("put", "/api/v1/notifications/preferences/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_an_api_key_has_no_notifications(api_key, method, path):
    answer = getattr(client_for(api_key=api_key), method)(path, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 403
    assert "API key has none" in answer.json()["detail"]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_strangers_get_401_from_the_api(method, path):
    assert getattr(APIClient(), method)(path, {}, format="json").status_code == 401


def test_the_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/notifications/",
        "/api/v1/notifications/{id}/read/",
        "/api/v1/notifications/read-all/",
        "/api/v1/notifications/preferences/",
    } <= paths
    assert set(schema["paths"]["/api/v1/notifications/preferences/"]["put"]["requestBody"]["content"]) == {
        "application/json"
    }
