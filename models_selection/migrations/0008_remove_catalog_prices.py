"""Prices live in the price table only (costs.Price, read through aura_site.pricing_seam): the catalog's
own price columns go, after costs' migration 0009 has moved what they held."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("models_selection", "0007_provider_kind_choices_from_registry")]

    operations = [
        migrations.RemoveField(model_name="catalogmodel", name="input_price_per_1k"),
        migrations.RemoveField(model_name="catalogmodel", name="output_price_per_1k"),
    ]
