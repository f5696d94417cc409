from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from complaints.selectors import complaints_visible_to
from portal.models import Role
from tests.factories import DEFAULT_PASSWORD, file_complaint

pytestmark = pytest.mark.django_db

User = get_user_model()
STRONG_PASSWORD = "violet-kettle-harbour-42"


def register(client, **overrides):
    data = {
        "username": "xiaoming",
        "email": "xiaoming@example.cn",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        **overrides,
    }
    return client.post(reverse("portal:register"), data)


def test_registration_creates_a_consumer_and_logs_them_in(client):
    response = register(client)

    assert response.status_code == 302
    assert response.headers["Location"] == reverse("complaints:complaint-list")
    user = User.objects.get(username="xiaoming")
    assert user.role == Role.CONSUMER
    assert user.platform is None
    assert user.email == "xiaoming@example.cn"
    assert int(client.session["_auth_user_id"]) == user.pk


def test_registration_rejects_a_weak_password(client):
    response = register(client, password1="12345678", password2="12345678")

    assert response.status_code == 200
    assert not User.objects.filter(username="xiaoming").exists()
    assert response.context["form"].errors["password2"]


def test_registration_rejects_an_email_already_in_use(client, consumer):
    response = register(client, email=consumer.email.upper())

    assert response.status_code == 200
    assert "email" in response.context["form"].errors


def test_registration_form_marks_invalid_fields_for_screen_readers(client):
    html = register(client, email="not-an-email").content.decode()

    assert 'aria-invalid="true"' in html
    assert 'id="id_email_error"' in html


def test_login_with_correct_password_logs_in(client, consumer):
    response = client.post(reverse("portal:login"), {"username": consumer.username, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == consumer.pk


def test_login_is_locked_after_five_failures(client, consumer):
    url = reverse("portal:login")
    for _attempt in range(4):
        response = client.post(url, {"username": consumer.username, "password": "wrong-password"})
        assert response.status_code == 200

    fifth = client.post(url, {"username": consumer.username, "password": "wrong-password"})
    with_right_password = client.post(url, {"username": consumer.username, "password": DEFAULT_PASSWORD})

    assert fifth.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in fifth.templates]
    assert with_right_password.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_needs_post(client, consumer):
    client.force_login(consumer)

    assert client.get(reverse("portal:logout")).status_code == 405
    response = client.post(reverse("portal:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(("show", "visible"), [(True, True), (False, False)])
def test_login_page_lists_demo_logins_only_when_enabled(client, settings, show, visible):
    settings.PORTAL_SHOW_DEMO_LOGINS = show
    settings.PORTAL_DEMO_PASSWORD = "demo-pass-2026"

    html = client.get(reverse("portal:login")).content.decode()

    for username in ("demo-consumer", "demo-platform", "demo-regulator"):
        assert (username in html) is visible
    assert ("demo-pass-2026" in html) is visible


def test_login_page_lists_every_account_seed_demo_creates(client, settings):
    settings.PORTAL_SHOW_DEMO_LOGINS = True
    call_command("seed_demo", market_complaints=0, stdout=StringIO())  # the stories alone
    seeded = User.objects.filter(username__startswith="demo-").values_list("username", flat=True)

    html = client.get(reverse("portal:login")).content.decode()

    assert seeded
    for username in seeded:
        assert f"<code>{username}</code>" in html


@pytest.mark.parametrize(
    ("role_fixture", "landing"),
    [
        ("consumer", "complaints:complaint-list"),
        ("agent", "complaints:inbox-list"),
        ("regulator", "regulation:worklist"),
    ],
)
def test_login_lands_each_role_on_its_work(client, request, role_fixture, landing):
    user = request.getfixturevalue(role_fixture)
    user.set_password("s3cret-pass-2026")
    user.save()

    response = client.post(reverse("portal:login"), {"username": user.username, "password": "s3cret-pass-2026"})

    assert response.status_code == 302
    assert response.url == reverse(landing)


def test_login_follows_a_safe_next_page_over_the_landing_page(client, consumer):
    consumer.set_password("s3cret-pass-2026")
    consumer.save()
    wanted = reverse("regulation:registry-list")

    response = client.post(
        f"{reverse('portal:login')}?next={wanted}", {"username": consumer.username, "password": "s3cret-pass-2026"}
    )

    assert response.url == wanted


@pytest.mark.parametrize(
    ("language", "subject_word", "body_phrase"),
    [("en", "Reset your password", "choose a new password"), ("zh-hans", "重置", "设置新密码")],
)
def test_password_reset_sends_a_link_in_the_visitor_language(client, consumer, language, subject_word, body_phrase):
    response = client.post(
        reverse("portal:password_reset"), {"email": consumer.email}, headers={"accept-language": language}
    )

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [consumer.email]
    assert subject_word in message.subject
    assert body_phrase in message.body
    assert "/accounts/reset/" in message.body  # the link as e-mailed, with its token: no name to reverse


def test_password_reset_link_lets_the_user_choose_a_new_password(client, consumer):
    client.post(reverse("portal:password_reset"), {"email": consumer.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]

    form_page = client.get("/" + path, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == reverse("portal:password_reset_complete")
    consumer.refresh_from_db()
    assert consumer.check_password(STRONG_PASSWORD)


def test_password_reset_for_an_unknown_address_looks_the_same(client):
    response = client.post(reverse("portal:password_reset"), {"email": "nobody@example.cn"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_a_superuser_oversees_the_site_as_a_regulator(db):
    other_consumers_complaint = file_complaint()

    root = get_user_model().objects.create_superuser("root", "root@example.cn", "Correct-Horse-9")

    assert root.role == Role.REGULATOR and root.is_regulator
    assert list(complaints_visible_to(root)) == [other_consumers_complaint]
