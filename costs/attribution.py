"""Who spent it: the user and API token an operation is recorded against."""

from __future__ import annotations

from typing import Any

from aura_site.lookups import ask


def attribute_operations(operations: list[dict[str, Any]], *, user=None, api_token=None) -> list[dict[str, Any]]:
    """The operations with `user_id` and `api_token_id` set.

    The caller's user (signed in, or owning the token) is recorded; without a caller (a run's stages
    metered by the worker) an operation of a run is charged to the run's creator.
    """
    user_id = getattr(user, "pk", None) if user is not None and user.is_authenticated else None
    token_id = getattr(api_token, "pk", None)
    creators: dict[str, int] = {}
    if user_id is None:
        job_ids = {op["job_id"] for op in operations if op.get("job_id")}
        if job_ids:
            creators = ask("job_creators", job_ids=job_ids)
    return [{**op, "user_id": user_id if user_id is not None else creators.get(op.get("job_id") or ""),
             "api_token_id": token_id} for op in operations]
