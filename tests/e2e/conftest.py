"""Browser tests: a real headless Chromium (Debian's, at /usr/bin/chromium) against pytest-django's live server.

- ``live_server`` runs the app in a thread of this process on the test database, so a test can prepare data
  with factories and move clocks with ``deadlines_sweep(now=…)`` while the browser looks at the result. Static
  files are served by Django's ``StaticFilesHandler`` (``django.contrib.staticfiles`` is installed); the
  ``static_files_load`` check below proves it. Celery runs eagerly (tests/conftest.py).
- One browser per session; every test gets new, isolated contexts (own cookies, storage and cache). Playwright
  launches Chromium with a fresh temporary user-data directory and deletes it at the end.
- Pages are 1280×900 by default; ``PHONE`` is the 390×844 phone viewport.
- Default language is zh-hans (the browser asks for zh-CN); ``new_page(language="en")`` sets the
  ``django_language`` cookie, as the language switch does.
- axe-core (vendored, tests/e2e/vendor/axe.min.js, MPL-2.0) is added with ``new_page(axe=True)`` as an init
  script: Playwright evaluates it through the DevTools protocol, which the pages' CSP (script-src 'self') does
  not govern, so CSP stays on in every test (an ``add_script_tag`` would need ``bypass_csp``).
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop in this thread; Django would refuse ORM calls from the test
# (factories, the sweep) because of it. The calls are synchronous and in a thread of their own: allowed.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Chromium at {CHROMIUM}")  # the e2e marker already fails this under CI=true
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable]:
    """``new_page(language="zh-hans", viewport=DESKTOP, axe=False, context=None)``: a page in a context of its
    own, or another page (tab) of ``context`` (same cookies, so the same login).

    Every context is closed after the test. Console errors and CSP refusals fail the test: a page that needs
    inline script or style is broken in production.
    """
    contexts = []
    problems: list[str] = []

    def make(*, language: str = "zh-hans", viewport: dict | None = None, axe: bool = False, context=None):
        shared = context is not None
        if not shared:
            context = browser.new_context(
                base_url=live_server.url,
                viewport=viewport or DESKTOP,
                locale="zh-CN",
                accept_downloads=True,
            )
            context.set_default_timeout(TIMEOUT_MS)
            if language != "zh-hans":
                context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
            if axe:
                context.add_init_script(path=str(AXE_JS))
            contexts.append(context)
        page = context.new_page()
        if shared and viewport:
            page.set_viewport_size(viewport)
        page.on("console", lambda message: message.type == "error" and problems.append(f"{page.url}: {message.text}"))
        page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()
    # Expected 4xx answers (the 404 page) log "Failed to load resource"; anything else is a real problem.
    real = [problem for problem in problems if "status of 404" not in problem and "status of 403" not in problem]
    assert not real, "browser console errors:\n" + "\n".join(real)


@pytest.fixture
def page(new_page):
    return new_page()


def login(page, username: str, password: str) -> None:
    """Log in through the login form (dropping the session of whoever was logged in; the language stays)."""
    page.context.clear_cookies(name="sessionid")
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"login of {username} failed"


def log_in_as(context, user, base_url: str) -> None:
    """Give ``context`` a session of ``user`` without the login form (the story test uses the form)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    name = settings.SESSION_COOKIE_NAME
    context.clear_cookies(name=name)
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": base_url}])


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot as docs/screenshots/<name>.png (README's Screenshots section shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path


def run_axe(page, rules: list[str] | None = None) -> list[dict]:
    """axe-core's violations of impact serious or critical on the current page (a page made with ``axe=True``);
    ``rules`` limits the run to those rule ids."""
    return page.evaluate(
        """async (rules) => {
            const options = {resultTypes: ["violations"]};
            if (rules) options.runOnly = {type: "rule", values: rules};
            const result = await axe.run(document, options);
            return result.violations
              .filter(v => v.impact === "serious" || v.impact === "critical")
              .map(v => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary)}));
        }""",
        rules,
    )


def duplicate_ids(page) -> list[str]:
    """Ids used more than once (a label or aria-describedby then points at the wrong element)."""
    return page.evaluate(
        """() => {
            const seen = new Map();
            document.querySelectorAll("[id]").forEach(e => seen.set(e.id, (seen.get(e.id) || 0) + 1));
            return [...seen].filter(([, count]) => count > 1).map(([id]) => id);
        }"""
    )


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    return page.evaluate("() => Math.max(0, document.scrollingElement.scrollWidth - window.innerWidth)")
