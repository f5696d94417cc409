"""Does the database have every index and constraint the models declare? Numbers taken without them mislead.

A bulk load that drops indexes to write faster and is interrupted before rebuilding them leaves exactly such
a database behind; ``--repair-schema`` creates what is missing (the models' own definitions, nothing else).
"""

from django.apps import apps
from django.db import connection

APPS = ("portal", "platforms", "complaints")


def _present_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "UNION SELECT conname FROM pg_constraint"
        )
        return {row[0] for row in cursor.fetchall()}


def missing_schema_objects() -> list[tuple[type, object]]:
    """(model, index or constraint) pairs declared in Meta but absent from the database (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return []
    present = _present_names()
    missing = []
    for app_label in APPS:
        for model in apps.get_app_config(app_label).get_models():
            for declared in [*model._meta.indexes, *model._meta.constraints]:
                if declared.name not in present:
                    missing.append((model, declared))
    return missing


def describe(missing: list[tuple[type, object]]) -> str:
    return ", ".join(f"{model._meta.db_table}.{declared.name}" for model, declared in missing)


def repair(missing: list[tuple[type, object]]) -> None:
    with connection.schema_editor() as editor:
        for model, declared in missing:
            if declared in model._meta.indexes:
                editor.add_index(model, declared)
            else:
                editor.add_constraint(model, declared)
