"""The API contract enforced in one place for every /api route, present and future.

- `ApiContractMiddleware` refuses NUL characters anywhere in a request to /api (path, query string,
  JSON or form body) with a 422 naming the field, before any view or database sees them (a page
  address with one is a 400; page forms report theirs next to the field), and turns
  the HTML 404 and plain-text 405 that Django and Ninja give for unknown paths and wrong methods into
  the JSON error shape.
- `declare_common_errors` adds the error answers every route can give (malformed input, credentials,
  permissions, unknown ids, wrong method, body too large, validation, service unavailable) to every
  operation's declared responses, so the OpenAPI schema lists each status code a route can return.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

API_PREFIX = "/api/"
NUL = "\x00"
NUL_MESSAGE = "must not contain NUL (\\u0000) characters"
# Every route can answer these: 400 unreadable body, 401/403 credentials, 404 unknown id or path,
# 405 wrong method, 413 body too large, 422 validation, 503 database or broker unavailable.
COMMON_ERROR_CODES = (400, 401, 403, 404, 405, 413, 422, 503)


def _nul_fields(value: Any, path: str = "", depth: int = 0) -> Iterator[str]:
    """The paths ('items[2].name') of every key or string value holding a NUL character."""
    if depth > 200:
        return
    if isinstance(value, str):
        if NUL in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield key_path
            yield from _nul_fields(item, key_path, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_fields(item, f"{path}[{index}]", depth + 1)


def nul_fields_of_request(request: HttpRequest) -> list[str]:
    """Where a request carries a NUL character: 'path', query names, or body field paths."""
    found: list[str] = []
    if NUL in request.path:
        found.append("path")
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in v for v in values):
            found.append(key.replace(NUL, "\\u0000"))
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        if content_type.startswith("multipart/form-data"):
            pass  # no /api route takes multipart; reading it here would consume the stream
        elif content_type.startswith("application/x-www-form-urlencoded"):
            for key, values in request.POST.lists():
                if NUL in key or any(NUL in v for v in values):
                    found.append(key.replace(NUL, "\\u0000"))
        else:
            body = request.body
            # JSON can only carry NUL as the escape \u0000 (or, invalidly, a raw byte): parse only then.
            if b"\\u0000" in body or b"\x00" in body:
                try:
                    document = json.loads(body)
                except (ValueError, RecursionError):
                    document = None
                if document is None and b"\x00" in body:
                    found.append("body")
                else:
                    found.extend(_nul_fields(document))
    return found


def error_json(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": errors or []}, status=status)


class ApiContractMiddleware:
    """NUL characters refused on /api with a 422; /api's 404 and 405 always in the JSON error shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX) and request.path != API_PREFIX.rstrip("/"):
            # Pages: a NUL in the address is refused here; form fields report theirs next to the field.
            if NUL in request.path or any(NUL in k or NUL in v for k, v in request.GET.items()):
                return HttpResponseBadRequest("The address contains a NUL (%00) character.",
                                              content_type="text/plain")
            return self.get_response(request)
        try:
            fields = nul_fields_of_request(request)
        except RequestDataTooBig:
            return error_json(413, "The request body is too large.", [{"field": "body", "message": "too large"}])
        if fields:
            errors = [{"field": field, "message": NUL_MESSAGE} for field in fields]
            return error_json(422, f"Validation failed: {', '.join(fields[:5])}: {NUL_MESSAGE}", errors)
        response = self.get_response(request)
        if response.status_code in (404, 405) and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            if response.status_code == 404:
                replacement = error_json(404, f"No API endpoint at {request.path}.")
            else:
                allowed = response.get("Allow", "")
                replacement = error_json(405, f"Method {request.method} is not allowed here; use {allowed}.")
                replacement["Allow"] = allowed
            for header in ("X-Correlation-ID",):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response


def declare_common_errors(api, error_schema) -> None:
    """Declare COMMON_ERROR_CODES with the error schema on every operation that does not already."""
    def routers(parents):
        for entry in parents:
            router = entry[1]  # (prefix, router) on the API, (prefix, router, tags) inside a router
            yield router
            yield from routers(getattr(router, "_routers", []))  # routers nested in an app's router

    for router in routers(api._routers):
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for code in COMMON_ERROR_CODES:
                    if code not in operation.response_models:
                        operation.response_models[code] = operation._create_response_model(error_schema)
