"""What every HTMX page view does the same way: refuse without the right, answer a finished form, pick a partial."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect

from .auth import can


def require(request: HttpRequest, model, action: str) -> None:
    """403 unless the signed-in user may `action` ("view", "add", "change", "delete") rows of `model`."""
    if not can(request.user, model, action):
        raise PermissionDenied(f"You need permission to {action} {model._meta.verbose_name_plural}.")


def done(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful form: htmx is told to load `url`, a plain browser is redirected there."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def partial(request: HttpRequest, template: str, name: str) -> str:
    """The named partial of `template` for an htmx swap, the whole page otherwise."""
    return f"{template}#{name}" if request.htmx and not request.htmx.boosted else template
