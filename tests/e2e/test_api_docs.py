"""The API documentation pages in a real browser, under the site's Content-Security-Policy (the ``new_page``
fixture fails a test on any console error, CSP refusals included)."""

import re

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import ConsumerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_the_schema_under_the_csp(page):
    page.goto("/api/docs/")

    page.locator(".swagger-ui .info .title").wait_for()
    assert "卡盟 Complaint Portal API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 20


def test_swagger_ui_try_it_out_calls_the_api_with_a_token(page):
    consumer = ConsumerFactory(first_name="小明", last_name="张")
    token = Token.objects.create(user=consumer)
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()

    page.get_by_role("button", name=re.compile("Authorize")).first.click()
    token_form = page.locator(".auth-container", has=page.locator("code", has_text="tokenAuth"))
    token_form.locator("input").fill(f"Token {token.key}")
    token_form.get_by_role("button", name="Apply credentials").click()
    page.locator(".dialog-ux .close-modal").click()
    operation = page.locator(".opblock-get", has=page.locator("[data-path='/api/v1/me/']"))
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()

    live = operation.locator(".live-responses-table tbody .response")
    live.wait_for()
    assert live.locator(".response-col_status").inner_text().strip() == "200"
    assert consumer.username in live.locator(".response-col_description").inner_text()
