"""The API tokens page: a signed-in user sees and revokes their own tokens; administrators create them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .auth import can
from .errors import DomainError, NotFound
from .models import ApiToken
from .tokens import token_create, token_revoke, tokens_of


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. “render farm” or “CI”.")


def _context(request: HttpRequest, form: TokenForm, raw: str | None = None, created: ApiToken | None = None) -> dict:
    return {"form": form, "tokens": tokens_of(user=request.user), "raw_token": raw, "created": created,
            "may_create": can(request.user, ApiToken, "add"),
            "has_expiry": any(f.name == "expires_at" for f in ApiToken._meta.get_fields())}


@never_cache
@login_required
def tokens_page(request: HttpRequest) -> HttpResponse:
    return render(request, "aura_site/tokens.html", _context(request, TokenForm()))


@never_cache
@require_POST
@login_required
def token_create_view(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ApiToken, "add"):
        raise PermissionDenied("API tokens are created by administrators; ask one for a token.")
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = token_create(user=request.user, name=form.cleaned_data["name"])
        except DomainError as error:
            form.add_error("name", error.detail if not error.errors else error.errors[0].message)
        else:
            # Shown in this answer only (not stored, not redirected through the session).
            return render(request, "aura_site/tokens.html", _context(request, TokenForm(), raw, token), status=201)
    return render(request, "aura_site/tokens.html", _context(request, form), status=422)


@require_POST
@login_required
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = token_revoke(user=request.user, token_id=token_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, f"Token {token.name or token.prefix} revoked.")
    return redirect("tokens")
