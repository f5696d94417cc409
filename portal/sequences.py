from django.db import transaction

from .models import NumberSequence


def sequence_next(*, scope: str, year: int) -> int:
    """Take the next number of ``scope`` in ``year``. Must run inside the caller's transaction.

    The counter row stays locked until the caller commits, so numbers are gap-free and unique under
    concurrency; a rolled-back caller leaves no gap.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside transaction.atomic()")
    NumberSequence.objects.get_or_create(scope=scope, year=year)
    sequence = NumberSequence.objects.select_for_update().get(scope=scope, year=year)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return sequence.last_value
