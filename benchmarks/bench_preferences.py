"""Import of 10k audience profiles <= 3x a bare bulk_create; export <= 3x values() + json.dumps."""

from __future__ import annotations

import json
import time
import uuid

from benchmarks.harness import Harness, main


def run(h: Harness) -> None:
    from preferences import services
    from preferences.models import CustomAudienceProfile

    n = h.size("profiles")
    items = [{"id": str(uuid.uuid4()), "name": f"Imported {i}", "minAge": 20, "maxAge": 40}
             for i in range(n)]
    document = json.dumps({"version": "1.0", "audienceProfiles": items})
    ours, bare = [], []
    for _ in range(max(1, min(3, h.rounds))):
        CustomAudienceProfile.objects.filter(name__startswith="Imported").delete()
        started = time.perf_counter()
        services.preferences_import(json_data=document, mode="merge")
        ours.append(time.perf_counter() - started)
        CustomAudienceProfile.objects.filter(name__startswith="Imported").delete()
        started = time.perf_counter()
        CustomAudienceProfile.objects.bulk_create(
            [CustomAudienceProfile(name=i["name"], min_age=20, max_age=40) for i in items], batch_size=500)
        bare.append(time.perf_counter() - started)
    h.report("preferences_import_vs_bulk_create", sorted(ours)[len(ours) // 2], sorted(bare)[len(bare) // 2],
             most=3.0, rows=n)
    exports, dumps = [], []
    for _ in range(max(1, h.rounds)):
        started = time.perf_counter()
        json.dumps(services.preferences_export(), default=str)
        exports.append(time.perf_counter() - started)
        started = time.perf_counter()
        json.dumps(list(CustomAudienceProfile.objects.order_by("name").values()), default=str)
        dumps.append(time.perf_counter() - started)
    h.report("preferences_export_vs_values_json", sorted(exports)[len(exports) // 2],
             sorted(dumps)[len(dumps) // 2], most=3.0, rows=CustomAudienceProfile.objects.count())


if __name__ == "__main__":
    main(run)
