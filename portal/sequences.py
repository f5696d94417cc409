from django.db import connection, transaction

from .models import NumberSequence


def sequence_next(*, scope: str, year: int) -> int:
    """Take the next number of ``scope`` in ``year``. Must run inside the caller's transaction.

    One upsert increments the counter and returns it; the row stays locked until the caller commits, so numbers
    are unique under concurrency, and a rolled-back caller gives its number back (gap-free).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside transaction.atomic()")
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, year, last_value) VALUES (%s, %s, 1) "  # noqa: S608 - the model's table
            f"ON CONFLICT (scope, year) DO UPDATE SET last_value = {table}.last_value + 1 RETURNING last_value",
            [scope, year],
        )
        return cursor.fetchone()[0]
