"""What every provider kind is and does: its facts, `probe()` over HTTP and `chat()` through its SDK.

A probe asks the cheapest question that proves access (a model lookup, or Ollama's `show`); the API key
goes only into a request header — never into a URL, a message or a log line. A chat is one completion
through the vendor's maintained SDK, with timeouts and retries on 429/5xx.

Both go through `aura_site.outbound`, the transport probes and webhooks use too: no redirects followed,
the timeout, and the address checked where the socket is opened (a base URL whose name resolves anew to
a private address is refused then, with the key never sent). The base URL is also checked first, for a
clear message before any key is prepared. Private addresses are allowed for local kinds (`is_local`)
or when AURA_ALLOW_PRIVATE_PROVIDER_URLS is on.

What the provider answers is read defensively: a body that is not a completion (HTML, empty, invalid
JSON, a wrong shape) is a ProviderCallError, and usage counts are passed on as reported (None where the
answer has none) for metering to price, estimate or refuse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel

from aura_site.outbound import (
    OutboundRefused,
    outbound_check,
    outbound_client,
    outbound_sdk_client,
    private_urls_allowed,
)

USER_AGENT = "aura-control-center/1.0 (model probe)"


@dataclass(frozen=True)
class ProbeOutcome:
    is_available: bool
    model_id: str
    context_window: int | None
    max_tokens: int | None
    is_deprecated: bool | None
    latency_ms: int | None
    error_message: str | None


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int | None  # None: the answer reported no such count
    output_tokens: int | None
    cached_tokens: int
    latency_ms: int
    sent: dict[str, Any]  # the request parameters as sent (no key)
    usage: dict[str, Any] | None = None  # the usage as the provider reported it, for investigation


class ProviderCallError(Exception):
    """A call that failed after the SDK's retries; `status` is the provider's HTTP status if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Usage:
    input_tokens: int | None
    output_tokens: int | None
    cached_tokens: int
    raw: dict[str, Any] | None


@dataclass(frozen=True)
class ProbeRequest:
    method: str
    url: str
    headers: dict[str, str]
    json: Any = None


