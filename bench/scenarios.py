"""The read scenarios, run in-process with django.test.Client, and how each one is timed.

Web pages are requested as a logged-in user (``force_login``), API endpoints with the caller's
``Authorization`` header, the public page anonymously. Queries are counted with CaptureQueriesContext, which
works whatever ``DEBUG`` is.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.throttling import AnonRateThrottle

from regulation.chargeback_manifest import affected_orders_by_channel
from regulation.scorecard import SCORECARD_VERSION

from .actors import Actors
from .measure import Target, Timing, p95_at_most

STATS_90 = p95_at_most(150)
STATS_365 = p95_at_most(300)
PAGE = p95_at_most(100)
INBOX_FILTER = "problem=card_key_missing"
# A word of a product the load generator sells (bench/generate/staging.py PRODUCTS): about a ninth of a platform.
INBOX_SEARCH_WORD = "腾讯视频"
DEEP_PAGE = 50
# A PDF rendered in the request (as bench/pdf.py's), and a CSV streamed to its last byte.
DOCUMENT = p95_at_most(1000)
OPEN_DATA = "/api/v1/open/complaints/"


class ScenarioFailed(RuntimeError):
    """A request of the scenario did not answer 200: its timing would mean nothing."""


@dataclass
class Scenario:
    """One URL as one caller. ``resolve`` turns the starting URL into the one timed (e.g. the 50th page);
    ``before_each`` runs before every request, outside the timing (e.g. to empty a cache)."""

    name: str
    caller: str
    url: str
    target: Target | None = None
    note: str = ""
    resolve: Callable[[Client, str], str] | None = None
    before_each: Callable[[], None] | None = None
    resolved_url: str = field(default="", init=False)


def client_for(caller: str, actors: Actors) -> Client:
    """A client acting as ``caller``: web-<role> logs in, api-<role> sends the role's credentials."""
    if caller == "public":
        return Client()
    kind, role = caller.split("-", 1)
    if kind == "web":
        client = Client()
        client.force_login(
            {
                "regulator": actors.regulator,
                "county": actors.county_regulator,
                "city": actors.city_regulator,
                "staff": actors.staff,
                "consumer": actors.consumer,
            }[role],
        )
        return client
    header = {
        "regulator": f"Token {actors.regulator_token}",
        "county": f"Token {actors.county_regulator_token}",
        "consumer": f"Token {actors.consumer_token}",
        "platform": f"Api-Key {actors.api_key}",
    }[role]
    return Client(HTTP_AUTHORIZATION=header)


def follow_next(times: int) -> Callable[[Client, str], str]:
    """Follow the ``next`` link of an API cursor page ``times`` times; the URL of the page reached."""

    def resolve(client: Client, url: str) -> str:
        for step in range(times):
            response = client.get(url)
            if response.status_code != 200:
                raise ScenarioFailed(f"page {step + 1} answered {response.status_code}")
            following = response.json()["next"]
            if not following:
                raise ScenarioFailed(f"the list ends after {step + 1} pages; page {times + 1} does not exist")
            parts = urlsplit(following)
            url = f"{parts.path}?{parts.query}"
        return url

    return resolve


def forget_scorecard(platform_id: int) -> Callable[[], None]:
    def clear() -> None:
        cache.delete(f"platform-scorecard:{SCORECARD_VERSION}:{platform_id}")

    return clear


def scenarios(actors: Actors) -> list[Scenario]:
    """Every read scenario of the benchmark, in table order."""
    return [
        *statistics_scenarios(),
        *office_scenarios(actors),
        *inbox_scenarios(),
        *inbox_search_scenarios(actors),
        *list_scenarios(actors),
        *scorecard_scenarios(actors),
        *detail_scenarios(actors),
        *open_data_scenarios(actors),
        *download_scenarios(actors),
    ]


def statistics_scenarios() -> list[Scenario]:
    """The regulator's dashboard and statistics API over 90 and 365 days."""
    return [
        Scenario("Regulator dashboard, 90 days", "web-regulator", "/dashboard/?days=90", STATS_90),
        Scenario("Regulator dashboard, 365 days", "web-regulator", "/dashboard/?days=365", STATS_365),
        # The monthly statistics report (Order 121 Art. 38) of the last complete month, the whole market.
        Scenario("Monthly statistics report", "web-regulator", "/dashboard/monthly/", STATS_90),
        Scenario(
            "Stats API per platform, 90 days",
            "api-regulator",
            "/api/v1/stats/platforms/?days=90",
            STATS_90,
        ),
        Scenario(
            "Stats API per platform, 365 days",
            "api-regulator",
            "/api/v1/stats/platforms/?days=365",
            STATS_365,
        ),
        Scenario(
            "Repeat-offenders API, 90 days",
            "api-regulator",
            "/api/v1/stats/repeat-offenders/?days=90",
            STATS_90,
        ),
    ]


