# OutboxMessage moved here from the complaints app (complaints 0012 dropped its foreign-key constraint). Its table
# keeps the name complaints_outboxmessage and complaint_id is the same bigint column with the same index: this
# changes the migration state only, and the content type follows the model.

from django.db import migrations, models

from portal.content_types import move_content_types


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0002_user_manager'),
        ('complaints', '0012_outbox_to_portal'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OutboxMessage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('template', models.CharField(max_length=60)),
                        ('recipients', models.JSONField()),
                        ('context', models.JSONField(default=dict)),
                        ('language', models.CharField(default='zh-hans', max_length=10)),
                        ('complaint_id', models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('last_error', models.TextField(blank=True)),
                    ],
                    options={
                        'db_table': 'complaints_outboxmessage',
                        'ordering': ['created_at'],
                        'indexes': [models.Index(condition=models.Q(('sent_at__isnull', True)), fields=['created_at'], name='outbox_unsent')],
                    },
                ),
            ],
        ),
        move_content_types('complaints', 'portal', 'outboxmessage'),
    ]
