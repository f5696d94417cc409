"""Accessibility and phone layout of the main pages, per role, in both languages.

- axe-core (vendored in tests/e2e/vendor/) runs on each page at 1280 px; no "serious" or "critical" violation
  is allowed, nor an id used twice (axe no longer checks that). CSP stays on: axe comes in as an init script.
- The same pages are then opened at 390 px: nothing may scroll sideways, and the layout rules run again (a
  table that scrolls sideways must be reachable from the keyboard).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.roles import make_regulator
from regulation.penalties import penalty_issue
from tests.e2e.conftest import PHONE, duplicate_ids, horizontal_overflow, log_in_as, run_axe
from tests.factories import (
    ConsumerFactory,
    ManagerFactory,
    PlatformFactory,
    RegulatorFactory,
    add_evidence,
    file_complaint,
    image_upload,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def pages_per_role() -> dict:
    """The main pages of each role (None = anonymous), with enough data for every part of them to show."""
    platform = PlatformFactory(
        name="星辰卡盟", slug="xingchen", compensation_standard="超时未发货按订单金额10%赔付", compensation_hours=24
    )
    consumer = ConsumerFactory(username="a11y-consumer")
    two_days_ago = timezone.now() - timedelta(days=2)
    complaint = file_complaint(consumer, platform, now=two_days_ago, paid_at=two_days_ago - timedelta(hours=3))
    file_complaint(consumer, platform)
    add_evidence(complaint, consumer, image_upload())
    manager = ManagerFactory(platform=platform, username="a11y-manager")
    regulator = RegulatorFactory(username="a11y-regulator")
    make_regulator(regulator)
    penalty_issue(
        by=regulator,
        platform=platform,
        kind="warning",
        legal_basis="《网络交易监督管理办法》第五十二条",
        facts="收款后未发货。",
        decision="警告，责令改正。",
        complaint_ids=[complaint.pk],
    )
    # Addresses as a visitor types or follows them (like the story's), so they stay literal.
    return {
        None: ["/", "/accounts/login/", "/accounts/register/", "/platforms/", "/platforms/xingchen/", "/no-such-page/"],
        consumer: ["/complaints/new/", "/complaints/new/?paid=yes", "/complaints/", f"/complaints/{complaint.pk}/"],
        manager: ["/complaints/inbox/", f"/complaints/{complaint.pk}/respond/", "/workspace/"],
        regulator: ["/dashboard/", "/penalties/", f"/complaints/{complaint.pk}/"],
    }


# At phone width only the rules about layout run again: the full set ran at 1280 px on the same markup.
PHONE_RULES = ["scrollable-region-focusable", "meta-viewport"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_main_pages_have_no_serious_axe_violations_and_fit_a_phone(new_page, live_server, language):
    roles = pages_per_role()
    desktop = new_page(language=language, axe=True)
    phone = new_page(viewport=PHONE, context=desktop.context)
    problems: dict[str, list] = {}
    overflowing: dict[str, int] = {}
    for user, paths in roles.items():
        if user:
            log_in_as(desktop.context, user, live_server.url)
        for path in paths:
            where = f"{user or 'anonymous'} {path}"
            response = desktop.goto(path)
            assert response.status == (404 if path == "/no-such-page/" else 200), where
            assert desktop.locator("html").get_attribute("lang") == language, where
            if user:
                assert desktop.locator(".nav-username").inner_text() == user.username, where
            found = run_axe(desktop)
            if duplicates := duplicate_ids(desktop):
                found.append({"id": "duplicate ids", "impact": "serious", "help": "", "nodes": duplicates})
            phone.goto(path)
            if overflow := horizontal_overflow(phone):
                overflowing[where] = overflow
            found += [{**violation, "id": f"{violation['id']} (390 px)"} for violation in run_axe(phone, PHONE_RULES)]
            if found:
                problems[where] = found
    assert not problems, format_violations(problems)
    assert not overflowing, f"pages wider than a 390 px phone (extra px): {overflowing}"


def test_phone_menu_opens_with_the_keyboard(new_page):
    """On a phone the navigation folds behind the menu button, which works from the keyboard."""
    page = new_page(viewport=PHONE)
    page.goto("/")
    toggle = page.locator(".nav-toggle")
    nav = page.locator("#site-nav")
    assert toggle.is_visible() and not nav.is_visible()
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav.is_visible()
    assert nav.locator("a[href='/platforms/']").is_visible()


def format_violations(violations: dict[str, list]) -> str:
    lines = ["serious / critical axe violations:"]
    for page, found in violations.items():
        for violation in found:
            lines.append(f"- {page}: {violation['id']} ({violation['impact']}) {violation['help']}")
            lines.extend(f"    {node}" for node in violation["nodes"])
    return "\n".join(lines)
