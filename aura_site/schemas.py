"""Schema bases: camelCase on the wire, unknown input fields refused, and the error body."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import ConfigDict, Field, WithJsonSchema, field_validator
from pydantic.alias_generators import to_camel

# What a money column (max_digits=14, decimal_places=6) can hold.
MONEY_COLUMN_MAX = Decimal("99999999.999999")
# One amount (an operation's cost, a hold, a price, a budget) is bounded well below what a running total
# holds, so that totals stay representable; the services refuse what would still overflow a total.
AMOUNT_MAX = Decimal("10000000")
# Integer ids and counts bounded by a 64-bit column.
BIGINT_MAX = 9_223_372_036_854_775_807


def money_type(*, le: Decimal = AMOUNT_MAX):
    """A non-negative exact amount: parsed as Decimal, shown as a JSON number bounded in the schema."""
    return Annotated[
        Decimal,
        Field(ge=0, le=le, max_digits=14, decimal_places=6),
        WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(le)}),
    ]


Amount = money_type()
DbId = Annotated[int, Field(ge=1, le=BIGINT_MAX)]


class CamelSchema(Schema):
    """Output (and base) schema: snake_case in Python, camelCase in JSON."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


NAIVE_TIME_MESSAGE = "must include a UTC offset (such as Z or +01:00)"


def _explicit(value: Any) -> Any:
    """The value with -0 as 0 (it would be echoed as -0.0), refusing a time of day without a UTC offset."""
    if isinstance(value, dt.datetime):
        if value.utcoffset() is None:
            raise ValueError(NAIVE_TIME_MESSAGE)
    elif isinstance(value, float | Decimal):
        if value == 0:
            return abs(value)
    elif isinstance(value, list):
        return [_explicit(item) for item in value]
    elif isinstance(value, dict):
        return {key: _explicit(item) for key, item in value.items()}
    return value


class CamelInSchema(CamelSchema):
    """Input schema: the same, and a field the API does not know is a 422.

    A timestamp without a UTC offset is refused rather than guessed (a client's local time read as UTC
    would put its spending in another day or period), and -0 is read as 0.
    """

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", allow_inf_nan=False
    )

    @field_validator("*")
    @classmethod
    def _explicit_values(cls, value: Any) -> Any:
        return _explicit(value)


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut] = []


# The error answers every authenticated route can give; merge into a route's `response=`.
AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}
READ_ERRORS = {**AUTH_ERRORS, 404: ErrorOut}
WRITE_ERRORS = {**AUTH_ERRORS, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}
