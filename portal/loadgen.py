"""Realistic, reproducible bulk data for benchmarks: platforms, consumers, complaints with their clocks,
timelines (valid hash chains), evidence rows without file bodies, and penalties for the worst offenders.

Rows are streamed with PostgreSQL COPY (batched INSERTs elsewhere), so a million complaints take minutes.
Everything written is marked ``is_generated`` or belongs to a generated complaint, so real data is never
mixed in silently.
"""

import hashlib
import json
import multiprocessing
import random
import time
from bisect import bisect
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from complaints.events import canonical_event, chain_hash
from complaints.models import (
    ClockKind,
    Complaint,
    Deadline,
    Event,
    EventKind,
    Evidence,
    Finding,
    Response,
    Status,
)
from platforms.models import Operator, Penalty, PenaltyKind, Platform
from portal.models import NumberSequence, Role, User

PRODUCTS = [
    ("王者荣耀 648 点券", "card_key_missing", Decimal("648.00")),
    ("腾讯视频VIP年卡", "membership_not_activated", Decimal("198.00")),
    ("爱奇艺黄金会员月卡", "membership_not_activated", Decimal("25.00")),
    ("网易一卡通 100 元", "topup_not_credited", Decimal("95.00")),
    ("Steam 钱包 200 元", "topup_not_credited", Decimal("200.00")),
    ("原神创世结晶 6480", "card_key_missing", Decimal("648.00")),
    ("QQ 会员季卡", "membership_not_activated", Decimal("45.00")),
    ("话费充值 100 元", "topup_not_credited", Decimal("99.50")),
    ("京东E卡 500 元", "wrong_item", Decimal("495.00")),
]
CHANNELS = ["alipay", "alipay", "alipay", "wechat", "wechat", "bank_card", "other"]
FINISHED_MIX = [  # (status, finding, weight) for complaints older than a month
    (Status.RESOLVED, "", 50),
    (Status.CLOSED, Finding.UPHELD, 12),
    (Status.CLOSED, Finding.NOT_UPHELD, 6),
    (Status.CLOSED, Finding.REFERRED, 2),
    (Status.CLOSED, Finding.REFUSED, 2),
    (Status.WITHDRAWN, "", 10),
]
RECENT_MIX = [
    (Status.AWAITING_PLATFORM, "", 30),
    (Status.INFO_REQUESTED, "", 4),
    (Status.AWAITING_CONSUMER, "", 20),
    (Status.DISPUTED, "", 8),
    (Status.ESCALATED, "", 8),
    (Status.MEDIATION, "", 5),
    (Status.RESOLVED, "", 20),
    (Status.WITHDRAWN, "", 5),
]
OPEN = {
    Status.AWAITING_PLATFORM,
    Status.INFO_REQUESTED,
    Status.AWAITING_CONSUMER,
    Status.DISPUTED,
    Status.ESCALATED,
    Status.MEDIATION,
}


class RealDataPresent(Exception):
    """The database holds data that was not generated; refuse unless forced."""


@dataclass
class LoadReport:
    platforms: int = 0
    consumers: int = 0
    complaints: int = 0
    deadlines: int = 0
    events: int = 0
    evidence: int = 0
    responses: int = 0
    penalties: int = 0
    seconds: dict = field(default_factory=dict)


