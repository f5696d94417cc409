# WebhookEndpoint now belongs to the platforms app (platforms 0008), which keeps its table: the deliveries' foreign
# key points at the same table as before, so both operations change the migration state only.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0010_dossierexport_head_hash'),
        ('platforms', '0008_webhookendpoint'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='webhookdelivery',
                    name='endpoint',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='platforms.webhookendpoint'),
                ),
                migrations.DeleteModel(
                    name='WebhookEndpoint',
                ),
            ],
        ),
    ]
