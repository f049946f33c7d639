"""Authentication for the API (session with CSRF, or bearer token) and the permission rules.

Permissions are checked in the authentication step, before the request body is read, so a caller
without the permission gets 403 whatever it sent. Routes declare what they need:

    @router.post("/things", auth=write_access(Thing, "add"))
    @router.get("/things", auth=read_access(Thing))
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from .errors import NotAuthenticated, PermissionDenied
from .models import ApiToken
from .throttles import failed_token_record, failed_tokens_refuse_if_over_limit

WRITE_ACTIONS = {"add", "change", "delete"}


def permission_name(model: type[Model], action: str) -> str:
    meta = model._meta
    return f"{meta.app_label}.{action}_{meta.model_name}"


def can(user, model: type[Model], action: str) -> bool:
    """May this user `view`, `add`, `change` or `delete` rows of the model? Each needs its permission.

    Staff status only opens admin; reading costs or the audit log needs the model's view_ permission
    (the "Viewers" group holds every view_ permission, "Editors" every permission of the app's data).
    """
    if not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm(permission_name(model, action))


def require(user, model: type[Model], action: str) -> None:
    """Raise PermissionDenied unless `can(user, model, action)`."""
    if not can(user, model, action):
        verb = "view" if action == "view" else action
        raise PermissionDenied(f"You need permission to {verb} {model._meta.verbose_name_plural}.")


@dataclass(frozen=True)
class Requirement:
    """What a route needs beyond being signed in: an action on a model (none: just signed in)."""

    model: type[Model] | None = None
    action: str = "view"

    @property
    def writes(self) -> bool:
        return self.action in WRITE_ACTIONS

    def check(self, user) -> None:
        if self.model is not None:
            require(user, self.model, self.action)


class BearerTokenAuth(HttpBearer):
    def __init__(self, requirement: Requirement) -> None:
        self.requirement = requirement
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str):
        row = ApiToken.find(token)
        if row is None or row.is_expired:
            # Only bad tokens are limited: others' failures from the same address (a shared proxy or
            # NAT) never lock out a valid token.
            failed_tokens_refuse_if_over_limit(request)
            failed_token_record(request)
            if row is not None:
                raise NotAuthenticated(
                    f"This API token expired at {row.expires_at:%Y-%m-%d %H:%M} UTC; create a new one with "
                    "`manage.py create_api_token`."
                )
            return None
        user = row.use()
        request.user = user
        request.api_token_id = row.pk
        self.requirement.check(user)
        return user


class SessionAuthWithCsrf(SessionAuth):
    """Django session; ninja checks the CSRF token of unsafe methods before this runs."""

    def __init__(self, requirement: Requirement) -> None:
        self.requirement = requirement
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest):
        # No signed-in session: the caller has no credentials at all, which is a 401, not a CSRF 403.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        if user:
            self.requirement.check(user)
        return user


def docs_access(view):
    """The docs and the OpenAPI schema: a signed-in session, or a bearer token (tools load the schema)."""
    signed_in_view = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            user = ApiToken.authenticate(header[7:].strip())
            if user is not None:
                request.user = user
                return view(request, *args, **kwargs)
        return signed_in_view(request, *args, **kwargs)

    return wrapper


def _auth(requirement: Requirement) -> list:
    return [BearerTokenAuth(requirement), SessionAuthWithCsrf(requirement)]


def signed_in() -> list:
    """Any authenticated, active user."""
    return _auth(Requirement())


def read_access(model: type[Model]) -> list:
    """Authenticated, with the model's view_ permission."""
    return _auth(Requirement(model, "view"))


def write_access(model: type[Model], action: str) -> list:
    """Authenticated, with the model's add_/change_/delete_ permission."""
    if action not in WRITE_ACTIONS:
        raise ValueError(f"unknown write action {action!r}")
    return _auth(Requirement(model, action))


def requirement_of(auth_callbacks: list) -> Requirement | None:
    """The Requirement behind a route's auth list (used by the tests that walk every route)."""
    for callback in auth_callbacks:
        if isinstance(callback, BearerTokenAuth | SessionAuthWithCsrf):
            return callback.requirement
    return None
