"""Idempotency keys of the ledger: a key sent again is a retry only when it repeats the same operation."""

from __future__ import annotations

from pydantic.alias_generators import to_camel

from aura_site.errors import Conflict, FieldError

from .models import CostOperation

# The ledger columns an operation's body sets. A key sent again with any of them different is another
# operation under a used key, not a retry. The time counts when the repeat sends one (without one, it is
# "now"); a cost computed from the prices is not compared, since prices may have changed in between.
_PAYLOAD_FIELDS = ("job_id", "project_id", "stage", "provider", "model", "input_tokens", "output_tokens",
                   "characters", "images", "seconds", "cache_hit")


def _payload_differences(repeat: CostOperation, first: CostOperation, *, timed: bool) -> list[str]:
    """The body fields (camelCase) in which a repeated operation differs from the first one with its key."""
    names = [to_camel(name) for name in _PAYLOAD_FIELDS if getattr(repeat, name) != getattr(first, name)]
    if repeat.cost_source != first.cost_source or (repeat.cost_source != "priced" and repeat.cost != first.cost):
        names.append("cost")
    if timed and repeat.timestamp != first.timestamp:
        names.append("timestamp")
    return names


def refuse_reused_keys(batch_rows: list[tuple[CostOperation, bool]], inserted: set[str]) -> None:
    """409 for a key sent again with a different operation (recorded before, or earlier in the batch).

    `batch_rows` are the batch's ledger rows in order, each with whether its body gave a timestamp. An
    identical repeat stays an acknowledged duplicate. Reads the ledger only when a key repeats.
    """
    first: dict[str, CostOperation] = {}
    repeats = []
    for index, (row, timed) in enumerate(batch_rows):
        key = row.idempotency_key
        if key in first or key not in inserted:
            repeats.append((index, row, timed))
        first.setdefault(key, row)
    if not repeats:
        return
    recorded = {row.idempotency_key: row for row in CostOperation.objects.filter(
        idempotency_key__in={row.idempotency_key for _, row, _ in repeats} - inserted)}
    reused = []
    for index, row, timed in repeats:
        key = row.idempotency_key
        differences = _payload_differences(row, recorded.get(key, first[key]), timed=timed)
        if differences:
            reused.append((key, FieldError(f"operations[{index}].idempotencyKey",
                                           f"{key!r} was already used for another operation "
                                           f"({', '.join(differences)} differ)")))
    if reused:
        raise Conflict(
            f"Idempotency key {reused[0][0]!r} was already used for an operation with a different body: a retry "
            "must repeat it exactly, and a new operation needs a new key. Nothing in this request was recorded.",
            errors=[error for _, error in reused])