def _copy_field(value) -> str:
    """One value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    elif isinstance(value, datetime):
        return value.isoformat()
    else:
        value = str(value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _column_defaults(model: type[models.Model]) -> list[tuple[models.Field, object]]:
    def default(f):
        if f.has_default():
            return f.get_default()
        if f.null:
            return None
        return "" if isinstance(f, models.CharField | models.TextField) else None

    return [(f, default(f)) for f in model._meta.concrete_fields]


def write_rows(model: type[models.Model], rows: list[dict]) -> int:
    """Insert ``rows`` (dicts by column name; missing columns take the field default) as fast as the database
    allows: one COPY on PostgreSQL, batched INSERTs elsewhere."""
    if not rows:
        return 0
    fields = _column_defaults(model)
    table = model._meta.db_table
    columns = ", ".join(f'"{f.column}"' for f, _default in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            lines = [
                "\t".join(_copy_field(row.get(f.column, default)) for f, default in fields) + "\n"
                for row in rows
            ]
            with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                copy.write("".join(lines))
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            values = [
                tuple(
                    json.dumps(value, cls=DjangoJSONEncoder)
                    if isinstance(f, models.JSONField)
                    else f.get_db_prep_save(value, connection)
                    for f, default in fields
                    for value in [row.get(f.column, default)]
                )
                for row in rows
            ]
            cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders})', values)  # noqa: S608
    return len(rows)


def _next_id(model) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def _reset_sequences(*model_classes) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in model_classes:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608 - table names from models
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )


def ensure_only_generated_data(force: bool) -> None:
    real = (
        Complaint.objects.filter(is_generated=False).exists()
        or Platform.objects.filter(is_generated=False).exists()
    )
    if real and not force:
        raise RealDataPresent(
            "This database holds complaints or platforms that were not generated. "
            "Use a dedicated database, or pass --force if you really mean to add load data to it."
        )


def generate(
    *, complaints: int, platforms: int, seed: int = 2026, now: datetime | None = None, progress=print
) -> LoadReport:
    """Write the load; returns counts and timings. ``now`` fixes the timeline for reproducibility."""
    rng = random.Random(seed)
    now = now or timezone.now().replace(microsecond=0)
    report = LoadReport()
    started = time.perf_counter()
    # One transaction per phase: the complaint chunks are written by several processes in parallel.
    with transaction.atomic():
        platform_ids, weights = _platforms(rng, platforms, now, report)
        consumer_ids = _consumers(rng, max(complaints // 4, 10), now, report)
    report.seconds["platforms+consumers"] = round(time.perf_counter() - started, 1)
    _complaints(rng, complaints, platform_ids, weights, consumer_ids, now, report, progress)
    report.seconds["complaints"] = round(time.perf_counter() - started, 1)
    with transaction.atomic():
        _penalties(rng, platform_ids[:40], now, report)
        _reset_sequences(User, Platform, Complaint, Deadline, Event, Evidence, Response, Penalty, Operator)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    report.seconds["total"] = round(time.perf_counter() - started, 1)
    return report


def _platforms(rng, count, now, report) -> tuple[list[int], list[float]]:
    first_id = _next_id(Platform)
    operator_first = _next_id(Operator)
    Operator.objects.bulk_create(
        [Operator(id=operator_first + i, name=f"负载运营主体{i:04d}") for i in range(count // 10)]
    )
    rows = []
    for i in range(count):
        pid = first_id + i
        rows.append(
            {
                "id": pid,
                "name": f"负载卡盟{pid:05d}",
                "slug": f"load-{pid:05d}",
                "website": f"https://load-{pid:05d}.example.cn",
                "domain": f"load-{pid:05d}.example.cn",
                "icp_filing_number": f"京ICP备{30000000 + pid}号",
                "telecom_licence_number": f"京B2-{30000000 + pid}" if rng.random() < 0.7 else "",
                "business_licence_code": f"9111{pid:014d}",
                "payment_account": "",
                "operator_id": operator_first + i // 10 if i < (count // 10) * 10 and i % 3 == 0 else None,
                "is_verified": rng.random() < 0.6,
                "verified_at": now - timedelta(days=rng.randint(1, 700)),
                "contact_email": f"kefu@load-{pid:05d}.example.cn",
                "compensation_standard": "未在2小时内发货自动退款" if rng.random() < 0.4 else "",
                "compensation_hours": 2 if rng.random() < 0.4 else None,
                "reported_monthly_orders": rng.randint(2_000, 500_000) if rng.random() < 0.5 else None,
                "is_generated": True,
                "created_at": now - timedelta(days=800),
            }
        )
    write_rows(Platform, rows)
    report.platforms = count
    ids = [first_id + i for i in range(count)]
    # Zipf-like skew: a few platforms draw most complaints, as in real markets.
    weights = [1 / (rank**1.1) for rank in range(1, count + 1)]
    return ids, list(accumulate(weights))


def _consumers(rng, count, now, report) -> list[int]:
    first_id = _next_id(User)
    rows = []
    for i in range(count):
        uid = first_id + i
        rows.append(
            {
                "id": uid,
                "password": "!generated",
                "username": f"load-consumer-{uid}",
                "email": f"load-consumer-{uid}@example.cn",
                "is_active": True,
                "is_staff": False,
                "is_superuser": False,
                "date_joined": now - timedelta(days=rng.randint(1, 900)),
                "role": Role.CONSUMER,
                "phone": "",
                "preferred_language": "zh-hans",
                "first_name": "",
                "last_name": "",
            }
        )
    write_rows(User, rows)
    report.consumers = count
    return [first_id + i for i in range(count)]


def _pick_status(rng, age_days: float):
    mix = RECENT_MIX if age_days < 30 else FINISHED_MIX
    total = sum(w for *_, w in mix)
    point = rng.uniform(0, total)
    for status, finding, weight in mix:
        point -= weight
        if point <= 0:
            return status, finding
    return mix[-1][0], mix[-1][1]


@dataclass(frozen=True)
class ChunkPlan:
    index: int
    start: int
    end: int
    seed: int
    first_complaint_id: int
    first_deadline_id: int
    first_event_id: int
    first_evidence_id: int
    first_response_id: int
    year_counters: dict


# Filled by the parent before forking, read (copy-on-write) by the chunk workers.
_SHARED: dict = {}
CHUNK = 50_000
MAX_CLOCKS = 5
MAX_EVENTS = 4


def _complaints(rng, count, platform_ids, cumulative, consumer_ids, now, report, progress) -> None:
    """Plan chunks in the parent (ids, reference counters), build and COPY them in parallel processes."""
    span_seconds = 730 * 86400
    created = sorted(now - timedelta(seconds=span_seconds * (rng.random() ** 0.8)) for _ in range(count))
    # References continue each year's gap-free sequence after whatever exists already.
    year_counters = dict(NumberSequence.objects.filter(scope="complaint").values_list("year", "last_value"))
    first_ids = {m: _next_id(m) for m in (Complaint, Deadline, Event, Evidence, Response)}
    plans = []
    for index, start in enumerate(range(0, count, CHUNK)):
        end = min(start + CHUNK, count)
        plans.append(
            ChunkPlan(
                index=index,
                start=start,
                end=end,
                seed=rng.randrange(2**32),
                first_complaint_id=first_ids[Complaint] + start,
                first_deadline_id=first_ids[Deadline] + start * MAX_CLOCKS,
                first_event_id=first_ids[Event] + start * MAX_EVENTS,
                first_evidence_id=first_ids[Evidence] + start,
                first_response_id=first_ids[Response] + start,
                year_counters=dict(year_counters),
            )
        )
        for created_at in created[start:end]:
            year = _local_year(created_at)
            year_counters[year] = year_counters.get(year, 0) + 1
    _SHARED.update(
        created=created, platform_ids=platform_ids, cumulative=cumulative, consumer_ids=consumer_ids, now=now
    )
    if connection.vendor == "postgresql" and len(plans) > 1:
        with _indexes_dropped_while_loading(BULK_TABLES, progress):
            connection.close()  # children must not share the parent's socket
            with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
                results = pool.imap_unordered(_complaint_chunk_in_process, plans)
                for done, counts in enumerate(results, start=1):
                    _add_counts(report, counts)
                    progress(f"  chunk {done}/{len(plans)} written")
    else:
        for plan in plans:
            _add_counts(report, _complaint_chunk(plan))
    _SHARED.clear()
    for year, last_value in year_counters.items():
        NumberSequence.objects.update_or_create(
            scope="complaint", year=year, defaults={"last_value": last_value}
        )


WORKERS = 2
BULK_TABLES = [m._meta.db_table for m in (Complaint, Deadline, Event, Evidence, Response)]


@contextmanager
def _indexes_dropped_while_loading(tables: list[str], progress):
    """Drop secondary indexes and constraints (not primary keys) of ``tables`` and rebuild them afterwards.

    Building an index once over all rows is several times faster than maintaining it row by row, and foreign
    keys checked once per table beat a trigger per row — the same order pg_restore uses.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('f', 'u', 'c')",
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        connection.close()
        progress(f"  rebuilding {len(indexes)} indexes and {len(constraints)} constraints")
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in constraints:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _local_year(moment: datetime) -> int:
    return (moment + timedelta(hours=8)).year


