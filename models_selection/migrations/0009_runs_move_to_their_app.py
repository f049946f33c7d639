"""Job, JobDecision and StageRun now belong to the runs app: their tables stay, only the state moves."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("models_selection", "0008_remove_catalog_prices"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="StageRun"),
                migrations.DeleteModel(name="JobDecision"),
                migrations.DeleteModel(name="Job"),
            ],
            database_operations=[],
        ),
    ]
