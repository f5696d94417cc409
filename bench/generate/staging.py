"""Staging tables: PostgreSQL builds every generated row in temporary tables (dropped on commit) from a seeded
``random()``, so nothing is written to the real tables before the whole history is consistent.
"""

import json
from datetime import datetime
from decimal import Decimal

from complaints.models import Complaint, Evidence
from portal.models import NumberSequence, User

from .marks import CONSUMER_USERNAME_PREFIX, PLATFORM_SLUG_PREFIX
from .rows import next_id

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

INSERT_CONSUMERS_SQL = """
    INSERT INTO portal_user (id, password, last_login, is_superuser, username, first_name, last_name, email,
                             is_staff, is_active, date_joined, role, platform_id, staff_role, phone,
                             preferred_language)
    SELECT %(first)s + g - 1, '!generated', NULL, false, %(prefix)s || (%(first)s + g - 1), '', '',
           %(prefix)s || (%(first)s + g - 1) || '@example.cn', false, true,
           %(now)s - random() * interval '900 days', 'consumer', NULL, '', '', 'zh-hans'
    FROM generate_series(1, %(count)s) AS g
"""


def insert_consumers(cursor, count: int, now: datetime) -> tuple[int, int]:
    """Consumers without a usable password, named with the reserved prefix; returns (first id, count)."""
    first_id = next_id(User)
    cursor.execute(
        INSERT_CONSUMERS_SQL, {"first": first_id, "count": count, "now": now, "prefix": CONSUMER_USERNAME_PREFIX}
    )
    return first_id, count


STAGE_RAW_COMPLAINTS_SQL = """
    CREATE TEMP TABLE gen_raw ON COMMIT DROP AS
    SELECT g AS n,
           %(now)s - interval '730 days' * power(random(), 0.8) AS created_at,
           random() AS r_platform, random() AS r_consumer, random() AS r_status, random() AS r_product,
           random() AS r_channel, random() AS r_answered, random() AS r_final, random() AS r_rating,
           random() AS r_evidence, random() AS r_breach, random() AS r_order_status,
           -- log-normal hours to first response (median ~9 h, a long tail past 24 h)
           exp(2.2 + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS first_response_hours
    FROM generate_series(1, %(count)s) AS g
"""

# Statuses by age (recent complaints are still open), findings for closed ones, the answer times; then the
# reference (continuing each year's sequence), a Zipf-skewed platform, a consumer, a product and the dates.
STAGE_COMPLAINTS_SQL = """
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
"""


def stage_complaints(cursor, count: int, *, platforms: range, consumers: range, now: datetime) -> None:
    """Stage the complaints in a temporary table: dates over two years, Zipf-skewed platforms, every status."""
    sequences = dict(NumberSequence.objects.filter(scope="complaint").values_list("year", "last_value"))
    cursor.execute(STAGE_RAW_COMPLAINTS_SQL, {"now": now, "count": count})
    cursor.execute(
        STAGE_COMPLAINTS_SQL,
        {
            "now": now,
            "first_complaint": next_id(Complaint),
            "sequences": json.dumps(sequences),
            "first_platform": platforms.start,
            "platforms": len(platforms),
            "first_consumer": consumers.start,
            "consumers": len(consumers),
        },
    )
    cursor.execute("CREATE TEMP TABLE gen_products (i int, product text, problem text, amount numeric) ON COMMIT DROP")
    cursor.executemany(
        "INSERT INTO gen_products VALUES (%s, %s, %s, %s)",
        [(i + 1, p, q, Decimal(a)) for i, (p, q, a) in enumerate(PRODUCTS)],
    )


# Every clock a complaint of that status would have, met, missed or cancelled consistently with it.
STAGE_DEADLINES_SQL = """
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
"""


def stage_deadlines(cursor, now: datetime) -> None:
    cursor.execute(STAGE_DEADLINES_SQL, {"now": now})
    cursor.execute(
        "CREATE TEMP TABLE gen_overdue ON COMMIT DROP AS SELECT DISTINCT complaint_id FROM gen_deadlines "
        "WHERE kind IN ('first_response', 'resolution', 'hard_limit') AND breached_at IS NOT NULL"
    )


def stage_evidence(cursor) -> None:
    """One payment voucher (a row without a file body) for about half the complaints."""
    cursor.execute(
        """
        CREATE TEMP TABLE gen_evidence ON COMMIT DROP AS
        SELECT %s + row_number() OVER (ORDER BY id) - 1 AS id, id AS complaint_id, created_at AS received_at,
               encode(sha256(convert_to(id::text, 'UTF8')), 'hex') AS sha256
        FROM gen WHERE r_evidence < 0.5
        """,
        [next_id(Evidence)],
    )


# Two to five events per complaint, in order; the forwarded event names the platform by its slug.
STAGE_TIMELINE_SQL = """
    CREATE TEMP TABLE gen_timeline ON COMMIT DROP AS
    WITH timeline AS (
        SELECT id, reference, 1 AS ordinal, 'filed' AS kind, 'consumer:load' AS actor_label, created_at,
               '{"order_number":"LD' || lpad(id::text, 10, '0') || '"}' AS data_text FROM gen
        UNION ALL
        SELECT id, reference, 2, 'forwarded', 'system', created_at,
               '{"platform":"' || %(slug_prefix)s || lpad(platform_id::text, 5, '0') || '"}' FROM gen
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

# The canonical event of complaints.events.canonical_event, spelled in SQL: sorted keys, no spaces, UTC time
# with microseconds. Keep the two in step; tests verify generated chains with the application's verifier.
CANONICAL_EVENT_SQL = """
    '{"actor":' || to_json(e.actor_label)::text || ',"complaint":' || to_json(e.reference)::text
    || ',"created_at":"' || to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00"'
    || ',"data":' || e.data_text || ',"kind":"' || e.kind || '","sequence":' || e.sequence || '}'
"""


def stage_events(cursor) -> str:
    """Timelines hashed level by level (each event's hash needs the previous one's).

    Returns the SQL that selects all staged events.
    """
    cursor.execute(STAGE_TIMELINE_SQL, {"slug_prefix": PLATFORM_SLUG_PREFIX})
    cursor.execute("SELECT max(sequence) FROM gen_timeline")
    deepest = cursor.fetchone()[0] or 0
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
    # a union of this module's staging tables
    return " UNION ALL ".join(f"SELECT * FROM gen_events_{level}" for level in range(1, deepest + 1))  # noqa: S608
