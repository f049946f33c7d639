"""Provider.kind reads its choices from the registry of provider kinds (no migration for a new kind)."""

from django.db import migrations, models

import models_selection.providers.registry


class Migration(migrations.Migration):

    dependencies = [
        ('models_selection', '0006_job_task_heartbeat'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalprovider',
            name='kind',
            field=models.CharField(choices=models_selection.providers.registry.kind_choices, max_length=20),
        ),
        migrations.AlterField(
            model_name='provider',
            name='kind',
            field=models.CharField(choices=models_selection.providers.registry.kind_choices, max_length=20),
        ),
    ]
