# The penalties, the daily statistics and their refresh marker moved here from the platforms app. Their tables keep their names
# (Meta.db_table), so this migration changes the migration state only; platforms 0007 removes them from the
# platforms app's state, and the content types follow the models so permissions keep pointing at them.

import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models

from portal.content_types import move_content_types


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('complaints', '0009_remove_is_generated'),
        ('platforms', '0006_remove_is_generated'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Penalty',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField()),
                        ('sequence', models.PositiveIntegerField()),
                        ('number', models.CharField(max_length=40, unique=True, verbose_name='decision number')),
                        ('kind', models.CharField(choices=[('warning', 'Warning'), ('fine', 'Fine'), ('rectification', 'Rectification order'), ('suspension', 'Suspension of listing'), ('revocation_referral', 'Licence-revocation referral')], max_length=30, verbose_name='kind')),
                        ('fine_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, verbose_name='fine (CNY)')),
                        ('rectification_deadline', models.DateField(blank=True, null=True, verbose_name='rectify by')),
                        ('legal_basis', models.TextField(verbose_name='legal basis')),
                        ('facts', models.TextField(verbose_name='facts')),
                        ('decision', models.TextField(verbose_name='decision')),
                        ('decided_on', models.DateField(verbose_name='decided on')),
                        ('appeal_deadline', models.DateField(verbose_name='appeal by')),
                        ('status', models.CharField(choices=[('issued', 'Issued'), ('appealed', 'Appealed'), ('upheld', 'Upheld on appeal'), ('overturned', 'Overturned'), ('paid', 'Paid'), ('rectified', 'Rectified')], default='issued', max_length=20, verbose_name='status')),
                        ('status_note', models.TextField(blank=True, verbose_name='note on the last status change')),
                        ('status_changed_at', models.DateTimeField(blank=True, null=True, verbose_name='status changed at')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('complaints', models.ManyToManyField(blank=True, related_name='penalties', to='complaints.complaint')),
                        ('issued_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('platform', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='penalties', to='platforms.platform')),
                    ],
                    options={
                        'verbose_name': 'penalty',
                        'verbose_name_plural': 'penalties',
                        'db_table': 'platforms_penalty',
                        'ordering': ['-decided_on', '-sequence'],
                        'indexes': [models.Index(fields=['platform', 'decided_on'], name='platforms_p_platfor_322c6a_idx')],
                        'constraints': [models.UniqueConstraint(fields=('year', 'sequence'), name='penalty_year_sequence'), models.CheckConstraint(condition=models.Q(models.Q(('kind', 'fine'), _negated=True), ('fine_amount__gt', 0), _connector='OR'), name='penalty_fine_has_amount')],
                    },
                ),
                migrations.CreateModel(
                    name='PlatformDailyStats',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField(verbose_name='filing date')),
                        ('complaints', models.PositiveIntegerField(default=0)),
                        ('upheld', models.PositiveIntegerField(default=0)),
                        ('overdue', models.PositiveIntegerField(default=0)),
                        ('final_answers', models.PositiveIntegerField(default=0)),
                        ('accepted', models.PositiveIntegerField(default=0)),
                        ('rating_sum', models.PositiveIntegerField(default=0)),
                        ('rating_count', models.PositiveIntegerField(default=0)),
                        ('compensation_breaches', models.PositiveIntegerField(default=0)),
                        ('first_response_on_time', models.PositiveIntegerField(default=0)),
                        ('first_response_decided', models.PositiveIntegerField(default=0)),
                        ('resolution_on_time', models.PositiveIntegerField(default=0)),
                        ('resolution_decided', models.PositiveIntegerField(default=0)),
                        ('platform', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='platforms.platform')),
                    ],
                    options={
                        'verbose_name': 'daily platform statistics',
                        'verbose_name_plural': 'daily platform statistics',
                        'db_table': 'platforms_platformdailystats',
                        'indexes': [models.Index(fields=['day', 'platform'], name='daily_stats_day_platform')],
                        'constraints': [models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('platform', models.Value(0)), models.F('day'), name='daily_stats_platform_day')],
                    },
                ),
                migrations.CreateModel(
                    name='DailyStatsRefresh',
                    fields=[
                        ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                        ('refreshed_at', models.DateTimeField(verbose_name='refreshed at')),
                        ('covers_from', models.DateField(verbose_name='holds every filing day from')),
                        ('generation', models.BigIntegerField()),
                    ],
                    options={
                        'verbose_name': 'daily statistics refresh',
                        'verbose_name_plural': 'daily statistics refreshes',
                        'db_table': 'platforms_dailystatsrefresh',
                        'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='daily_stats_refresh_single_row')],
                    },
                ),
            ],
        ),
        move_content_types('platforms', 'regulation', 'penalty', 'platformdailystats', 'dailystatsrefresh'),
    ]
