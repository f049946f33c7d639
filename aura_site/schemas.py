"""Schema bases: camelCase on the wire, unknown input fields refused, and the error body."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict
from pydantic.alias_generators import to_camel


class CamelSchema(Schema):
    """Output (and base) schema: snake_case in Python, camelCase in JSON."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class CamelInSchema(CamelSchema):
    """Input schema: the same, and a field the API does not know is a 422."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", allow_inf_nan=False
    )


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
