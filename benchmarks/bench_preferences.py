"""Import of 10k audience profiles <= 3x a bare bulk_create; the export (GET /api/user-preferences/export)
and a 1,000-item list page (the largest a list serves) <= 3x `values()` + `json.dumps` of the same rows."""

from __future__ import annotations

import json
import time
import uuid

from benchmarks.harness import Harness, api_user_token, main, paired_medians


def run(h: Harness) -> None:
    from django.test import Client

    from preferences import transfer
    from preferences.models import CustomAudienceProfile

    n = h.size("profiles")
    items = [{"id": str(uuid.uuid4()), "name": f"Imported {i}", "minAge": 20, "maxAge": 40}
             for i in range(n)]
    document = json.dumps({"version": "1.0", "audienceProfiles": items})
    ours, bare = [], []
    for _ in range(max(1, min(3, h.rounds))):
        CustomAudienceProfile.objects.filter(name__startswith="Imported").delete()
        started = time.perf_counter()
        transfer.preferences_import(json_data=document, mode="merge")
        ours.append(time.perf_counter() - started)
        CustomAudienceProfile.objects.filter(name__startswith="Imported").delete()
        started = time.perf_counter()
        CustomAudienceProfile.objects.bulk_create(
            [CustomAudienceProfile(name=i["name"], min_age=20, max_age=40) for i in items], batch_size=500)
        bare.append(time.perf_counter() - started)
    h.report("preferences_import_vs_bulk_create", sorted(ours)[len(ours) // 2], sorted(bare)[len(bare) // 2],
             most=3.0, rows=n)
    client = Client(SERVER_NAME="localhost", headers={"Authorization": f"Bearer {api_user_token()}"})

    def get(path: str, **params: object) -> bytes:
        response = client.get(f"/api/user-preferences/{path}", params)
        assert response.status_code == 200, response.content[:300]
        return response.content

    profiles = CustomAudienceProfile.objects.order_by("name")
    rounds = max(1, h.rounds)
    export, baseline = paired_medians(lambda: get("export"),
                                      lambda: json.dumps(list(profiles.values()), default=str), rounds)
    h.report("preferences_export_vs_values_json", export, baseline, most=3.0, rows=profiles.count())
    page_size = min(1000, n)
    page, baseline = paired_medians(
        lambda: get("audience-profiles", limit=page_size, offset=n // 2),
        lambda: json.dumps(list(profiles.order_by("-is_preset", "name")[n // 2:n // 2 + page_size].values()),
                           default=str), rounds)
    h.report("preferences_list_page_vs_values_json", page, baseline, most=3.0, rows=page_size)


if __name__ == "__main__":
    main(run)
