"""Single-statement ledger writes, the same SQL on PostgreSQL and SQLite.

`rows_insert_new` inserts rows whose unique key is not there yet and says which went in (one statement,
no prior read, no savepoint). `totals_add` adds amounts to running totals, creating missing rows, in
one upsert that locks the rows in a fixed order and refuses a row whose new committed amount would pass
its limit. These are the only statements of a ledger write that touch the hot running-total rows, and
they run last in its transaction, so those row locks are held for the shortest time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

from .models import BudgetTotal

# Half of the smallest money unit (6 decimal places). On PostgreSQL money is exact and `a > b + HALF`
# is `a > b`; SQLite keeps numbers as binary floats, where this absorbs representation error.
HALF_UNIT = Decimal("0.0000005")


def _db():
    """The connection itself (not the `django.db.connection` proxy: thousands of lookups per batch)."""
    return connections[DEFAULT_DB_ALIAS]


def _q(name: str) -> str:
    return _db().ops.quote_name(name)


def rows_insert_new(model: type[models.Model], rows: Sequence[models.Model], *, unique: str,
                    returning: Sequence[str]) -> list[tuple]:
    """Insert the rows whose `unique` column is new; the `returning` columns of each row inserted.

    A row whose key another transaction is inserting waits for it, then is skipped if it committed.
    """
    if not rows:
        return []
    connection = _db()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(_q(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, connection.ops.bulk_batch_size(fields, rows))
    answer = ", ".join(_q(model._meta.get_field(name).column) for name in returning)
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start:start + size]
            params = [f.get_db_prep_save(f.pre_save(row, True), connection) for row in batch for f in fields]
            cursor.execute(
                f"INSERT INTO {_q(model._meta.db_table)} ({columns}) VALUES {', '.join([one] * len(batch))} "
                f"ON CONFLICT ({_q(model._meta.get_field(unique).column)}) DO NOTHING "
                f"RETURNING {answer}", params)
            found += [tuple(r) for r in cursor.fetchall()]
    return found


TotalKey = tuple[dt.datetime, str, str]


@dataclass
class TotalChange:
    """What to add to one running total, and the most its spent + held may then reach (None: no limit)."""

    spent: Decimal
    held: Decimal
    limit: Decimal | None = None


def _period(value: dt.datetime) -> Any:
    return BudgetTotal._meta.get_field("period_start").get_db_prep_save(value, _db())


def _aware(value: dt.datetime | str) -> dt.datetime:
    """A period start as the database returns it (naive UTC text or datetime on SQLite), made comparable."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def totals_add(changes: dict[TotalKey, TotalChange]) -> dict[TotalKey, tuple[Decimal, Decimal]]:
    """Add to the running totals in one statement; the new (spent, held) of each total that took it.

    A total missing from the answer was refused: its spent + held + change would pass its limit, and it
    is left unchanged. A total created by this statement is never refused here (the caller checks it).
    """
    if not changes:
        return {}
    table = _q(BudgetTotal._meta.db_table)
    period, scope, key, spent, held = (_q(c) for c in ("period_start", "scope", "key", "spent", "held"))
    ordered = sorted(changes.items(), key=lambda item: item[0])  # a fixed lock order: no deadlocks
    values, params = [], []
    for (start, scope_name, key_value), change in ordered:
        values.append("(%s, %s, %s, %s, %s)")
        params += [_period(start), scope_name, key_value, change.spent, change.held]
    refuse, refuse_params = [], []
    for (start, scope_name, key_value), change in ordered:
        if change.limit is not None:
            refuse.append(f"({table}.{period} = %s AND {table}.{scope} = %s AND {table}.{key} = %s AND "
                          f"{table}.{spent} + {table}.{held} + excluded.{spent} + excluded.{held}"
                          " > CAST(%s AS NUMERIC))")
            refuse_params += [_period(start), scope_name, key_value, change.limit + HALF_UNIT]
    where = f" WHERE NOT ({' OR '.join(refuse)})" if refuse else ""
    sql = (f"INSERT INTO {table} ({period}, {scope}, {key}, {spent}, {held}) VALUES {', '.join(values)} "
           f"ON CONFLICT ({period}, {scope}, {key}) DO UPDATE SET "
           f"{spent} = ROUND({table}.{spent} + excluded.{spent}, 6), "
           f"{held} = ROUND({table}.{held} + excluded.{held}, 6){where} "
           f"RETURNING {period}, {scope}, {key}, {spent}, {held}")
    by_db_key = {(_aware(k[0]), k[1], k[2]): k for k in changes}
    with _db().cursor() as cursor:
        cursor.execute(sql, params + refuse_params)
        rows = cursor.fetchall()
    return {by_db_key[(_aware(start), scope_name, key_value)]: (_money(new_spent), _money(new_held))
            for start, scope_name, key_value, new_spent, new_held in rows}
