"""The price table becomes the only source of prices: the model catalog's own price columns move here.

A catalog model with no row of its own gets one: the seed's (every seed catalog model is now priced in
costs/pricing_seed.py) unless the catalog held another price for it (changed by an administrator), which
is kept (USD, the catalog's currency), rounded to the table's six decimals. A catalog price its provider's
row already gives (Ollama's free models) needs no row. A model already in the table keeps the table's
price, the one runs were charged at. The seed's other missing rows are added too.
"""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone


def _record(Price, PriceChange, row, now):
    Price.objects.create(set_at=now, set_by="", **row)
    after = {k: str(v) for k, v in row.items()}
    PriceChange.objects.create(provider_name=row["provider_name"], model_id=row["model_id"], before=None,
                               after=after, changed_by="", changed_at=now)


def move_catalog_prices(apps, schema_editor):
    from costs.pricing_seed import default_prices

    Price = apps.get_model("costs", "Price")
    PriceChange = apps.get_model("costs", "PriceChange")
    CatalogModel = apps.get_model("models_selection", "CatalogModel")
    now = timezone.now()
    table = {(p.provider_name.lower(), p.model_id.lower()): p for p in Price.objects.all()}
    catalog = {
        (m.provider.lower(), m.model_id.lower()): (m, (_six_places(m.input_price_per_1k),
                                                     _six_places(m.output_price_per_1k)))
        for m in CatalogModel.objects.exclude(input_price_per_1k=None, output_price_per_1k=None)
    }
    for row in default_prices():
        row = {"model_id": "", **row}
        key = (row["provider_name"].lower(), row["model_id"].lower())
        held = catalog.get(key)
        if key in table or (held and held[1] != (row.get("cost_per_1k_input_tokens"),
                                                 row.get("cost_per_1k_output_tokens"))):
            continue  # in the table already, or the catalog's own price is kept below
        _record(Price, PriceChange, row, now)
        table[key] = Price(**row)
    for key, (model, given) in catalog.items():
        if key in table:
            continue
        fallback = table.get((key[0], ""))
        if fallback is not None and fallback.currency == "USD" and (
                fallback.cost_per_1k_input_tokens, fallback.cost_per_1k_output_tokens) == given:
            continue
        row = {"provider_name": model.provider, "model_id": model.model_id, "provider_type": "LLM",
               "cost_per_1k_input_tokens": given[0], "cost_per_1k_output_tokens": given[1],
               "currency": "USD", "source": "model catalog", "notes": "Moved from the model catalog"}
        _record(Price, PriceChange, row, now)
        table[key] = Price(**row)


def _six_places(value):
    return None if value is None else Decimal(value).quantize(Decimal("0.000001"))


class Migration(migrations.Migration):
    dependencies = [
        ("costs", "0008_operation_overrun_and_estimated"),
        ("models_selection", "0006_job_task_heartbeat"),
    ]
    # Before the catalog's price columns are removed.
    run_before = [("models_selection", "0008_remove_catalog_prices")]

    operations = [migrations.RunPython(move_catalog_prices, migrations.RunPython.noop)]
