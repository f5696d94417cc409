from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0020_verbose_names'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(fields=['office', 'status', '-created_at'], name='complaint_office_status'),
        ),
    ]
