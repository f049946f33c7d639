"""The settings home page, and the answers given when something underneath is down."""

from __future__ import annotations

import sys

from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


DATABASE_DOWN = "The database is unavailable; try again shortly."
_PLAIN_503 = (
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Service unavailable</title></head>"
    "<body><h1>Service unavailable</h1><p>The database cannot be reached right now. Please try again in a "
    "moment.</p></body></html>"
)


def database_down_response(request: HttpRequest) -> HttpResponse:
    """503 when the database cannot be reached: the JSON error shape on /api, a plain page elsewhere.

    The page uses no template, session or user, since each of those may need the database.
    """
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": DATABASE_DOWN, "errors": []}, status=503)
    else:
        response = HttpResponse(_PLAIN_503, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = "30"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an unreachable database is a 503, not a 500; /api errors keep the JSON shape."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        return database_down_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal error; quote the X-Correlation-ID header when reporting it.",
                             "errors": []}, status=500)
    return defaults.server_error(request)
