"""Realistic, reproducible bulk data for benchmarks: platforms, consumers, complaints with their clocks,
timelines (valid hash chains), evidence rows without file bodies, and penalties for the worst offenders.

PostgreSQL builds the rows itself (``INSERT … SELECT`` over ``generate_series`` with a seeded ``random()``), so
a million complaints take a few minutes instead of an hour of Python. The timeline hashes are computed in SQL
with exactly the canonical form of ``complaints.events.canonical_event``; a test verifies generated chains with
the application's own verifier. Everything written is marked ``is_generated`` or belongs to a generated
complaint, so real data is never mixed in silently.
"""

import json
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone

from complaints.calendar import SHANGHAI
from complaints.models import PLATFORM_CLOCKS, Complaint, Deadline, Event, Evidence, Response
from platforms.models import Operator, Penalty, PenaltyKind, Platform
from platforms.penalties import penalty_number
from platforms.rollup import refresh_daily_stats
from portal.models import NumberSequence, User

# (product, problem, amount): aligned arrays in SQL
PRODUCTS = [
    ("王者荣耀 648 点券", "card_key_missing", "648.00"),
    ("腾讯视频VIP年卡", "membership_not_activated", "198.00"),
    ("爱奇艺黄金会员月卡", "membership_not_activated", "25.00"),
    ("网易一卡通 100 元", "topup_not_credited", "95.00"),
    ("Steam 钱包 200 元", "topup_not_credited", "200.00"),
    ("原神创世结晶 6480", "card_key_missing", "648.00"),
    ("QQ 会员季卡", "membership_not_activated", "45.00"),
    ("话费充值 100 元", "topup_not_credited", "99.50"),
    ("京东E卡 500 元", "wrong_item", "495.00"),
]
GENERATED_TABLES = [m._meta.db_table for m in (Complaint, Deadline, Event, Evidence, Response)]


class RealDataPresent(Exception):
    """The database holds data that was not generated; refuse unless forced."""


class NeedsPostgres(Exception):
    """The generator relies on PostgreSQL's set-based SQL and COPY-speed inserts."""


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


def ensure_only_generated_data(force: bool) -> None:
    if connection.vendor != "postgresql":
        raise NeedsPostgres("generate_load needs PostgreSQL: set DATABASE_URL=postgres://…")
    real = Complaint.objects.filter(is_generated=False).exists() or Platform.objects.filter(is_generated=False).exists()
    if real and not force:
        raise RealDataPresent(
            "This database holds complaints or platforms that were not generated. "
            "Use a dedicated database, or pass --force if you really mean to add load data to it."
        )


