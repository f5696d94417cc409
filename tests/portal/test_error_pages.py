from unittest import mock

import pytest
from django.test import RequestFactory
from django.utils import translation

from portal import views

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "text"), [("en", "Page not found"), ("zh-hans", "页面不存在")])
def test_missing_page_renders_the_404_template_in_both_languages(client, language, text):
    response = client.get("/no-such-page/", headers={"accept-language": language})

    assert response.status_code == 404
    assert text in response.content.decode()


@pytest.mark.parametrize(("language", "text"), [("en", "You cannot open this page"), ("zh-hans", "无权")])
def test_permission_denied_page_renders_in_both_languages(rf, language, text):
    request = rf.get("/somewhere/")
    request.user = mock.Mock(is_authenticated=False)
    with translation.override(language):
        response = views.permission_denied(request, exception=None)

    assert response.status_code == 403
    assert text in response.content.decode()


@pytest.mark.parametrize(("language", "text"), [("en", "Server error"), ("zh-hans", "服务器错误")])
def test_server_error_page_renders_without_a_request_context(language, text):
    request = RequestFactory().get("/")  # no user, no session: middleware may not have run
    with translation.override(language):
        response = views.server_error(request)

    assert response.status_code == 500
    assert text in response.content.decode()


def test_server_error_page_falls_back_to_plain_html_if_the_template_fails():
    with mock.patch.object(views.loader, "get_template", side_effect=RuntimeError("broken")):
        response = views.server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert b"Server error" in response.content
