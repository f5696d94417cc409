"""Moving a model to another app without losing its content type, so permissions keep pointing at it.

A model moved with ``SeparateDatabaseAndState`` keeps its table, but its ``django_content_type`` row still names
the old app: ``user.has_perm("<new app>.add_<model>")`` would be False and ``post_migrate`` would add a second,
empty content type. ``move_content_types`` is the migration operation that renames the row instead.
"""

from django.db import migrations


def _move(apps, schema_editor, from_app: str, to_app: str, models: tuple[str, ...]) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for model in models:
        old = ContentType.objects.using(db).filter(app_label=from_app, model=model).first()
        if old is None:  # a new database: post_migrate creates the content type under the new app
            continue
        new = ContentType.objects.using(db).filter(app_label=to_app, model=model).first()
        if new is None:
            old.app_label = to_app
            old.save(update_fields=["app_label"])
            continue
        # Both exist (post_migrate of an earlier, partial run created the new one): keep the new one and give it
        # every grant the old one had.
        for permission in Permission.objects.using(db).filter(content_type=old):
            twin = Permission.objects.using(db).filter(content_type=new, codename=permission.codename).first()
            if twin is None:
                permission.content_type = new
                permission.save(update_fields=["content_type"])
                continue
            twin.group_set.add(*permission.group_set.all())
            twin.user_set.add(*permission.user_set.all())
            permission.delete()
        old.delete()


def move_content_types(from_app: str, to_app: str, *models: str) -> migrations.RunPython:
    """A reversible RunPython that moves the content types of ``models`` (lower-case names) between apps."""
    return migrations.RunPython(
        lambda apps, schema_editor: _move(apps, schema_editor, from_app, to_app, models),
        lambda apps, schema_editor: _move(apps, schema_editor, to_app, from_app, models),
        elidable=False,
    )
