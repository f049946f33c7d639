"""Request-wide concerns: a correlation id on every request and response, and the API body limit."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

CORRELATION_HEADER = "X-Correlation-ID"
_VALID_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_current_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")


def current_correlation_id() -> str:
    """The correlation id of the request being served (or '-' outside a request)."""
    return _current_correlation_id.get()


class CorrelationIdMiddleware:
    """Echo the caller's X-Correlation-ID (when well formed) or make a new one, on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(CORRELATION_HEADER, "")
        correlation_id = incoming if _VALID_CORRELATION_ID.match(incoming) else uuid.uuid4().hex
        request.correlation_id = correlation_id
        token = _current_correlation_id.set(correlation_id)
        try:
            response = self.get_response(request)
        finally:
            _current_correlation_id.reset(token)
        response[CORRELATION_HEADER] = correlation_id
        return response


class ApiBodySizeLimitMiddleware:
    """Answer 413 before reading an /api request body larger than AURA_MAX_BODY_BYTES."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.AURA_MAX_BODY_BYTES
            if length > limit:
                return JsonResponse(
                    {
                        "detail": f"Request body is {length} bytes; the limit is {limit} bytes.",
                        "errors": [{"field": "body", "message": f"larger than {limit} bytes"}],
                    },
                    status=413,
                )
        return self.get_response(request)


class CorrelationIdLogFilter(logging.Filter):
    """Adds `correlation_id` to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = current_correlation_id()
        return True


class NoStoreMiddleware:
    """`Cache-Control: no-store` on the API and on every page shown to a signed-in user.

    Costs, budgets and settings must not stay in a shared proxy's or the browser's cache after sign-out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and getattr(user, "is_authenticated", False)
        if request.path.startswith("/api/") or signed_in:
            response["Cache-Control"] = "no-store"
        return response