def office_scenarios(actors: Actors) -> list[Scenario]:
    """A county regulator's desk (the complaints their office handles, admin and API) and dashboard, and the city
    above it drilling down to its counties. The county is the busiest one of the data."""
    if actors.county_office is None:
        return []
    changelist = "/admin/complaints/complaint/"
    note = f"{actors.county_office.division_code}, {actors.county_office_complaints:,} complaints"
    return [
        Scenario("County desk: admin changelist", "web-county", changelist, PAGE, note=note),
        Scenario(
            "County desk: admin changelist, open and overdue",
            "web-county",
            f"{changelist}?status__exact=awaiting_platform&is_overdue__exact=1",
            PAGE,
            note=note,
        ),
        Scenario("County desk: complaints API", "api-county", "/api/v1/complaints/", PAGE, note=note),
        Scenario(
            f"County desk: complaints API, page {DEEP_PAGE}",
            "api-county",
            "/api/v1/complaints/",
            PAGE,
            note=f"followed next {DEEP_PAGE - 1}×",
            resolve=follow_next(DEEP_PAGE - 1),
        ),
        Scenario("County dashboard, 90 days", "web-county", "/dashboard/?days=90", STATS_90, note=note),
        Scenario("County monthly statistics report", "web-county", "/dashboard/monthly/", STATS_90, note=note),
        Scenario("County stats API per platform, 90 days", "api-county", "/api/v1/stats/platforms/?days=90", STATS_90),
        Scenario(
            "City dashboard with its counties, 90 days",
            "web-city",
            "/dashboard/?days=90",
            STATS_90,
            note=actors.county_office.parent.division_code,
        ),
    ]


def inbox_scenarios() -> list[Scenario]:
    """A platform's inbox, API and page, on the first page and deep in it."""
    inbox = f"/api/v1/platform/complaints/?{INBOX_FILTER}&ordering=due"
    web_inbox = f"/complaints/inbox/?{INBOX_FILTER}&sort=due"
    return [
        Scenario("Platform inbox API, page 1", "api-platform", inbox, PAGE, note=INBOX_FILTER),
        Scenario(
            f"Platform inbox API, page {DEEP_PAGE}",
            "api-platform",
            inbox,
            PAGE,
            note=f"followed next {DEEP_PAGE - 1}×",
            resolve=follow_next(DEEP_PAGE - 1),
        ),
        Scenario("Platform inbox page, page 1", "web-staff", web_inbox, PAGE, note=INBOX_FILTER),
        Scenario(
            f"Platform inbox page, page {DEEP_PAGE}",
            "web-staff",
            f"{web_inbox}&page={DEEP_PAGE}",
            PAGE,
        ),
    ]


def inbox_search_scenarios(actors: Actors) -> list[Scenario]:
    """The busiest platform's inbox searched (complaints/search.py), page and API: by the start of an order
    number (``actors.order_fragment``, about a thousand order numbers of the market wide) and by a product word
    (trigram index on PostgreSQL)."""
    searches = [("order-number fragment", actors.order_fragment), ("product word", INBOX_SEARCH_WORD)]
    scenarios = []
    for what, term in searches:
        query = urlencode({"q": term})
        scenarios += [
            Scenario(
                f"Platform inbox page, search by {what}",
                "web-staff",
                f"/complaints/inbox/?{query}",
                PAGE,
                note=f"q={term}",
            ),
            Scenario(
                f"Platform inbox API, search by {what}",
                "api-platform",
                f"/api/v1/platform/complaints/?{query}&ordering=due",
                PAGE,
                note=f"q={term}",
            ),
        ]
    return scenarios


def list_scenarios(actors: Actors) -> list[Scenario]:
    """The consumer's own complaints, and the admin's changelist plain, filtered and searched."""
    changelist = "/admin/complaints/complaint/"
    return [
        Scenario("Consumer complaint list page", "web-consumer", "/complaints/?status=all", PAGE),
        Scenario("Consumer complaint list API", "api-consumer", "/api/v1/complaints/", PAGE),
        Scenario("Admin changelist", "web-regulator", changelist, PAGE),
        Scenario(
            "Admin changelist, filtered",
            "web-regulator",
            f"{changelist}?status__exact=awaiting_platform&is_overdue__exact=1&problem__exact=card_key_missing",
            PAGE,
        ),
        Scenario(
            "Admin changelist, search by order number",
            "web-regulator",
            f"{changelist}?q={actors.order_number}",
            PAGE,
        ),
    ]


def scorecard_scenarios(actors: Actors) -> list[Scenario]:
    """The public scorecard from the cache, then computed afresh each time."""
    return [
        Scenario(
            "Public scorecard page",
            "public",
            f"/platforms/{actors.platform.slug}/",
            PAGE,
            note="cached",
        ),
        Scenario(
            "Public scorecard page, cache cold",
            "public",
            f"/platforms/{actors.platform.slug}/",
            PAGE,
            before_each=forget_scorecard(actors.platform.pk),
        ),
    ]


