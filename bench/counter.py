"""How long a filing holds the gap-free reference counter, and so how many filings one counter can serialise.

The counter row is locked from the upsert that takes the number until the filing commits: concurrent filings of
the same year queue there and nowhere else. Filings go through ``complaint_file`` in-process; the time from the
upsert's return to the end of the commit is recorded for each, and the complaints are deleted afterwards.
"""

import time
import uuid
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from complaints.services import complaint_file
from portal.models import NumberSequence

from .actors import Actors
from .filing import delete_filed
from .measure import percentile

COUNTER_TABLE = NumberSequence._meta.db_table
DISCARD_EMAIL = "django.core.mail.backends.dummy.EmailBackend"


def measure_hold(actors: Actors, *, filings: int = 50) -> dict[str, float]:
    """Milliseconds the counter row stays locked per filing: p50, p99, max, and the resulting ceiling."""
    holds: list[float] = []

    def note_number_taken(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith(f"INSERT INTO {connection.ops.quote_name(COUNTER_TABLE)}"):
            taken = time.perf_counter()
            # Registered now, it runs first after the commit, before the e-mail tasks the filing queued.
            transaction.on_commit(lambda: holds.append((time.perf_counter() - taken) * 1000))
        return result

    run_id = uuid.uuid4().hex[:8]
    # Without a broker the e-mail tasks run inline after each commit: they would only print here.
    try:
        with connection.execute_wrapper(note_number_taken), override_settings(EMAIL_BACKEND=DISCARD_EMAIL):
            for number in range(filings):
                complaint_file(consumer=actors.filer, data=_filing(actors, f"counter-{run_id}-{number}"))
    finally:
        delete_filed(actors.filer.pk)
    p50 = percentile(holds, 0.5)
    return {
        "filings": len(holds),
        "p50_ms": p50,
        "p99_ms": percentile(holds, 0.99),
        "max_ms": max(holds),
        "ceiling_per_second": 1000 / p50,
    }


def _filing(actors: Actors, order_number: str) -> dict:
    return {
        "platform": actors.platform,
        "order_number": order_number,
        "paid_at": timezone.now() - timedelta(hours=3),
        "amount": Decimal("648.00"),
        "payment_channel": "alipay",
        "payment_reference": f"2026{uuid.uuid4().int % 10**12:012d}",
        "product_name": "王者荣耀 648 点券",
        "problem": "card_key_missing",
        "platform_order_status": "awaiting_delivery",
        "description": "付款后一直待发货，客服无回应。",
        "desired_outcome": "delivery",
    }
