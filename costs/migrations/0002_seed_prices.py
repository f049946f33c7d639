"""Initial prices (see costs/pricing_seed.py for their sources)."""

from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
    from costs.pricing_seed import default_prices

    Price = apps.get_model("costs", "Price")
    PriceChange = apps.get_model("costs", "PriceChange")
    now = timezone.now()
    for row in default_prices():
        row = {"model_id": "", **row}
        if Price.objects.filter(provider_name=row["provider_name"], model_id=row["model_id"]).exists():
            continue
        Price.objects.create(set_at=now, set_by="", **row)
        after = {k: str(v) for k, v in row.items()}
        PriceChange.objects.create(provider_name=row["provider_name"], model_id=row["model_id"], before=None,
                                   after=after, changed_by="", changed_at=now)


class Migration(migrations.Migration):
    dependencies = [("costs", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
