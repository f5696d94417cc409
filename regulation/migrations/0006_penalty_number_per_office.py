import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    """Every decision now has its office (0003), numbered in that office's series: the uniqueness moves from the
    year to the office and year, and the rollup holds one row per platform, office and day."""

    dependencies = [
        ('regulation', '0005_penalty_office'),
    ]

    operations = [
        migrations.AlterField(
            model_name='penalty',
            name='office',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='penalties', to='portal.office', verbose_name='issuing office'),
        ),
        migrations.AlterField(
            model_name='penalty',
            name='number',
            field=models.CharField(max_length=60, verbose_name='decision number'),
        ),
        migrations.AddIndex(
            model_name='penalty',
            index=models.Index(fields=['office', '-decided_on'], name='penalty_office_recent'),
        ),
        migrations.AddIndex(
            model_name='platformdailystats',
            index=models.Index(fields=['office', 'day'], name='daily_stats_office_day'),
        ),
        migrations.AddConstraint(
            model_name='penalty',
            constraint=models.UniqueConstraint(fields=('office', 'year', 'sequence'), name='penalty_office_year_sequence'),
        ),
        migrations.AddConstraint(
            model_name='penalty',
            constraint=models.UniqueConstraint(fields=('office', 'number'), name='penalty_office_number'),
        ),
        migrations.AddConstraint(
            model_name='platformdailystats',
            constraint=models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('platform', models.Value(0)), django.db.models.functions.comparison.Coalesce('office', models.Value(0)), models.F('day'), name='daily_stats_platform_office_day'),
        ),
    ]
