"""The project's domain errors. Services raise them; the API maps each to one HTTP status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_snake


@dataclass
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class DomainError(Exception):
    """Base of every error a service raises on purpose; `status` is its HTTP status."""

    status = 400
    default_detail = "The request could not be processed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.errors = errors or []
        self.extra = extra or {}
        super().__init__(self.detail)

    def as_payload(self) -> dict[str, Any]:
        return {"detail": self.detail, "errors": [e.as_dict() for e in self.errors], **self.extra}

    def add_to_form(self, form) -> None:
        """Show this error on a Django form: each field error on its field, the rest on the form itself.

        Field paths are the API's camelCase (`providerBudgets.OpenAI`); the form field is the snake_case
        name of their first part.
        """
        if not self.errors:
            form.add_error(None, self.detail)
        for error in self.errors:
            name = to_snake(error.field.split(".")[0])
            form.add_error(name if name in form.fields else None, error.message)


class ValidationFailed(DomainError):
    status = 422
    default_detail = "Validation failed."

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", errors=[FieldError(field, message)])


class NotFound(DomainError):
    status = 404
    default_detail = "Not found."


class Conflict(DomainError):
    status = 409
    default_detail = "Conflict."


class PermissionDenied(DomainError):
    status = 403
    default_detail = "You do not have permission to do this."


class PayloadTooLarge(DomainError):
    status = 413
    default_detail = "The request body is too large."


class PaymentRequired(DomainError):
    """A hard budget limit refused the operation; `extra` carries the numbers."""

    status = 402
    default_detail = "The budget does not allow this operation."


class ServiceUnavailable(DomainError):
    """A service the request needs (the task broker, the database) cannot be reached right now."""

    status = 503
    default_detail = "A service this request needs is unavailable; try again shortly."


class NotAuthenticated(DomainError):
    """Credentials were sent but cannot be accepted (an expired token); the detail says why."""

    status = 401
    default_detail = "Authentication required."


class TooManyRequests(DomainError):
    status = 429
    default_detail = "Too many requests; slow down."