def detail_scenarios(actors: Actors) -> list[Scenario]:
    """One complaint with a long timeline, as page and API."""
    complaint_id = actors.detail_complaint.pk
    return [
        Scenario("Complaint detail page with timeline", "web-consumer", f"/complaints/{complaint_id}/", PAGE),
        Scenario("Complaint detail API", "api-consumer", f"/api/v1/complaints/{complaint_id}/", PAGE),
        Scenario(
            "Complaint timeline API",
            "api-consumer",
            f"/api/v1/complaints/{complaint_id}/events/",
            PAGE,
        ),
    ]


def forget_anonymous_throttle() -> None:
    """Empty the anonymous rate limit of the test client's address, so a long run is never answered 429."""
    throttle = AnonRateThrottle()
    cache.delete(throttle.cache_format % {"scope": throttle.scope, "ident": "127.0.0.1"})


def without_throttle(resolve: Callable[[Client, str], str]) -> Callable[[Client, str], str]:
    def resolve_unthrottled(client: Client, url: str) -> str:
        forget_anonymous_throttle()
        return resolve(client, url)

    return resolve_unthrottled


def open_data_scenarios(actors: Actors) -> list[Scenario]:
    """The public complaint database API (regulation/api/open_data.py), anonymous: the newest page, a deep
    cursor page, and its filters. The anonymous rate limit is emptied before each request (not timed)."""
    last_month = timezone.localdate() - timedelta(days=30)
    window = urlencode({"date_from": (last_month - timedelta(days=6)).isoformat(), "date_to": last_month.isoformat()})
    return [
        Scenario(
            "Open-data API, page 1",
            "public",
            OPEN_DATA,
            PAGE,
            before_each=forget_anonymous_throttle,
        ),
        Scenario(
            f"Open-data API, page {DEEP_PAGE}",
            "public",
            OPEN_DATA,
            PAGE,
            note=f"followed next {DEEP_PAGE - 1}×",
            resolve=without_throttle(follow_next(DEEP_PAGE - 1)),
            before_each=forget_anonymous_throttle,
        ),
        Scenario(
            "Open-data API, one platform",
            "public",
            f"{OPEN_DATA}?platform={actors.platform.slug}",
            PAGE,
            note="the busiest",
            before_each=forget_anonymous_throttle,
        ),
        Scenario(
            "Open-data API, one week a month ago",
            "public",
            f"{OPEN_DATA}?{window}",
            PAGE,
            before_each=forget_anonymous_throttle,
        ),
        Scenario(
            "Open-data API, outcome upheld",
            "public",
            f"{OPEN_DATA}?outcome=upheld",
            PAGE,
            before_each=forget_anonymous_throttle,
        ),
    ]


def download_scenarios(actors: Actors) -> list[Scenario]:
    """The regulator's downloads: the busiest platform's chargeback manifest of its busiest payment channel
    (streamed CSV, timed to its last byte), and the monthly statistics report's PDF (Order 121 Art. 38),
    national and of the busiest county."""
    channels = affected_orders_by_channel(actors.regulator, actors.platform)
    busiest = max(channels, key=lambda row: (row["orders"], row["channel"]))
    found = [
        Scenario(
            "Chargeback manifest CSV, busiest platform",
            "web-regulator",
            f"/regulator/platforms/{actors.platform.pk}/chargeback-manifests/{busiest['channel']}.csv",
            DOCUMENT,
            note=f"{busiest['channel']}, {busiest['orders']:,} orders; time to last byte",
        ),
        Scenario("Monthly statistics report PDF", "web-regulator", "/dashboard/monthly/report.pdf", DOCUMENT),
    ]
    if actors.county_office is not None:
        found.append(
            Scenario(
                "County monthly statistics report PDF",
                "web-county",
                "/dashboard/monthly/report.pdf",
                DOCUMENT,
                note=actors.county_office.division_code,
            )
        )
    return found


def prepare(scenario: Scenario, client: Client) -> str:
    scenario.resolved_url = scenario.resolve(client, scenario.url) if scenario.resolve else scenario.url
    return scenario.resolved_url


def request_once(client: Client, url: str) -> tuple[float, int]:
    """One GET: (milliseconds, queries). Raises ScenarioFailed on any answer but 200."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        # The whole body: lazy responses are rendered and streamed ones (a PDF's FileResponse) read here.
        content = b"".join(response.streaming_content) if response.streaming else response.content
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise ScenarioFailed(f"{url} answered {response.status_code}: {content[:200]!r}")
    return elapsed, len(queries)


def run(scenario: Scenario, client: Client, *, requests: int, warmup: int) -> Timing:
    url = prepare(scenario, client)
    for _ in range(warmup):
        if scenario.before_each:
            scenario.before_each()
        request_once(client, url)
    timing = Timing(samples_ms=[])
    for _ in range(requests):
        if scenario.before_each:
            scenario.before_each()
        elapsed, queries = request_once(client, url)
        timing.samples_ms.append(elapsed)
        timing.queries.append(queries)
    return timing
