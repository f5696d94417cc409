"""In-app notifications in a real browser: a platform answers, the consumer sees the header's count, opens the
list, clicks through to the complaint and the count drops; the same on a 390 px phone; axe on the pages."""

import re
from decimal import Decimal

import pytest

from complaints.services import complaint_respond
from tests.e2e.conftest import PHONE, duplicate_ids, horizontal_overflow, log_in_as, run_axe, screenshot
from tests.e2e.test_accessibility import format_violations
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory, file_complaint

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def answered():
    """A consumer whose complaint the platform has just answered: two unread notifications (filed, answered)."""
    platform = PlatformFactory(name="星辰卡盟", slug="xingchen")
    consumer = ConsumerFactory(username="notify-consumer")
    complaint = file_complaint(consumer, platform)
    complaint_respond(
        complaint_id=complaint.pk,
        by=StaffFactory(platform=platform),
        outcome="refunded",
        message="已原路退款。",
        refund_amount=Decimal("199.00"),
        refund_reference="RF20261125001",
    )
    return consumer, complaint


def badge(page) -> str:
    """The header's count as shown, or "" without one; asserts its text alternative says the same number."""
    link = page.locator(".nav-notifications a")
    count = link.locator(".badge-count")
    if count.count() == 0:
        return ""
    shown = count.inner_text()
    assert shown in link.locator(".visually-hidden").inner_text()
    return shown


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_consumer_sees_the_count_opens_the_answer_and_the_count_drops(new_page, live_server, answered, viewport):
    consumer, complaint = answered
    page = new_page(language="en", viewport=viewport)
    log_in_as(page.context, consumer, live_server.url)
    page.goto("/complaints/")
    suffix = "-phone" if viewport else ""
    if viewport:
        assert horizontal_overflow(page) == 0
        page.locator(".nav-toggle").click()  # on a phone the navigation folds behind the menu button
    assert badge(page) == "2"
    # The link's accessible name says the number in words; the badge's digit is hidden from screen readers.
    assert page.get_by_role("link", name=re.compile(r"^Notifications\W*2 unread notifications$")).count() == 1
    screenshot(page, f"notifications-badge{suffix}", full_page=False)

    page.locator(".nav-notifications a").click()
    page.wait_for_url("**/notifications/")
    assert page.locator(".notification-unread").count() == 2
    screenshot(page, f"notifications-list{suffix}")
    if viewport:
        assert horizontal_overflow(page) == 0

    page.get_by_role("button", name=f"The platform answered {complaint.reference}").click()
    page.wait_for_url(f"**/complaints/{complaint.pk}/")
    if viewport:
        page.locator(".nav-toggle").click()
    assert badge(page) == "1"

    page.goto("/notifications/")
    assert page.locator(".notification-unread").count() == 1
    page.get_by_role("button", name="Mark all read").click()
    page.wait_for_url("**/notifications/")
    assert page.locator(".notification-unread").count() == 0
    if viewport:
        page.locator(".nav-toggle").click()
    assert badge(page) == ""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_notification_pages_have_no_serious_axe_violations(new_page, live_server, answered, language):
    consumer, _complaint = answered
    page = new_page(language=language, axe=True)
    phone = new_page(viewport=PHONE, context=page.context)
    log_in_as(page.context, consumer, live_server.url)
    problems = {}
    for path in ["/notifications/", "/notifications/preferences/"]:
        assert page.goto(path).status == 200
        assert page.locator("html").get_attribute("lang") == language
        found = run_axe(page)
        if duplicates := duplicate_ids(page):
            found.append({"id": "duplicate ids", "impact": "serious", "help": "", "nodes": duplicates})
        phone.goto(path)
        assert horizontal_overflow(phone) == 0, path
        if found:
            problems[path] = found
    assert not problems, format_violations(problems)
    if language == "zh-hans":
        screenshot(page, "notification-preferences")


def test_preferences_page_saves_a_choice(new_page, live_server, answered):
    consumer, _complaint = answered
    page = new_page(language="en")
    log_in_as(page.context, consumer, live_server.url)
    page.goto("/notifications/preferences/")
    page.get_by_label("The platform answered a complaint").select_option("in_app")
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_url("**/notifications/preferences/")
    assert page.get_by_label("The platform answered a complaint").input_value() == "in_app"
    assert page.get_by_role("status").inner_text() == "Your notification preferences are saved."