def _add_counts(report: LoadReport, counts: dict) -> None:
    for name, value in counts.items():
        setattr(report, name, getattr(report, name) + value)


def _complaint_chunk_in_process(plan: ChunkPlan) -> dict:
    try:
        with transaction.atomic():
            return _complaint_chunk(plan)
    finally:
        connection.close()


def _complaint_chunk(plan: ChunkPlan) -> dict:
    """Build every row of one chunk of complaints (clocks, timeline, evidence, responses) and write them."""
    rng = random.Random(plan.seed)
    created, now = _SHARED["created"], _SHARED["now"]
    platform_ids, cumulative, consumer_ids = (
        _SHARED["platform_ids"],
        _SHARED["cumulative"],
        _SHARED["consumer_ids"],
    )
    total_weight = cumulative[-1]
    year_counters = dict(plan.year_counters)
    deadline_id, event_id = plan.first_deadline_id, plan.first_event_id
    evidence_id, response_id = plan.first_evidence_id, plan.first_response_id
    complaint_rows, deadline_rows, event_rows, evidence_rows, response_rows = [], [], [], [], []
    for offset, created_at in enumerate(created[plan.start : plan.end]):
        cid = plan.first_complaint_id + offset
        local_year = _local_year(created_at)
        year_counters[local_year] = year_counters.get(local_year, 0) + 1
        reference = f"KM-{local_year}-{year_counters[local_year]:06d}"
        platform_id = platform_ids[
            min(bisect(cumulative, rng.random() * total_weight), len(platform_ids) - 1)
        ]
        product, problem, amount = PRODUCTS[rng.randrange(len(PRODUCTS))]
        age_days = (now - created_at).total_seconds() / 86400
        status, finding = _pick_status(rng, age_days)
        first_response_hours = rng.lognormvariate(2.2, 1.0)
        late_first = first_response_hours > 24
        first_answered = created_at + timedelta(hours=first_response_hours)
        answered = status not in (Status.AWAITING_PLATFORM, Status.INFO_REQUESTED) or rng.random() < 0.3
        if first_answered > now:
            answered, first_answered = False, None
        final_answered = (
            first_answered + timedelta(hours=rng.uniform(1, 60))
            if answered and status not in (Status.AWAITING_PLATFORM, Status.INFO_REQUESTED)
            else None
        )
        if final_answered and final_answered > now:
            final_answered = now
        is_overdue = late_first or (status == Status.ESCALATED) or (not answered and age_days > 1.5)
        escalated_at = (
            created_at + timedelta(days=min(age_days * 0.5, 5))
            if status in (Status.ESCALATED, Status.MEDIATION) or finding
            else None
        )
        closed_at = (
            created_at + timedelta(days=min(age_days, rng.uniform(2, 40)))
            if status in (Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN)
            else None
        )
        row = {
            "id": cid,
            "reference": reference,
            "consumer_id": consumer_ids[rng.randrange(len(consumer_ids))],
            "platform_id": platform_id,
            "order_number": f"LD{cid:010d}",
            "paid_at": created_at - timedelta(hours=rng.uniform(1, 72)),
            "amount": amount,
            "payment_channel": CHANNELS[rng.randrange(len(CHANNELS))],
            "payment_reference": f"2026{cid:016d}",
            "product_name": product,
            "problem": problem,
            "platform_order_status": ("paid", "awaiting_delivery", "abnormal", "unknown")[rng.randrange(4)],
            "description": f"{product}付款后未到账，联系客服无果。",
            "desired_outcome": "refund",
            "status": status,
            "finding": finding,
            "is_overdue": is_overdue,
            "compensation_breach": rng.random() < 0.08,
            "rating": rng.randint(1, 5) if status == Status.RESOLVED else None,
            "accepted_automatically": status == Status.RESOLVED and rng.random() < 0.3,
            "created_at": created_at,
            "updated_at": closed_at or final_answered or created_at,
            "forwarded_at": created_at,
            "first_answered_at": first_answered,
            "final_answered_at": final_answered,
            "escalated_at": escalated_at,
            "closed_at": closed_at,
            "is_generated": True,
        }
        # Clocks: generated due times use calendar days; explanations say so.
        explanation = {"unit": "generated", "note": "load data: calendar-day approximation"}
        clock_specs = [
            (ClockKind.FIRST_RESPONSE, timedelta(days=1), first_answered),
            (ClockKind.RESOLUTION, timedelta(days=3), final_answered),
            (ClockKind.HARD_LIMIT, timedelta(days=14), closed_at or escalated_at),
        ]
        if final_answered:
            clock_specs.append(
                (
                    ClockKind.CONSUMER_REPLY,
                    timedelta(days=7),
                    closed_at if status != Status.DISPUTED else final_answered,
                )
            )
        if escalated_at:
            clock_specs.append(
                (
                    ClockKind.REGULATOR_ACCEPTANCE,
                    timedelta(days=9),
                    None if status == Status.ESCALATED else escalated_at + timedelta(days=2),
                )
            )
        for kind, length, met_at in clock_specs:
            due_at = (
                created_at + length
                if kind in (ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION, ClockKind.HARD_LIMIT)
                else ((final_answered if kind == ClockKind.CONSUMER_REPLY else escalated_at) + length)
            )
            breached = None
            if met_at is None and status not in OPEN:
                met_at = closed_at
            if (met_at is None and due_at <= now) or (met_at is not None and met_at > due_at):
                breached = due_at + timedelta(minutes=2)
            deadline_rows.append(
                {
                    "id": deadline_id,
                    "complaint_id": cid,
                    "kind": kind,
                    "started_at": created_at,
                    "due_at": due_at,
                    "met_at": met_at,
                    "breached_at": breached,
                    "paused_seconds": 0,
                    "explanation": explanation,
                }
            )
            deadline_id += 1
        # Timeline: filed, forwarded, answered, closing event — with valid hash chains.
        timeline = [
            (EventKind.FILED, created_at, {"order_number": row["order_number"]}),
            (EventKind.FORWARDED, created_at, {"platform": f"load-{platform_id:05d}"}),
        ]
        if final_answered:
            timeline.append((EventKind.ANSWERED, final_answered, {"outcome": "refunded"}))
        if status == Status.RESOLVED:
            timeline.append((EventKind.ACCEPTED, closed_at, {"rating": row["rating"]}))
        elif status == Status.CLOSED:
            timeline.append((EventKind.CLOSED, closed_at, {"finding": finding}))
        elif status == Status.WITHDRAWN:
            timeline.append((EventKind.WITHDRAWN, closed_at, {}))
        elif status in (Status.ESCALATED, Status.MEDIATION):
            timeline.append((EventKind.ESCALATED, escalated_at, {"reason": "generated"}))
        prev_hash = ""
        for sequence, (kind, at, data) in enumerate(timeline, start=1):
            at = at.astimezone(UTC)
            actor = "system" if kind in (EventKind.FORWARDED, EventKind.ESCALATED) else "consumer:load"
            digest = chain_hash(
                prev_hash,
                canonical_event(
                    reference=reference,
                    sequence=sequence,
                    kind=kind,
                    actor_label=actor,
                    created_at=at,
                    data=data,
                ),
            )
            event_rows.append(
                {
                    "id": event_id,
                    "complaint_id": cid,
                    "sequence": sequence,
                    "kind": kind,
                    "actor_id": None,
                    "actor_label": actor,
                    "data": data,
                    "created_at": at,
                    "prev_hash": prev_hash,
                    "hash": digest,
                }
            )
            event_id += 1
            prev_hash = digest
        row["event_count"] = len(timeline)
        row["last_event_hash"] = prev_hash
        complaint_rows.append(row)
        if final_answered:
            response_rows.append(
                {
                    "id": response_id,
                    "complaint_id": cid,
                    "outcome": "refunded",
                    "message": "已退款",
                    "refund_amount": amount,
                    "refund_reference": f"RF{cid}",
                    "created_at": final_answered,
                }
            )
            response_id += 1
        if rng.random() < 0.5:
            # Evidence rows without bodies: the manifest is what lists and dossiers read.
            evidence_rows.append(
                {
                    "id": evidence_id,
                    "complaint_id": cid,
                    "party": "consumer",
                    "kind": "payment_voucher",
                    "file": f"generated/{cid}.png",
                    "thumbnail": "",
                    "original_name": "付款截图.png",
                    "size": 120_000,
                    "sha256": hashlib.sha256(str(cid).encode()).hexdigest(),
                    "content_type": "image/png",
                    "received_at": created_at,
                }
            )
            evidence_id += 1
    return {
        "complaints": write_rows(Complaint, complaint_rows),
        "deadlines": write_rows(Deadline, deadline_rows),
        "events": write_rows(Event, event_rows),
        "evidence": write_rows(Evidence, evidence_rows),
        "responses": write_rows(Response, response_rows),
    }