class BaseProvider:
    """One kind of provider. Subclasses set the facts and the hooks; `probe` and `chat` are the calls."""

    kind: ClassVar[str] = ""  # stored in Provider.kind
    label: ClassVar[str] = ""  # shown in forms and lists
    vendor: ClassVar[str] = ""  # how messages name it ("the OpenAI-compatible server"); the label if empty
    default_base_url: ClassVar[str] = ""  # used when neither the row nor AURA_<NAME>_BASE_URL sets one
    is_local: ClassVar[bool] = False  # runs on our own machines: private addresses are allowed
    needs_key: ClassVar[bool] = True

    @property
    def vendor_name(self) -> str:
        return self.vendor or self.label

    def allow_private(self) -> bool:
        return private_urls_allowed(local_provider=self.is_local)

    # --- probe ----------------------------------------------------------------------------------------

    def probe_request(self, base: str, api_key: str | None, model_id: str,
                      headers: dict[str, str]) -> ProbeRequest:
        """The request that proves access to the model (`base` has no trailing slash; `path_segment`
        percent-encodes the id for a URL path)."""
        raise NotImplementedError

    def probe_capabilities(self, body: dict[str, Any]) -> tuple[int | None, int | None, bool | None]:
        """Context window, max output tokens and deprecation, where the vendor reports them."""
        return None, None, None

    def refuses_key(self, status: int, text: str) -> bool:
        """Does this failed answer (status, lower-cased body) mean the key was refused?"""
        return status in {401, 403}

    def probe(self, *, base_url: str, api_key: str | None, model_id: str, timeout: float = 10.0,
              allow_private: bool | None = None) -> ProbeOutcome:
        """Ask the provider about one model; never raises for network or HTTP failures.

        `allow_private` None: private addresses only for local kinds or when
        AURA_ALLOW_PRIVATE_PROVIDER_URLS is on (see aura_site.outbound).
        """
        if allow_private is None:
            allow_private = self.allow_private()
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        request = self.probe_request(base_url.rstrip("/"), api_key, model_id, headers)
        url, vendor = request.url, self.vendor_name

        def failed(message: str, latency: int | None = None) -> ProbeOutcome:
            if api_key:
                message = message.replace(api_key, "[redacted]")
            return ProbeOutcome(False, model_id, None, None, None, latency, message)

        try:
            outbound_check(url, allow_private=allow_private)
        except OutboundRefused as refused:
            return failed(f"Refused to call {vendor}: {refused}.")
        started = time.perf_counter()
        try:
            with outbound_client(allow_private=allow_private, timeout=timeout) as client:
                response = client.request(request.method, url, headers=request.headers, json=request.json)
        except OutboundRefused as refused:  # the name resolved elsewhere at connect time
            return failed(f"Refused to call {vendor}: {refused}.")
        except httpx.TimeoutException:
            return failed(f"{vendor} did not answer within {timeout:g} s (timeout).")
        except httpx.ConnectError:
            return failed(f"Could not connect to {vendor} at {httpx.URL(url).host}:{httpx.URL(url).port or ''} "
                          "(connection refused or unreachable).")
        except httpx.HTTPError as error:
            return failed(f"The request to {vendor} failed: {type(error).__name__}.")
        latency = round((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            return failed(self._probe_failure(model_id, response), latency)
        try:
            payload = response.json()
        except ValueError:
            return failed(f"{vendor} answered with malformed JSON.", latency)
        if not isinstance(payload, dict):
            return failed(f"{vendor} answered with an unexpected JSON document.", latency)
        context, max_tokens, deprecated = self.probe_capabilities(payload)
        return ProbeOutcome(True, model_id, context, max_tokens, deprecated, latency, None)

    def _probe_failure(self, model_id: str, response: httpx.Response) -> str:
        vendor, status = self.vendor_name, response.status_code
        if self.refuses_key(status, response.text[:2000].lower()):
            return f"HTTP {status}: {vendor} refused the API key (unauthorized); check the key and its permissions."
        if status == 404:
            return f"HTTP 404: model {model_id!r} was not found at {vendor}."
        if 300 <= status < 400:
            return (f"HTTP {status}: {vendor} redirected the request elsewhere; redirects are not followed, "
                    "so set the base URL to the final address.")
        if status == 429:
            retry = response.headers.get("retry-after")
            later = f"; retry after {retry} s" if retry else ""
            return f"HTTP 429: {vendor} is rate limiting requests{later}."
        if status >= 500:
            return f"HTTP {status}: {vendor} had a server error; try again later."
        return f"HTTP {status}: {vendor} answered with an unexpected status."

    # --- chat -----------------------------------------------------------------------------------------

    def complete(self, http: Any, *, base_url: str, api_key: str | None, model_id: str,
                 messages: list[dict[str, str]], sampling: dict[str, Any], timeout: float,
                 max_retries: int) -> tuple[str, Usage, dict[str, Any]]:
        """Text, usage and the parameters as sent, through the vendor's SDK built on `http`."""
        raise NotImplementedError

    def chat(self, *, base_url: str, api_key: str | None, model_id: str, messages: list[dict[str, str]],
             sampling: dict[str, Any], timeout: float, max_retries: int) -> Completion:
        """One completion from exactly `model_id` at the provider; raises ProviderCallError."""
        import anthropic
        import openai

        started = time.perf_counter()
        allow_private = self.allow_private()
        try:
            outbound_check(base_url, allow_private=allow_private)
        except OutboundRefused as error:
            raise _refused(error) from None
        http = outbound_sdk_client(allow_private=allow_private, timeout=timeout)
        try:
            text, usage, sent = self.complete(http, base_url=base_url, api_key=api_key, model_id=model_id,
                                              messages=messages, sampling=sampling, timeout=timeout,
                                              max_retries=max_retries)
        except OutboundRefused as error:  # raised where the socket is opened: the name now resolves elsewhere
            raise _refused(error) from None
        except (openai.APIStatusError, anthropic.APIStatusError) as error:
            raise ProviderCallError(_redact(f"HTTP {error.status_code}: {error.message}", api_key),
                                    error.status_code) from None
        except (openai.APITimeoutError, anthropic.APITimeoutError):
            raise ProviderCallError(f"The provider did not answer within {timeout:g} s (timeout).") from None
        except (openai.APIConnectionError, anthropic.APIConnectionError) as error:
            refused = _outbound_refusal(error)
            if refused is not None:  # an SDK that wraps every transport error (anthropic's) wrapped this one
                raise _refused(refused) from None
            raise ProviderCallError("Could not connect to the provider (connection refused or unreachable).") from None
        except (openai.OpenAIError, anthropic.AnthropicError) as error:
            raise ProviderCallError(_redact(f"The provider call failed: {error}", api_key)) from None
        finally:
            http.close()
        latency = round((time.perf_counter() - started) * 1000)
        return Completion(text, usage.input_tokens, usage.output_tokens, usage.cached_tokens, latency, sent,
                          usage.raw)


def path_segment(model_id: str) -> str:
    """The model id percent-encoded for a URL path."""
    return httpx.URL(f"http://x/{model_id}").path.lstrip("/")


def _redact(message: str, api_key: str | None) -> str:
    return message.replace(api_key, "[redacted]") if api_key else message


def _refused(refusal: OutboundRefused) -> ProviderCallError:
    """The call error for a base URL the outbound rule refuses, up front or where the socket is opened."""
    return ProviderCallError(f"The provider's base URL may not be called: {refusal}.")


def _outbound_refusal(error: BaseException) -> OutboundRefused | None:
    """The outbound rule's refusal behind an SDK's connection error, if that is what it was."""
    cause: BaseException | None = error
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, OutboundRefused):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


# --- Reading an SDK's answer (shared by the kinds) ----------------------------------------------------


def sdk_answer(raw: Any, expected: type) -> Any:
    """The SDK's object for an answer, or ProviderCallError when its body is not one (HTML, empty, bad JSON)."""
    body = raw.http_response.read()
    content_type = raw.headers.get("content-type") or "no content type"
    if not body.strip():
        problem = "an empty body"
    else:
        try:
            parsed = raw.parse()
        except ValueError as error:  # json.JSONDecodeError
            problem = f"a body that is not valid JSON ({content_type}, {len(body)} bytes: {error})"
        else:
            if isinstance(parsed, expected):
                return parsed
            problem = f"a body that is not a completion ({content_type}, {len(body)} bytes)"
    raise ProviderCallError(f"The provider answered HTTP {raw.status_code} with {problem}.", raw.status_code)


def unreadable(what: str) -> ProviderCallError:
    return ProviderCallError(f"The provider's answer is not a completion: {what}.")


def token_count(usage: Any, name: str) -> int | None:
    """A token count of the usage as reported: None when absent, refused when it is not a count."""
    value = getattr(usage, name, None)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise unreadable(f"its usage {name} is {value!r}, not a token count")
    return value


def raw_usage(usage: Any) -> dict[str, Any] | None:
    if isinstance(usage, BaseModel):
        return usage.model_dump(mode="json", exclude_none=True, warnings=False)
    return None


def answer_text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise unreadable("its text is not a string")
    return value
