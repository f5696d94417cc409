import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_explains_the_portal_and_links_to_filing_and_registry(client):
    response = client.get(reverse("portal:home"), headers={"accept-language": "en"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{reverse("complaints:complaint-new")}"' in html
    assert f'href="{reverse("regulation:registry-list")}"' in html
    assert f'href="{reverse("portal:login")}"' in html


def test_home_page_is_chinese_by_default(client):
    response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()
    assert "我要投诉" in response.content.decode()


@pytest.mark.parametrize(
    ("role_fixture", "expected", "absent"),
    [
        ("consumer", ["complaints:complaint-list"], ["complaints:inbox-list", "regulation:dashboard-home"]),
        ("agent", ["complaints:inbox-list"], ["regulation:dashboard-home", "admin:index"]),
        ("regulator", ["regulation:dashboard-home", "admin:index"], ["complaints:inbox-list"]),
    ],
)
def test_home_page_links_each_role_to_its_workspace(client, request, role_fixture, expected, absent):
    client.force_login(request.getfixturevalue(role_fixture))

    html = client.get(reverse("portal:home")).content.decode()

    for name in expected:
        assert f'href="{reverse(name)}"' in html
    for name in absent:
        assert f'href="{reverse(name)}"' not in html


@pytest.mark.parametrize("page", ["portal:home", "portal:api-docs"])
def test_pages_have_no_inline_script_or_style_for_the_csp(client, page):
    response = client.get(reverse(page))
    html = response.content.decode()

    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline <script> found"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html), "inline style attribute found"


def test_language_switch_changes_the_page_language(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("portal:home")}, follow=True)

    assert 'lang="en"' in response.content.decode()
    assert "File a complaint" in response.content.decode()