def _penalties(rng, worst_platform_ids, now, report) -> None:
    year = timezone.localtime(now).year
    sequence = (
        NumberSequence.objects.filter(scope="penalty", year=year).values_list("last_value", flat=True).first()
    )
    sequence = sequence or 0
    penalties = []
    for platform_id in worst_platform_ids:
        sequence += 1
        decided = (now - timedelta(days=rng.randint(5, 300))).date()
        kind = (PenaltyKind.WARNING, PenaltyKind.FINE, PenaltyKind.RECTIFICATION)[rng.randrange(3)]
        penalties.append(
            Penalty(
                platform_id=platform_id,
                year=year,
                sequence=sequence,
                number=f"〔{year}〕第{sequence:04d}号",
                kind=kind,
                fine_amount=Decimal(rng.choice([5000, 10000, 50000])) if kind == PenaltyKind.FINE else None,
                rectification_deadline=decided + timedelta(days=30)
                if kind == PenaltyKind.RECTIFICATION
                else None,
                legal_basis="《网络交易监督管理办法》",
                facts="多次未按时处理消费者投诉。",
                decision="依法作出处罚。",
                decided_on=decided,
                appeal_deadline=decided + timedelta(days=60),
            )
        )
    Penalty.objects.bulk_create(penalties)
    NumberSequence.objects.update_or_create(scope="penalty", year=year, defaults={"last_value": sequence})
    report.penalties = len(penalties)
