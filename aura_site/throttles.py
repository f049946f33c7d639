"""API rate limits (django-ninja's throttling on Django's cache).

- Every API request counts against its caller: a bearer token (per token) or a signed-in user,
  AURA_API_RATE (e.g. "1000/min"); past it, 429 with Retry-After.
- Failed bearer tokens count per client address (aura_site/client_address.py: the connecting
  address, or through X-Forwarded-For from a trusted proxy), AURA_FAILED_TOKEN_RATE (e.g. "20/min");
  past it, a bad token from that address gets 429 instead of 401 until the window passes, so
  guessing tokens is slow. A valid token is never refused for others' failures: the limit is
  checked once the token is known to be bad.

The counters live in the cache: with several server processes, configure a shared one (AURA_CACHE_URL).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

from .client_address import client_address
from .errors import TooManyRequests


class _SettingsRate(SimpleRateThrottle):
    """A throttle whose rate is read from a setting on every request (so it can be changed in tests)."""

    setting = ""

    def __init__(self) -> None:
        super().__init__(getattr(settings, self.setting))

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class TokenRateThrottle(_SettingsRate):
    """One budget of requests per bearer token, or per user for session requests."""

    scope = "api"
    setting = "AURA_API_RATE"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token_id = getattr(request, "api_token_id", None)
        if token_id is not None:
            ident = f"token-{token_id}"
        elif getattr(request, "auth", None) is not None and getattr(request.user, "pk", None) is not None:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class FailedTokenThrottle(_SettingsRate):
    scope = "failed-token"
    setting = "AURA_FAILED_TOKEN_RATE"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}

    def over_limit(self, request: HttpRequest) -> bool:
        """Has this address used up its failures? (Reads only; records nothing.)"""
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request)
        self.now = self.timer()
        history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        self.history = history
        return len(history) >= self.num_requests


def failed_tokens_refuse_if_over_limit(request: HttpRequest) -> None:
    throttle = FailedTokenThrottle()
    if throttle.over_limit(request):
        wait = throttle.wait()
        raise TooManyRequests(
            f"Too many failed API tokens from this address; try again in {int(wait or 0) + 1} s.",
            extra={"retryAfter": int(wait or 0) + 1},
        )


def failed_token_record(request: HttpRequest) -> None:
    FailedTokenThrottle().allow_request(request)
