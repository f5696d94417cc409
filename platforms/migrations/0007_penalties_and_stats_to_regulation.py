# Penalty, PlatformDailyStats and DailyStatsRefresh now belong to the regulation app (regulation 0001), which keeps their tables:
# they leave this app's migration state only, and no table is dropped.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('platforms', '0006_remove_is_generated'),
        ('regulation', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Penalty'),
                migrations.DeleteModel(name='PlatformDailyStats'),
                migrations.DeleteModel(name='DailyStatsRefresh'),
            ],
        ),
    ]
