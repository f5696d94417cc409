"""Rows the generator writes through the ORM: the office tree, the few hundred platforms and penalties, and the
id and reference sequences that later filings continue.
"""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, models
from django.utils import timezone

from complaints.calendar import SHANGHAI
from platforms.models import Operator, Platform
from portal.models import NumberSequence, Office, OfficeLevel
from portal.offices import national_office
from regulation.models import Penalty, PenaltyKind
from regulation.penalties import penalty_number, penalty_sequence_scope

from .marks import PLATFORM_SLUG_PREFIX


def next_id(model) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def reset_sequences(*model_classes) -> None:
    """Move each table's id sequence past the ids the generator chose itself."""
    with connection.cursor() as cursor:
        for model in model_classes:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608 - model table names
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )


# The office tree of the load: 10 provinces × 3 cities × 9 districts under the national office, 311 offices in
# all (the size of a real province-wide deployment). Cities are receiving centres; codes follow GB/T 2260.
LOAD_PROVINCE_CODES = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32")
LOAD_CITIES_PER_PROVINCE = 3
LOAD_DISTRICTS_PER_CITY = 9


def insert_offices() -> list[str]:
    """The load's office tree (kept if it is there already); returns the district codes platforms live in."""
    national = national_office()
    districts: list[str] = []
    for province_code in LOAD_PROVINCE_CODES:
        province = _office(f"{province_code}0000", OfficeLevel.PROVINCE, national, f"负载省{province_code}")
        for city_number in range(1, LOAD_CITIES_PER_PROVINCE + 1):
            city_code = f"{province_code}{city_number:02d}"
            city = _office(f"{city_code}00", OfficeLevel.CITY, province, f"负载市{city_code}", receiving=True)
            for district_number in range(1, LOAD_DISTRICTS_PER_CITY + 1):
                code = f"{city_code}{district_number:02d}"
                _office(code, OfficeLevel.COUNTY, city, f"负载区{code}")
                districts.append(code)
    return districts


def _office(code: str, level: str, parent: Office, place: str, *, receiving: bool = False) -> Office:
    return Office.objects.get_or_create(
        division_code=code,
        defaults={
            "level": level,
            "parent": parent,
            "name": f"{place}市场监督管理局",
            "short_name": f"{place}局",
            "penalty_number_prefix": f"{place}市监处罚",
            "is_receiving_centre": receiving,
        },
    )[0]


def insert_platforms(rng: random.Random, count: int, now: datetime, districts: list[str]) -> range:
    """Platforms in rank order: the first gets the most complaints (see ``staging.stage_complaints``). Each is
    domiciled in one of ``districts``, so its complaints go to that district's office."""
    first_id = next_id(Platform)
    operators = Operator.objects.bulk_create(
        [Operator(name=f"负载运营主体{i:04d}") for i in range(max(count // 30, 1))]
    )
    # A few operators run three platforms each, as repeat offenders often do.
    rows = [
        _platform(rng, first_id + i, operators[i // 3] if i // 3 < len(operators) else None, now, districts)
        for i in range(count)
    ]
    Platform.objects.bulk_create(rows, batch_size=2000)
    return range(first_id, first_id + count)


def _platform(rng: random.Random, pid: int, operator: Operator | None, now: datetime, districts: list[str]) -> Platform:
    slug = f"{PLATFORM_SLUG_PREFIX}{pid:05d}"
    return Platform(
        id=pid,
        name=f"负载卡盟{pid:05d}",
        slug=slug,
        website=f"https://{slug}.example.cn",
        domain=f"{slug}.example.cn",
        icp_filing_number=f"京ICP备{30000000 + pid}号",
        telecom_licence_number=f"京B2-{30000000 + pid}" if rng.random() < 0.7 else "",
        business_licence_code=f"9111{pid:014d}",
        operator=operator,
        is_verified=rng.random() < 0.6,
        verified_at=now - timedelta(days=rng.randint(1, 700)),
        contact_email=f"kefu@{slug}.example.cn",
        compensation_standard="未在2小时内发货自动退款" if rng.random() < 0.4 else "",
        compensation_hours=2 if rng.random() < 0.4 else None,
        reported_monthly_orders=rng.randint(2_000, 500_000) if rng.random() < 0.5 else None,
        domicile_code=districts[(pid * 7919) % len(districts)],
    )


def advance_reference_sequences(cursor) -> None:
    """Later filings continue each year's gap-free reference sequence after the generated ones."""
    cursor.execute("SELECT local_year, count(*) FROM gen GROUP BY local_year")
    for year, count in cursor.fetchall():
        sequence, _created = NumberSequence.objects.get_or_create(scope="complaint", year=year)
        NumberSequence.objects.filter(pk=sequence.pk).update(last_value=models.F("last_value") + count)


def insert_penalties(rng: random.Random, platform_ids: range, now: datetime) -> int:
    """Penalties for the platforms with the most complaints (the first ranks), decided over the last 300 days by
    the office of each platform's domicile.

    Each is numbered in its office's series of the year it was decided (Asia/Shanghai), in date order,
    continuing that counter: early in a year most decisions fall in the one before.
    """
    today = timezone.localtime(now, SHANGHAI).date()
    domiciles = dict(Platform.objects.filter(pk__in=platform_ids).values_list("pk", "domicile_code"))
    offices = {office.division_code: office for office in Office.objects.filter(division_code__in=domiciles.values())}
    national = national_office()
    penalties = [
        _penalty(
            rng,
            platform_id,
            offices.get(domiciles.get(platform_id), national),
            decided=today - timedelta(days=rng.randint(5, 300)),
        )
        for platform_id in platform_ids
    ]
    last_values: dict[tuple[int, int], int] = {}
    for penalty in sorted(penalties, key=lambda penalty: (penalty.decided_on, penalty.platform_id)):
        series = (penalty.office.pk, penalty.decided_on.year)
        if series not in last_values:
            last_values[series] = NumberSequence.objects.get_or_create(
                scope=penalty_sequence_scope(series[0]), year=series[1]
            )[0].last_value
        last_values[series] += 1
        penalty.year, penalty.sequence = series[1], last_values[series]
        penalty.number = penalty_number(penalty.office.penalty_number_prefix, penalty.year, penalty.sequence)
    Penalty.objects.bulk_create(penalties)
    for (office_id, year), last_value in last_values.items():
        NumberSequence.objects.filter(scope=penalty_sequence_scope(office_id), year=year).update(last_value=last_value)
    return len(penalties)


def _penalty(rng: random.Random, platform_id: int, office: Office, *, decided: date) -> Penalty:
    """An unnumbered penalty: ``insert_penalties`` numbers them in the order they were decided."""
    kind = (PenaltyKind.WARNING, PenaltyKind.FINE, PenaltyKind.RECTIFICATION)[rng.randrange(3)]
    return Penalty(
        platform_id=platform_id,
        office=office,
        kind=kind,
        fine_amount=Decimal(rng.choice([5000, 10000, 50000])) if kind == PenaltyKind.FINE else None,
        rectification_deadline=decided + timedelta(days=30) if kind == PenaltyKind.RECTIFICATION else None,
        legal_basis="《网络交易监督管理办法》",
        facts="多次未按时处理消费者投诉。",
        decision="依法作出处罚。",
        decided_on=decided,
        appeal_deadline=decided + timedelta(days=60),
    )
