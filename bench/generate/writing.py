"""Copying the staged rows into the application's tables, with their indexes and constraints dropped meanwhile."""

from contextlib import contextmanager

from complaints.models import PLATFORM_CLOCKS

INSERT_COMPLAINTS_SQL = """
    INSERT INTO complaints_complaint (
        id, reference, consumer_id, platform_id, unregistered_platform_name, unregistered_platform_url,
        order_number, paid_at, amount, payment_channel, payment_reference, product_name, problem,
        platform_order_status, description, desired_outcome, support_agent_id, support_contacted_at,
        support_promise, support_promised_by, status, finding, finding_note, is_overdue, compensation_breach,
        assigned_to_id, rating, dispute_reason, accepted_automatically, publish_consent, public_narrative,
        created_at, updated_at, forwarded_at, first_answered_at, final_answered_at, escalated_at, closed_at,
        event_count, last_event_hash, office_id, first_received_by_id, office_since)
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
           last.sequence, last.hash, office.id, office.id, g.created_at
    FROM gen g
    JOIN gen_products p ON p.i = g.product_index
    -- Routed as filing routes (Order 121 Art. 13): the office of the platform's domicile.
    JOIN platforms_platform platform ON platform.id = g.platform_id
    LEFT JOIN portal_office office ON office.division_code = platform.domicile_code
    LEFT JOIN gen_overdue o ON o.complaint_id = g.id
    JOIN (SELECT DISTINCT ON (complaint_id) complaint_id, sequence, hash FROM ({events_sql}) AS staged
          ORDER BY complaint_id, sequence DESC) AS last ON last.complaint_id = g.id
"""

INSERT_DEADLINES_SQL = """
    INSERT INTO complaints_deadline (complaint_id, kind, started_at, due_at, met_at, breached_at, reminded_at,
                                     paused_at, paused_seconds, cancelled_at, explanation)
    SELECT complaint_id, kind, started_at, due_at, met_at, breached_at, NULL, NULL, 0, cancelled_at,
           '{"unit": "generated", "note": "load data: calendar-day approximation"}'::jsonb
    FROM gen_deadlines
"""

# Complaint.platform_due_at (the inbox order, complaints.deadlines.sync_platform_due): only the few complaints
# with a running platform clock get one. Generated clocks are never paused.
SET_PLATFORM_DUE_SQL = """
    UPDATE complaints_complaint c SET platform_due_at = running.due_at
    FROM (SELECT complaint_id, min(due_at) AS due_at FROM gen_deadlines
          WHERE kind = ANY(%s) AND met_at IS NULL AND breached_at IS NULL AND cancelled_at IS NULL
          GROUP BY complaint_id) AS running
    WHERE c.id = running.complaint_id
"""

INSERT_EVENTS_SQL = """
    INSERT INTO complaints_event (complaint_id, sequence, kind, actor_id, actor_label, data, created_at,
                                  prev_hash, hash)
    SELECT complaint_id, sequence, kind, NULL, actor_label, data_text::jsonb, created_at, prev_hash, hash
    FROM ({events_sql}) AS staged
"""

INSERT_RESPONSES_SQL = """
    INSERT INTO complaints_response (complaint_id, outcome, message, responder_id, api_key_id, delivered_at,
                                     delivery_method, delivery_record, refund_amount, refund_reference,
                                     compensation, rejection_reason, promised_by, created_at)
    SELECT g.id, 'refunded', '已退款', NULL, NULL, NULL, '', '', p.amount, 'RF' || g.id, '', '', NULL,
           g.final_answered_at
    FROM gen g JOIN gen_products p ON p.i = g.product_index WHERE g.final_answered_at IS NOT NULL
"""

INSERT_EVIDENCE_SQL = """
    INSERT INTO complaints_evidence (id, complaint_id, party, uploaded_by_id, kind, file, thumbnail,
                                     original_name, size, sha256, content_type, received_at)
    SELECT id, complaint_id, 'consumer', NULL, 'payment_voucher', 'generated/' || id || '.png', '',
           '付款截图.png', 120000, sha256, 'image/png', received_at
    FROM gen_evidence
"""


def write_staged(cursor, report, events_sql: str) -> None:
    """Insert every staged row; ``report`` receives the counts. ``events_sql`` selects the staged events."""
    report.complaints = _run(cursor, INSERT_COMPLAINTS_SQL.format(events_sql=events_sql))
    report.deadlines = _run(cursor, INSERT_DEADLINES_SQL)
    _run(cursor, SET_PLATFORM_DUE_SQL, [[kind.value for kind in PLATFORM_CLOCKS]])
    report.events = _run(cursor, INSERT_EVENTS_SQL.format(events_sql=events_sql))
    report.responses = _run(cursor, INSERT_RESPONSES_SQL)
    report.evidence = _run(cursor, INSERT_EVIDENCE_SQL)


def _run(cursor, sql: str, params=None) -> int:
    cursor.execute(sql, params)
    return cursor.rowcount


@contextmanager
def indexes_dropped_while_loading(cursor, tables: list[str]):
    """Drop secondary indexes, unique and foreign-key constraints of ``tables``; rebuild them afterwards.

    Building an index once over all rows is several times faster than maintaining it row by row, and a foreign
    key validated once per table beats a trigger per row — the order pg_restore uses.
    """
    # Deferred foreign-key checks of rows written earlier in this transaction must run before any ALTER TABLE.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    constraints, indexes = _constraints_and_indexes(cursor, tables)
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


def _constraints_and_indexes(cursor, tables: list[str]) -> tuple[list[tuple], list[tuple]]:
    """(table, name, definition) of the foreign-key and unique constraints; (name, definition) of the other
    non-primary indexes."""
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
    return constraints, cursor.fetchall()
