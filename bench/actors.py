"""Who the benchmark acts as, picked from the data: the busiest platform, the consumer with most complaints, the
national supervisor, and a regulator of the busiest county office (the office handling most complaints) and of
the city above it.

Accounts and keys the benchmark needs are created once and reused by later runs. They are marked: usernames
start with ``bench-``, they have no e-mail address (so they never join a notification's recipients) and the
platform key is named ``HELPER_KEY_NAME``. Complaints filed by the benchmark are never picked as actors.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Min
from rest_framework.authtoken.models import Token

from bench.generate.marks import generated_complaints
from complaints.models import Complaint
from platforms.authentication import hash_api_key
from platforms.models import ApiKey, Platform
from portal.models import Office, OfficeLevel, Role, StaffRole, User
from portal.offices import national_office
from portal.roles import make_regulator

HELPER_PREFIX = "bench-"
HELPER_KEY_NAME = "benchmark harness"
REGULATOR_USERNAME = f"{HELPER_PREFIX}regulator"
COUNTY_REGULATOR_USERNAME = f"{HELPER_PREFIX}regulator-county"
CITY_REGULATOR_USERNAME = f"{HELPER_PREFIX}regulator-city"
FILER_USERNAME = f"{HELPER_PREFIX}filer"


@dataclass(frozen=True)
class Actors:
    platform: Platform
    platform_complaints: int
    staff: User
    api_key: str
    regulator: User
    regulator_token: str
    consumer: User
    consumer_complaints: int
    consumer_token: str
    detail_complaint: Complaint
    order_number: str
    filer: User
    filer_token: str
    # The start of an order number of the busiest platform, a thousand order numbers wide: the inbox search.
    order_fragment: str = ""
    county_office: Office | None = None
    county_office_complaints: int = 0
    county_regulator: User | None = None
    county_regulator_token: str = ""
    city_regulator: User | None = None


class NoData(RuntimeError):
    """The database has no complaints against a registered platform to benchmark."""


def source_complaints():
    """Complaints to pick actors from: generated ones if there are any, never the benchmark's own filings."""
    generated = generated_complaints()
    if generated.exists():
        return generated
    return Complaint.objects.exclude(consumer__username__startswith=HELPER_PREFIX)


def pick_actors() -> Actors:
    complaints = source_complaints()
    busiest = (
        complaints.filter(platform__isnull=False)
        .values("platform_id")
        .annotate(total=Count("pk"))
        .order_by("-total", "platform_id")
        .first()
    )
    if busiest is None:
        raise NoData("No complaint against a registered platform: generate load data first.")
    by_consumer = complaints.values("consumer_id").annotate(total=Count("pk"))
    most_active = by_consumer.order_by("-total", "consumer_id").first()
    platform = Platform.objects.get(pk=busiest["platform_id"])
    consumer = User.objects.get(pk=most_active["consumer_id"])
    detail = complaints.filter(consumer=consumer).order_by("-event_count", "-pk").first()
    newest_of_platform = complaints.filter(platform=platform).order_by("-created_at", "-pk").first()
    staff = _helper_user(
        f"{HELPER_PREFIX}staff-{platform.pk}",
        role=Role.PLATFORM_STAFF,
        platform=platform,
        staff_role=StaffRole.MANAGER,
    )
    # The national supervisor reads every office's complaints, as the one regulator of the portal did before.
    regulator = _helper_regulator(REGULATOR_USERNAME, national_office())
    county = (
        complaints.filter(office__level=OfficeLevel.COUNTY)
        .values("office_id")
        .annotate(total=Count("pk"))
        .order_by("-total", "office_id")
        .first()
    )
    county_office = Office.objects.select_related("parent").get(pk=county["office_id"]) if county else None
    county_regulator = _helper_regulator(COUNTY_REGULATOR_USERNAME, county_office) if county_office else None
    city_regulator = (
        _helper_regulator(CITY_REGULATOR_USERNAME, county_office.parent) if county_office is not None else None
    )
    filer = _helper_user(FILER_USERNAME, role=Role.CONSUMER)
    return Actors(
        platform=platform,
        platform_complaints=busiest["total"],
        staff=staff,
        api_key=_helper_api_key(platform, staff),
        regulator=regulator,
        regulator_token=_token(regulator),
        consumer=consumer,
        consumer_complaints=most_active["total"],
        consumer_token=_token(consumer),
        detail_complaint=detail,
        order_number=newest_of_platform.order_number,
        filer=filer,
        filer_token=_token(filer),
        order_fragment=_order_fragment(complaints, platform),
        county_office=county_office,
        county_office_complaints=county["total"] if county else 0,
        county_regulator=county_regulator,
        county_regulator_token=_token(county_regulator) if county_regulator else "",
        city_regulator=city_regulator,
    )


def _order_fragment(complaints, platform: Platform) -> str:
    """An order number from the middle of the busiest platform's complaints, without its last three characters."""
    bounds = complaints.filter(platform=platform).aggregate(first=Min("pk"), last=Max("pk"))
    middle = complaints.filter(platform=platform, pk__lte=(bounds["first"] + bounds["last"]) // 2).order_by("-pk")
    order_number = middle.values_list("order_number", flat=True).first() or ""
    return order_number[:-3] if len(order_number) > 8 else order_number


def _helper_user(username: str, *, role: str, platform: Platform | None = None, staff_role: str = "") -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "role": role,
            "platform": platform,
            "staff_role": staff_role,
            "email": "",
            "is_active": True,
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _helper_regulator(username: str, office: Office) -> User:
    """A regulator of ``office`` (moved there if an earlier run left it elsewhere)."""
    regulator = _helper_user(username, role=Role.REGULATOR)
    if regulator.office_id != office.pk:
        User.objects.filter(pk=regulator.pk).update(office=office)
        regulator.office = office
    if not regulator.groups.exists():
        make_regulator(regulator)
    return regulator


def _token(user: User) -> str:
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


def helper_api_key_secret(platform_id: int) -> tuple[str, str]:
    """The raw key and prefix of the benchmark's key for a platform, derived from SECRET_KEY.

    Only its hash is stored, like every key; deriving it lets a later run present the same key again.
    """
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"benchmark-api-key:{platform_id}".encode(), hashlib.sha256
    ).digest()
    prefix = digest[:4].hex()
    body = base64.urlsafe_b64encode(digest[4:]).decode("ascii").rstrip("=")
    return f"km_{prefix}_{body}", prefix


def _helper_api_key(platform: Platform, staff: User) -> str:
    raw_key, prefix = helper_api_key_secret(platform.pk)
    ApiKey.objects.get_or_create(
        key_hash=hash_api_key(raw_key),
        defaults={"platform": platform, "name": HELPER_KEY_NAME, "prefix": prefix, "created_by": staff},
    )
    return raw_key
