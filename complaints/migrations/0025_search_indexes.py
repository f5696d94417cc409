"""Indexes for the text search of the complaint lists (complaints/search.py), on PostgreSQL only.

- ``complaint_order_number_prefix`` and ``complaint_payment_ref_prefix``: btree with ``varchar_pattern_ops``, so
  that ``LIKE 'prefix%'`` is an index range whatever the database's collation (the plain index on the order
  number answers ``=`` only, outside the C collation). The reference needs none: Django gave its unique column a
  ``_like`` index of the same kind.
- ``complaint_product_trgm`` and ``complaint_unregistered_name_trgm``: GIN trigram indexes (``pg_trgm``) over
  ``UPPER(column)``, the expression Django's ``icontains`` compares, so a word anywhere in the product name (or
  in a platform name typed by the consumer) is found without reading every complaint.

They are created concurrently (the migration is not atomic), so filing goes on while they are built. SQLite has
none of this: the same lookups scan its small tables, and this migration does nothing there.
"""

from django.db import migrations

INDEXES = {
    "complaint_order_number_prefix": "(order_number varchar_pattern_ops)",
    "complaint_payment_ref_prefix": "(payment_reference varchar_pattern_ops)",
    "complaint_product_trgm": "USING gin ((UPPER(product_name::text)) gin_trgm_ops)",
    "complaint_unregistered_name_trgm": "USING gin ((UPPER(unregistered_platform_name::text)) gin_trgm_ops)",
}


def create_trigram_extension(apps, schema_editor):
    # Not TrigramExtension(): its reverse asks pg_extension on every database, so unapplying this on SQLite
    # failed. Unapplied, the extension stays: other indexes of the database may use it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON complaints_complaint {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('complaints', '0024_message_thread'),
    ]

    operations = [
        # Does nothing on other databases. pg_trgm is a trusted extension: the database's owner may create it.
        migrations.RunPython(create_trigram_extension, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
