"""The root NinjaAPI: authentication, one error format, and each app's router."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from costs.api import router as costs_router
from models_selection.api import router as models_router
from models_selection.runs.api import router as runs_router
from preferences.api import router as preferences_router

from .api_contract import declare_common_errors
from .auth import docs_access, signed_in
from .errors import DomainError
from .schemas import AUTH_ERRORS, CamelSchema, ErrorOut
from .throttles import TokenRateThrottle
from .views import database_down_response

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Aura Control Center API",
    version="1.0",
    description=(
        "Audience profiles, content-filtering policies and AI preferences; model selection with "
        "pinning and an audit log; cost tracking and budgets. Authenticate with a session (and CSRF "
        "token) or `Authorization: Bearer <token>` (`manage.py create_api_token USERNAME`)."
    ),
    auth=signed_in(),
    throttle=[TokenRateThrottle()],
    urls_namespace="api",
    docs_url="/docs",
    docs_decorator=docs_access,
    openapi_url="/openapi.json",
)


# Labels pydantic puts in an error's location that are not fields: its validators
# ('function-wrap[_run_root_validator()]') and the tags of a body's alternatives ('shape[batch]').
_LABEL = re.compile(r"^[a-z][a-z-]*\[.*\]$")


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """Turn pydantic's location ('body', 'payload', 'items', 3, 'name') into 'items[3].name'."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        source = parts.pop(0)
        # A body is read into one named parameter; its name is not part of the field path.
        if source == "body" and len(parts) > 1 and isinstance(parts[0], str):
            parts.pop(0)
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _LABEL.match(part):
            continue
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def error_response(request: HttpRequest, status: int, detail: str, errors: list[dict] | None = None,
                   **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or [], **extra}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_payload(), status=exc.status)
    if "retryAfter" in exc.extra:
        response["Retry-After"] = str(exc.extra["retryAfter"])
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    bad_path = next((item for item in exc.errors if tuple(item.get("loc", ()))[:1] == ("path",)), None)
    if bad_path is not None:
        # An id that cannot even be parsed names nothing: the same 404 as an id that is not there.
        name = _field_path(bad_path["loc"])
        value = str(request.resolver_match.kwargs.get(name, "")) if request.resolver_match else ""
        return error_response(request, 404, f"Not found: {value[:100]!r} is not a valid {name}.")
    errors = []
    for item in exc.errors:
        message = str(item.get("msg", "invalid value"))
        message = message.removeprefix("Value error, ")
        errors.append({"field": _field_path(item.get("loc", ())), "message": message})
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return error_response(request, 422, f"Validation failed: {summary}", errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "Authentication required: send 'Authorization: Bearer <token>' or sign in."
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, str(exc) or "Not found.")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(request, 413, "The request body is too large.")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_down(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("Database unavailable in %s %s: %s", request.method, request.path, type(exc).__name__)
    return database_down_response(request)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled error in %s %s", request.method, request.path)
    return error_response(request, 500, "Internal error; quote the X-Correlation-ID header when reporting it.")


api.add_router("/user-preferences", preferences_router)
api.add_router("", models_router)
api.add_router("", runs_router)
api.add_router("/cost-tracking", costs_router)


class MeOut(CamelSchema):
    username: str
    is_staff: bool
    is_superuser: bool
    permissions: list[str]


@api.get("/me", response={200: MeOut, **AUTH_ERRORS}, tags=["Access"], by_alias=True)
def me(request: HttpRequest) -> MeOut:
    """Who the caller is and which permissions they hold."""
    user = request.user
    return MeOut(
        username=user.get_username(),
        is_staff=user.is_staff,
        is_superuser=user.is_superuser,
        permissions=sorted(user.get_all_permissions()),
    )


# Last, once every route is registered: each one declares the error answers any route can give.
declare_common_errors(api, ErrorOut)