def generate(
    *, complaints: int, platforms: int, seed: int = 2026, now: datetime | None = None, progress=print
) -> LoadReport:
    """Write the load; returns counts and timings. The same seed and ``now`` give the same data."""
    now = now or timezone.now().replace(microsecond=0)
    report = LoadReport()
    timer = _Timer(report, progress)
    with transaction.atomic():
        first_platform = _platforms(random.Random(seed), platforms, now)
        report.platforms = platforms
        timer.lap("platforms")
        with connection.cursor() as cursor:
            # Staging sorts and hashes millions of rows: give them memory instead of spilling to disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
            first_consumer, consumers = _consumers(cursor, max(complaints // 4, 10), now)
            report.consumers = consumers
            timer.lap("consumers")
            _stage_complaints(cursor, complaints, first_platform, platforms, first_consumer, consumers, now)
            timer.lap("complaints staged")
            _stage_deadlines(cursor, now)
            timer.lap("clocks staged")
            _stage_evidence(cursor)
            events_sql = _stage_events(cursor)
            timer.lap("timelines hashed")
            with _indexes_dropped_while_loading(cursor, GENERATED_TABLES):
                _write_generated(cursor, report, events_sql)
                timer.lap("rows written")
            timer.lap("indexes rebuilt")
            _advance_reference_sequences(cursor)
        report.penalties = _penalties(random.Random(seed), first_platform, min(platforms, 40), now)
        _reset_sequences(User, Platform, Complaint, Evidence, Operator)
    # What the beat's refresh would hold for this history, so statistics read from the rollup at once.
    refresh_daily_stats(now=now)
    timer.lap("statistics rollup")
    with connection.cursor() as cursor:
        # VACUUM marks the new pages all-visible, so index-only scans need not read the tables; it cannot run
        # inside a transaction (as in tests), where statistics alone are refreshed.
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    timer.lap("vacuumed and analyzed")
    report.seconds["total"] = round(sum(report.seconds.values()), 1)
    return report


class _Timer:
    def __init__(self, report: LoadReport, progress):
        self.report, self.progress, self.last = report, progress, time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.report.seconds[name] = round(now - self.last, 1)
        self.progress(f"  {name}: {now - self.last:.1f} s")
        self.last = now


def _next_id(model) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def _reset_sequences(*model_classes) -> None:
    with connection.cursor() as cursor:
        for model in model_classes:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608 - model table names
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )


def _platforms(rng: random.Random, count: int, now: datetime) -> int:
    """Platforms in rank order: the first gets the most complaints (see ``_stage_complaints``)."""
    first_id = _next_id(Platform)
    operators = Operator.objects.bulk_create(
        [Operator(name=f"负载运营主体{i:04d}") for i in range(max(count // 30, 1))]
    )
    rows = []
    for i in range(count):
        pid = first_id + i
        rows.append(
            Platform(
                id=pid,
                name=f"负载卡盟{pid:05d}",
                slug=f"load-{pid:05d}",
                website=f"https://load-{pid:05d}.example.cn",
                domain=f"load-{pid:05d}.example.cn",
                icp_filing_number=f"京ICP备{30000000 + pid}号",
                telecom_licence_number=f"京B2-{30000000 + pid}" if rng.random() < 0.7 else "",
                business_licence_code=f"9111{pid:014d}",
                # A few operators run three platforms each, as repeat offenders often do.
                operator=operators[i // 3] if i // 3 < len(operators) else None,
                is_verified=rng.random() < 0.6,
                verified_at=now - timedelta(days=rng.randint(1, 700)),
                contact_email=f"kefu@load-{pid:05d}.example.cn",
                compensation_standard="未在2小时内发货自动退款" if rng.random() < 0.4 else "",
                compensation_hours=2 if rng.random() < 0.4 else None,
                reported_monthly_orders=rng.randint(2_000, 500_000) if rng.random() < 0.5 else None,
                is_generated=True,
            )
        )
    Platform.objects.bulk_create(rows, batch_size=2000)
    return first_id


def _consumers(cursor, count: int, now: datetime) -> tuple[int, int]:
    first_id = _next_id(User)
    cursor.execute(
        """
        INSERT INTO portal_user (id, password, last_login, is_superuser, username, first_name, last_name, email,
                                 is_staff, is_active, date_joined, role, platform_id, staff_role, phone,
                                 preferred_language)
        SELECT %(first)s + g - 1, '!generated', NULL, false, 'load-consumer-' || (%(first)s + g - 1), '', '',
               'load-consumer-' || (%(first)s + g - 1) || '@example.cn', false, true,
               %(now)s - random() * interval '900 days', 'consumer', NULL, '', '', 'zh-hans'
        FROM generate_series(1, %(count)s) AS g
        """,
        {"first": first_id, "count": count, "now": now},
    )
    return first_id, count


def _stage_complaints(cursor, count, first_platform, platforms, first_consumer, consumers, now) -> None:
    """Stage the complaints in a temporary table: dates over two years, Zipf-skewed platforms, every status."""
    sequences = dict(NumberSequence.objects.filter(scope="complaint").values_list("year", "last_value"))
    cursor.execute(
        """
        CREATE TEMP TABLE gen_raw ON COMMIT DROP AS
        SELECT g AS n,
               %(now)s - interval '730 days' * power(random(), 0.8) AS created_at,
               random() AS r_platform, random() AS r_consumer, random() AS r_status, random() AS r_product,
               random() AS r_channel, random() AS r_answered, random() AS r_final, random() AS r_rating,
               random() AS r_evidence, random() AS r_breach, random() AS r_order_status,
               -- log-normal hours to first response (median ~9 h, a long tail past 24 h)
               exp(2.2 + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS first_response_hours
        FROM generate_series(1, %(count)s) AS g
        """,
        {"now": now, "count": count},
    )
    cursor.execute(
        """
        CREATE TEMP TABLE gen ON COMMIT DROP AS
        WITH ordered AS (
            SELECT r.*, row_number() OVER (ORDER BY created_at, n) AS rn,
                   extract(year FROM created_at AT TIME ZONE 'Asia/Shanghai')::int AS local_year,
                   extract(epoch FROM %(now)s - created_at) / 86400 AS age_days
            FROM gen_raw r
        ), statused AS (
            SELECT o.*,
                   CASE WHEN age_days < 30 THEN
                        CASE WHEN r_status < .30 THEN 'awaiting_platform' WHEN r_status < .34 THEN 'info_requested'
                             WHEN r_status < .54 THEN 'awaiting_consumer' WHEN r_status < .62 THEN 'disputed'
                             WHEN r_status < .70 THEN 'escalated' WHEN r_status < .75 THEN 'mediation'
                             WHEN r_status < .95 THEN 'resolved' ELSE 'withdrawn' END
                   ELSE CASE WHEN r_status < 50/82.0 THEN 'resolved' WHEN r_status < 74/82.0 THEN 'closed'
                             ELSE 'withdrawn' END
                   END AS status,
                   CASE WHEN age_days >= 30 AND r_status >= 50/82.0 AND r_status < 74/82.0 THEN
                        CASE WHEN r_status < 62/82.0 THEN 'upheld' WHEN r_status < 68/82.0 THEN 'not_upheld'
                             WHEN r_status < 71/82.0 THEN 'referred' ELSE 'refused' END
                   ELSE '' END AS finding
            FROM ordered o
        ), answered AS (
            SELECT s.*,
                   CASE WHEN (s.status NOT IN ('awaiting_platform', 'info_requested') OR r_answered < .3)
                             AND s.created_at + first_response_hours * interval '1 hour' <= %(now)s
                        THEN s.created_at + first_response_hours * interval '1 hour' END AS first_answered_at
            FROM statused s
        )
        SELECT %(first_complaint)s + rn - 1 AS id, a.*,
               'KM-' || local_year || '-' || lpad((COALESCE((%(sequences)s::jsonb ->> local_year::text)::int, 0)
                    + row_number() OVER (PARTITION BY local_year ORDER BY rn))::text, 6, '0') AS reference,
               %(first_platform)s + least(%(platforms)s, greatest(1, floor(power(%(platforms)s, r_platform))))::int
                    - 1 AS platform_id,
               %(first_consumer)s + floor(r_consumer * %(consumers)s)::int AS consumer_id,
               1 + floor(r_product * 9)::int AS product_index,
               CASE WHEN first_answered_at IS NOT NULL AND status NOT IN ('awaiting_platform', 'info_requested')
                    THEN least(first_answered_at + r_final * interval '60 hours', %(now)s) END AS final_answered_at,
               CASE WHEN status IN ('escalated', 'mediation') OR finding <> ''
                    THEN created_at + least(age_days * 0.5, 5) * interval '1 day' END AS escalated_at,
               CASE WHEN status IN ('resolved', 'closed', 'withdrawn')
                    THEN created_at + least(age_days, 2 + r_final * 38) * interval '1 day' END AS closed_at
        FROM answered a
        """,
        {
            "now": now,
            "first_complaint": _next_id(Complaint),
            "sequences": json.dumps(sequences),
            "first_platform": first_platform,
            "platforms": platforms,
            "first_consumer": first_consumer,
            "consumers": consumers,
        },
    )
    cursor.execute("CREATE TEMP TABLE gen_products (i int, product text, problem text, amount numeric) ON COMMIT DROP")
    cursor.executemany(
        "INSERT INTO gen_products VALUES (%s, %s, %s, %s)",
        [(i + 1, p, q, Decimal(a)) for i, (p, q, a) in enumerate(PRODUCTS)],
    )


def _stage_deadlines(cursor, now) -> None:
    """Every clock a complaint of that status would have, met, missed or cancelled consistently with it."""
    cursor.execute(
        """
        CREATE TEMP TABLE gen_deadlines ON COMMIT DROP AS
        WITH clocks AS (
            SELECT g.id AS complaint_id, k.kind, g.created_at AS started_at, g.created_at + k.length AS due_at,
                   CASE k.kind WHEN 'first_response' THEN g.first_answered_at
                               WHEN 'resolution' THEN g.final_answered_at
                               ELSE CASE WHEN g.status = 'resolved' THEN g.closed_at ELSE g.escalated_at END
                   END AS met_at,
                   g.status, g.closed_at
            FROM gen g CROSS JOIN (VALUES ('first_response', interval '1 day'), ('resolution', interval '3 days'),
                                          ('hard_limit', interval '14 days')) AS k(kind, length)
            UNION ALL
            SELECT id, 'consumer_reply', final_answered_at, final_answered_at + interval '7 days',
                   CASE WHEN status = 'resolved' THEN closed_at
                        WHEN status IN ('disputed', 'escalated', 'mediation', 'closed')
                        THEN final_answered_at + interval '1 day' END,
                   status, closed_at
            FROM gen WHERE final_answered_at IS NOT NULL
            UNION ALL
            SELECT id, 'regulator_acceptance', escalated_at, escalated_at + interval '9 days',
                   CASE WHEN status <> 'escalated' THEN escalated_at + interval '2 days' END, status, closed_at
            FROM gen WHERE escalated_at IS NOT NULL
        )
        SELECT complaint_id, kind, started_at, due_at, met_at,
               CASE WHEN (met_at IS NULL AND due_at <= COALESCE(closed_at, %(now)s)) OR met_at > due_at
                    THEN due_at + interval '2 minutes' END AS breached_at,
               CASE WHEN met_at IS NULL AND status IN ('withdrawn', 'closed') AND due_at > closed_at
                    THEN closed_at END AS cancelled_at
        FROM clocks
        """,
        {"now": now},
    )
    cursor.execute(
        "CREATE TEMP TABLE gen_overdue ON COMMIT DROP AS SELECT DISTINCT complaint_id FROM gen_deadlines "
        "WHERE kind IN ('first_response', 'resolution', 'hard_limit') AND breached_at IS NOT NULL"
    )


# The canonical event of complaints.events.canonical_event, spelled in SQL: sorted keys, no spaces, UTC time
# with microseconds. Keep the two in step; tests verify generated chains with the application's verifier.
CANONICAL_EVENT_SQL = """
    '{"actor":' || to_json(e.actor_label)::text || ',"complaint":' || to_json(e.reference)::text
    || ',"created_at":"' || to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00"'
    || ',"data":' || e.data_text || ',"kind":"' || e.kind || '","sequence":' || e.sequence || '}'
"""


def _stage_evidence(cursor) -> None:
    """One payment voucher (a row without a file body) for about half the complaints."""
    cursor.execute(
        """
        CREATE TEMP TABLE gen_evidence ON COMMIT DROP AS
        SELECT %s + row_number() OVER (ORDER BY id) - 1 AS id, id AS complaint_id, created_at AS received_at,
               encode(sha256(convert_to(id::text, 'UTF8')), 'hex') AS sha256
        FROM gen WHERE r_evidence < 0.5
        """,
        [_next_id(Evidence)],
    )


def _stage_events(cursor) -> str:
    """Timelines of two to five events per complaint, hashed level by level (each level needs the previous).

    Returns the SQL that selects all staged events.
    """
    cursor.execute(
        """
        CREATE TEMP TABLE gen_timeline ON COMMIT DROP AS
        WITH timeline AS (
            SELECT id, reference, 1 AS ordinal, 'filed' AS kind, 'consumer:load' AS actor_label, created_at,
                   '{"order_number":"LD' || lpad(id::text, 10, '0') || '"}' AS data_text FROM gen
            UNION ALL
            SELECT id, reference, 2, 'forwarded', 'system', created_at,
                   '{"platform":"load-' || lpad(platform_id::text, 5, '0') || '"}' FROM gen
            UNION ALL
            SELECT g.id, g.reference, 2.5, 'evidence_added', 'consumer:load', g.created_at,
                   '{"content_type":"image/png","evidence_id":' || v.id || ',"file_name":"付款截图.png",'
                   || '"kind":"payment_voucher","party":"consumer","sha256":"' || v.sha256 || '","size":120000}'
            FROM gen g JOIN gen_evidence v ON v.complaint_id = g.id
            UNION ALL
            SELECT id, reference, 3, 'answered', 'consumer:load', final_answered_at, '{"outcome":"refunded"}'
            FROM gen WHERE final_answered_at IS NOT NULL
            UNION ALL
            SELECT id, reference, 4,
                   CASE status WHEN 'resolved' THEN 'accepted' WHEN 'closed' THEN 'closed'
                               WHEN 'withdrawn' THEN 'withdrawn' ELSE 'escalated' END,
                   CASE WHEN status IN ('closed', 'escalated', 'mediation') THEN 'system' ELSE 'consumer:load' END,
                   COALESCE(closed_at, escalated_at),
                   CASE status WHEN 'resolved' THEN '{"rating":' || (1 + floor(r_rating * 5)::int) || '}'
                               WHEN 'closed' THEN '{"finding":"' || finding || '"}'
                               WHEN 'withdrawn' THEN '{}' ELSE '{"reason":"generated"}' END
            FROM gen WHERE status IN ('resolved', 'closed', 'withdrawn', 'escalated', 'mediation')
        )
        SELECT id AS complaint_id, reference, kind, actor_label, created_at, data_text,
               row_number() OVER (PARTITION BY id ORDER BY ordinal)::int AS sequence
        FROM timeline
        """
    )
    cursor.execute("SELECT max(sequence) FROM gen_timeline")
    deepest = cursor.fetchone()[0] or 0
    levels = []
    for level in range(1, deepest + 1):
        previous = f"LEFT JOIN gen_events_{level - 1} p USING (complaint_id)" if level > 1 else ""
        prev_hash = "p.hash" if level > 1 else "''"
        cursor.execute(
            f"""
            CREATE TEMP TABLE gen_events_{level} ON COMMIT DROP AS
            SELECT e.*, {prev_hash} AS prev_hash,
                   encode(sha256(convert_to({prev_hash} || {CANONICAL_EVENT_SQL}, 'UTF8')), 'hex') AS hash
            FROM gen_timeline e {previous}
            WHERE e.sequence = {level}
            """  # noqa: S608 - only constants of this module are interpolated
        )
        levels.append(f"SELECT * FROM gen_events_{level}")  # noqa: S608 - a staging table of this module
    return " UNION ALL ".join(levels)


def _write_generated(cursor, report: LoadReport, events_sql: str) -> None:
    cursor.execute(
        f"""
        INSERT INTO complaints_complaint (
            id, reference, consumer_id, platform_id, unregistered_platform_name, unregistered_platform_url,
            order_number, paid_at, amount, payment_channel, payment_reference, product_name, problem,
            platform_order_status, description, desired_outcome, support_agent_id, support_contacted_at,
            support_promise, support_promised_by, status, finding, finding_note, is_overdue, compensation_breach,
            assigned_to_id, rating, dispute_reason, accepted_automatically, publish_consent, public_narrative,
            created_at, updated_at, forwarded_at, first_answered_at, final_answered_at, escalated_at, closed_at,
            event_count, last_event_hash, is_generated)
        SELECT g.id, g.reference, g.consumer_id, g.platform_id, '', '', 'LD' || lpad(g.id::text, 10, '0'),
               g.created_at - (1 + r_channel * 71) * interval '1 hour', p.amount,
               (ARRAY['alipay', 'alipay', 'alipay', 'wechat', 'wechat', 'bank_card', 'other'])[1 + floor(r_channel * 7)::int],
               '2026' || lpad(g.id::text, 16, '0'), p.product, p.problem,
               (ARRAY['paid', 'awaiting_delivery', 'abnormal', 'unknown'])[1 + floor(r_order_status * 4)::int],
               p.product || '付款后未到账，联系客服无果。', 'refund', '', NULL, '', NULL, g.status, g.finding, '',
               o.complaint_id IS NOT NULL, r_breach < 0.08, NULL,
               CASE WHEN g.status = 'resolved' THEN 1 + floor(r_rating * 5)::int END, '',
               g.status = 'resolved' AND r_answered < 0.3, false, '',
               g.created_at, COALESCE(g.closed_at, g.final_answered_at, g.created_at), g.created_at,
               g.first_answered_at, g.final_answered_at, g.escalated_at, g.closed_at,
               last.sequence, last.hash, true
        FROM gen g
        JOIN gen_products p ON p.i = g.product_index
        LEFT JOIN gen_overdue o ON o.complaint_id = g.id
        JOIN (SELECT DISTINCT ON (complaint_id) complaint_id, sequence, hash FROM ({events_sql}) AS staged
              ORDER BY complaint_id, sequence DESC) AS last ON last.complaint_id = g.id
        """  # noqa: S608 - only SQL built by this module is interpolated
    )
    report.complaints = cursor.rowcount
    cursor.execute(
        """
        INSERT INTO complaints_deadline (complaint_id, kind, started_at, due_at, met_at, breached_at, reminded_at,
                                         paused_at, paused_seconds, cancelled_at, explanation)
        SELECT complaint_id, kind, started_at, due_at, met_at, breached_at, NULL, NULL, 0, cancelled_at,
               '{"unit": "generated", "note": "load data: calendar-day approximation"}'::jsonb
        FROM gen_deadlines
        """
    )
    report.deadlines = cursor.rowcount
    # Complaint.platform_due_at (the inbox order, complaints.deadlines.sync_platform_due): only the few complaints
    # with a running platform clock get one. Generated clocks are never paused.
    cursor.execute(
        """
        UPDATE complaints_complaint c SET platform_due_at = running.due_at
        FROM (SELECT complaint_id, min(due_at) AS due_at FROM gen_deadlines
              WHERE kind = ANY(%s) AND met_at IS NULL AND breached_at IS NULL AND cancelled_at IS NULL
              GROUP BY complaint_id) AS running
        WHERE c.id = running.complaint_id
        """,
        [[kind.value for kind in PLATFORM_CLOCKS]],
    )
    cursor.execute(
        f"""
        INSERT INTO complaints_event (complaint_id, sequence, kind, actor_id, actor_label, data, created_at,
                                      prev_hash, hash)
        SELECT complaint_id, sequence, kind, NULL, actor_label, data_text::jsonb, created_at, prev_hash, hash
        FROM ({events_sql}) AS staged
        """  # noqa: S608 - only SQL built by this module is interpolated
    )
    report.events = cursor.rowcount
    cursor.execute(
        """
        INSERT INTO complaints_response (complaint_id, outcome, message, responder_id, api_key_id, delivered_at,
                                         delivery_method, delivery_record, refund_amount, refund_reference,
                                         compensation, rejection_reason, promised_by, created_at)
        SELECT g.id, 'refunded', '已退款', NULL, NULL, NULL, '', '', p.amount, 'RF' || g.id, '', '', NULL,
               g.final_answered_at
        FROM gen g JOIN gen_products p ON p.i = g.product_index WHERE g.final_answered_at IS NOT NULL
        """
    )
    report.responses = cursor.rowcount
    cursor.execute(
        """
        INSERT INTO complaints_evidence (id, complaint_id, party, uploaded_by_id, kind, file, thumbnail,
                                         original_name, size, sha256, content_type, received_at)
        SELECT id, complaint_id, 'consumer', NULL, 'payment_voucher', 'generated/' || id || '.png', '',
               '付款截图.png', 120000, sha256, 'image/png', received_at
        FROM gen_evidence
        """
    )
    report.evidence = cursor.rowcount


@contextmanager
def _indexes_dropped_while_loading(cursor, tables: list[str]):
    """Drop secondary indexes, unique and foreign-key constraints of ``tables``; rebuild them afterwards.

    Building an index once over all rows is several times faster than maintaining it row by row, and a foreign
    key validated once per table beats a trigger per row — the order pg_restore uses.
    """
    # Deferred foreign-key checks of rows written earlier in this transaction must run before any ALTER TABLE.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('f', 'u')",
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
    yield
    cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
    for _name, definition in indexes:
        cursor.execute(definition)
    for table, name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _advance_reference_sequences(cursor) -> None:
    """Later filings continue each year's gap-free reference sequence after the generated ones."""
    cursor.execute("SELECT local_year, count(*) FROM gen GROUP BY local_year")
    for year, count in cursor.fetchall():
        sequence, _created = NumberSequence.objects.get_or_create(scope="complaint", year=year)
        NumberSequence.objects.filter(pk=sequence.pk).update(last_value=models.F("last_value") + count)


def _penalties(rng: random.Random, first_platform: int, count: int, now: datetime) -> int:
    """Penalties for the platforms with the most complaints (the first ranks), decided over the last 300 days.

    Each is numbered in the year it was decided (Asia/Shanghai), in date order, continuing that year's counter:
    early in a year most decisions fall in the one before.
    """
    today = timezone.localtime(now, SHANGHAI).date()
    penalties = []
    for platform_id in range(first_platform, first_platform + count):
        decided = today - timedelta(days=rng.randint(5, 300))
        kind = (PenaltyKind.WARNING, PenaltyKind.FINE, PenaltyKind.RECTIFICATION)[rng.randrange(3)]
        penalties.append(
            Penalty(
                platform_id=platform_id,
                year=decided.year,
                kind=kind,
                fine_amount=Decimal(rng.choice([5000, 10000, 50000])) if kind == PenaltyKind.FINE else None,
                rectification_deadline=decided + timedelta(days=30) if kind == PenaltyKind.RECTIFICATION else None,
                legal_basis="《网络交易监督管理办法》",
                facts="多次未按时处理消费者投诉。",
                decision="依法作出处罚。",
                decided_on=decided,
                appeal_deadline=decided + timedelta(days=60),
            )
        )
    last_values: dict[int, int] = {}
    for penalty in sorted(penalties, key=lambda penalty: (penalty.decided_on, penalty.platform_id)):
        if penalty.year not in last_values:
            sequence, _created = NumberSequence.objects.get_or_create(scope="penalty", year=penalty.year)
            last_values[penalty.year] = sequence.last_value
        last_values[penalty.year] += 1
        penalty.sequence = last_values[penalty.year]
        penalty.number = penalty_number(penalty.year, penalty.sequence)
    Penalty.objects.bulk_create(penalties)
    for year, last_value in last_values.items():
        NumberSequence.objects.filter(scope="penalty", year=year).update(last_value=last_value)
    return len(penalties)
