"""Seed the providers and the model catalog from data/catalog.json (prices from genai-prices)."""

from django.db import migrations


def seed(apps, schema_editor):
    from models_selection.catalog_data import catalog_entries

    Provider = apps.get_model("models_selection", "Provider")
    CatalogModel = apps.get_model("models_selection", "CatalogModel")
    SelectionSettings = apps.get_model("models_selection", "SelectionSettings")
    entries = catalog_entries()
    for provider in entries["providers"]:
        Provider.objects.update_or_create(name=provider["name"], defaults=provider)
    for model in entries["models"]:
        CatalogModel.objects.update_or_create(
            provider=model["provider"], model_id=model["model_id"], defaults=model
        )
    SelectionSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("models_selection", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
