# The e-mail outbox moved down to the portal app (portal 0003), which keeps its table. The portal app may not
# point at complaints, so the complaint becomes a plain indexed complaint_id column: the same column and index,
# without the foreign-key constraint, which this migration drops; the model then leaves this app's state.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0011_webhook_endpoint_to_platforms'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outboxmessage',
            name='complaint',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='complaints.complaint'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='OutboxMessage'),
            ],
        ),
    ]
