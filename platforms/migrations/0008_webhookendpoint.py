# WebhookEndpoint moved here from the complaints app (a platform's registry, like its API keys). Its table keeps the
# name complaints_webhookendpoint (Meta.db_table): this changes the migration state only, complaints 0011 removes
# the model from the complaints app's state, and the content type follows the model.

import django.db.models.deletion
from django.db import migrations, models

from portal.content_types import move_content_types


class Migration(migrations.Migration):

    dependencies = [
        ('platforms', '0007_penalties_and_stats_to_regulation'),
        ('complaints', '0009_remove_is_generated'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WebhookEndpoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('url', models.URLField(max_length=500, verbose_name='URL')),
                        ('secret', models.CharField(editable=False, max_length=64)),
                        ('events', models.JSONField(default=list, verbose_name='events')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('platform', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhooks', to='platforms.platform')),
                    ],
                    options={
                        'verbose_name': 'webhook',
                        'verbose_name_plural': 'webhooks',
                        'db_table': 'complaints_webhookendpoint',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
        ),
        move_content_types('complaints', 'platforms', 'webhookendpoint'),
    ]
