"""PostgreSQL storage of the daily rollups: room in each page for in-place (HOT) updates.

Every ingest rewrites its rollup rows; with free space in the page the new row version stays there and
the old one is pruned on the next visit, so the table does not grow with the ledger between vacuums.
"""

from django.db import migrations


def tune(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE costs_costrollup SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02)")


def untune(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE costs_costrollup RESET (fillfactor, autovacuum_vacuum_scale_factor)")


class Migration(migrations.Migration):
    dependencies = [("costs", "0004_webhooks_and_forecast_alerts")]
    operations = [migrations.RunPython(tune, untune)]
