import django.db.models.deletion
from django.db import migrations, models


def assign_default_office(apps, schema_editor):
    """Decisions issued before offices existed keep their numbers and become the national office's (the default
    authority the portal issued them as); its series continues from their counters. The rollup's rows join the
    national office too, as every existing complaint did (complaints 0013): they stay equal to a direct count."""
    Office = apps.get_model("portal", "Office")
    Penalty = apps.get_model("regulation", "Penalty")
    NumberSequence = apps.get_model("portal", "NumberSequence")
    PlatformDailyStats = apps.get_model("regulation", "PlatformDailyStats")
    national = Office.objects.filter(parent__isnull=True).order_by("pk").first()
    if national is not None:
        Penalty.objects.filter(office__isnull=True).update(office=national)
        NumberSequence.objects.filter(scope="penalty").update(scope=f"penalty:{national.pk}")
        PlatformDailyStats.objects.filter(office__isnull=True).update(office=national)
    elif Penalty.objects.exists():
        raise RuntimeError("Penalties exist but no national office does: run portal's office migration first.")


def restore_global_series(apps, schema_editor):
    NumberSequence = apps.get_model("portal", "NumberSequence")
    Office = apps.get_model("portal", "Office")
    national = Office.objects.filter(parent__isnull=True).order_by("pk").first()
    if national is not None:
        NumberSequence.objects.filter(scope=f"penalty:{national.pk}").update(scope="penalty")


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0004_offices'),
        ('regulation', '0004_verbose_names'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='penalty',
            name='penalty_year_sequence',
        ),
        migrations.RemoveConstraint(
            model_name='platformdailystats',
            name='daily_stats_platform_day',
        ),
        migrations.AddField(
            model_name='penalty',
            name='office',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='penalties', to='portal.office', verbose_name='issuing office'),
        ),
        migrations.AddField(
            model_name='platformdailystats',
            name='office',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portal.office'),
        ),
        migrations.RunPython(assign_default_office, restore_global_series),
    ]
