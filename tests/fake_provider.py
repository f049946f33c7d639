"""A fake AI provider on 127.0.0.1 speaking OpenAI-, Anthropic-, Gemini- and Ollama-style routes.

Key "sk-good" works, any other is refused; model "missing-model" is 404, "slow-model" answers after
SLOW_SECONDS, "busy-model" is 429; every other model exists. Requests are recorded (with their JSON body).

Completions (runs): OpenAI chat completions at /v1/chat/completions (also Ollama's OpenAI-compatible
endpoint, whose placeholder key "ollama" is accepted), Gemini's OpenAI-compatible endpoint at
/v1beta/openai/chat/completions, Anthropic messages at /v1/messages. Answers are deterministic: usage is
ceil(prompt characters / 4) in, one token per output word (at most max_tokens) out. A system prompt asking
for "scriptQuality" JSON gets scores (models with "lowscore": low ones, "badjudge": prose, not JSON); one
asking for 'Scene N:' lines gets three scenes. Models with "unsafe" add a sentence naming a casino,
"verbose" answer with max_tokens words, "cached" report half the prompt as cached, "flaky" answer 503 to
every first request.

Misbehaving providers, for the fault tests: "garbage-json" answers 200 with a truncated JSON body,
"garbage-html" a 200 HTML page, "garbage-empty" an empty 200; "nousage" leaves `usage` out of its answer,
"hugeusage" reports 10**12 tokens each way, and "overrun" reports OVERRUN_OUTPUT_TOKENS completion tokens
whatever max_tokens asked for.
"""

from __future__ import annotations

import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

GOOD_KEY = "sk-good"
SLOW_SECONDS = 3.0
OVERRUN_OUTPUT_TOKENS = 200_000
HUGE_USAGE_TOKENS = 10**12
GARBAGE_BODIES = {  # model marker → (content type, body)
    "garbage-json": ("application/json", b'{"id": "chatcmpl-1", "choices": [{"message": {"content": "Hel'),
    "garbage-html": ("text/html; charset=utf-8", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    "garbage-empty": ("application/json", b""),
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format, *args) -> None:  # keep test output quiet
        return

    def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_raw(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _kind(self) -> str:
        if self.path.startswith("/api/"):
            return "ollama"
        if self.path.startswith("/v1beta/"):
            return "gemini"
        if "x-api-key" in self.headers or "anthropic-version" in self.headers:
            return "anthropic"
        return "openai"

    def _key(self, kind: str) -> str | None:
        if kind == "anthropic":
            return self.headers.get("x-api-key")
        if kind == "gemini":
            return self.headers.get("x-goog-api-key")
        auth = self.headers.get("Authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

    def _answer(self, model: str) -> None:
        kind = self._kind()
        self.server.requests.append({"method": self.command, "path": self.path, "kind": kind,
                                     "headers": dict(self.headers.items())})
        if kind != "ollama" and self._key(kind) != GOOD_KEY:
            if kind == "gemini":
                return self._send(400, {"error": {"code": 400, "message": "API key not valid. Please pass a valid "
                                                  "API key.", "status": "INVALID_ARGUMENT"}})
            if kind == "anthropic":
                return self._send(401, {"type": "error", "error": {"type": "authentication_error",
                                                                   "message": "invalid x-api-key"}})
            return self._send(401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                                              "code": "invalid_api_key"}})
        if model == "missing-model":
            return self._send(404, {"error": {"message": f"The model '{model}' does not exist"}})
        if model == "busy-model":
            return self._send(429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "7"})
        if model == "slow-model":
            time.sleep(SLOW_SECONDS)
        if kind == "gemini":
            return self._send(200, {"name": f"models/{model}", "displayName": model, "inputTokenLimit": 1048576,
                                    "outputTokenLimit": 65536})
        if kind == "ollama":
            return self._send(200, {"details": {"family": "llama"}, "model_info": {"llama.context_length": 131072}})
        if kind == "anthropic":
            return self._send(200, {"type": "model", "id": model, "display_name": model,
                                    "created_at": "2025-01-01T00:00:00Z"})
        return self._send(200, {"id": model, "object": "model", "created": 1715367049, "owned_by": "system"})

    def do_GET(self) -> None:
        for prefix in ("/v1beta/models/", "/v1/models/"):
            if self.path.startswith(prefix):
                return self._answer(self.path[len(prefix):].split("?")[0])
        self._send(404, {"error": "no such route"})

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        return body if isinstance(body, dict) else {}

    def _complete(self) -> None:
        kind = self._kind()
        body = self._body()
        self.server.requests.append({"method": self.command, "path": self.path, "kind": kind,
                                     "headers": dict(self.headers.items()), "body": body})
        model = str(body.get("model", ""))
        # Anthropic's SDK sends the key as x-api-key or as a bearer token, depending on its version.
        key = self.headers.get("x-api-key") or self.headers.get("Authorization", "").removeprefix("Bearer ")
        if key not in (GOOD_KEY, "ollama"):
            return self._send(401, {"type": "error", "error": {"type": "authentication_error",
                                                               "message": "invalid api key"}})
        if model == "missing-model":
            return self._send(404, {"type": "error", "error": {"type": "not_found_error",
                                                               "message": f"model {model} not found"}})
        if model == "busy-model":
            return self._send(429, {"type": "error", "error": {"type": "rate_limit_error",
                                                               "message": "Rate limit reached"}})
        if "flaky" in model:
            with self.server.lock:
                self.server.flaky_seen[model] = self.server.flaky_seen.get(model, 0) + 1
                first = self.server.flaky_seen[model] % 2 == 1
            if first:
                return self._send(503, {"type": "error", "error": {"type": "overloaded_error",
                                                                   "message": "overloaded"}})
        for marker, (content_type, data) in GARBAGE_BODIES.items():
            if marker in model:
                return self._send_raw(200, content_type, data)
        messages = list(body.get("messages") or [])
        system = str(body.get("system") or "") + "".join(
            str(m.get("content", "")) for m in messages if m.get("role") == "system")
        prompt_chars = len(str(body.get("system") or "")) + sum(len(str(m.get("content", ""))) for m in messages)
        max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 1000)
        text = _reply_text(model, system, max_tokens)
        prompt_tokens = math.ceil(prompt_chars / 4)
        output_tokens = min(len(text.split()), max_tokens)
        cached = prompt_tokens // 2 if "cached" in model else 0
        if "overrun" in model:
            output_tokens = OVERRUN_OUTPUT_TOKENS
        if "hugeusage" in model:
            prompt_tokens = output_tokens = HUGE_USAGE_TOKENS
        if kind == "anthropic":
            answer = {
                "id": f"msg_{len(self.server.requests)}", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": prompt_tokens - cached, "output_tokens": output_tokens,
                          "cache_read_input_tokens": cached, "cache_creation_input_tokens": 0}}
        else:
            answer = {
                "id": f"chatcmpl-{len(self.server.requests)}", "object": "chat.completion", "created": 1715367049,
                "model": model, "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": output_tokens,
                          "total_tokens": prompt_tokens + output_tokens,
                          "prompt_tokens_details": {"cached_tokens": cached}}}
        if "nousage" in model:
            del answer["usage"]
        return self._send(200, answer)

    def do_POST(self) -> None:
        if self.path in ("/v1/chat/completions", "/v1beta/openai/chat/completions", "/v1/messages"):
            return self._complete()
        if self.path == "/api/show":
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            return self._answer(body.get("model", ""))
        self._send(404, {"error": "no such route"})


def _reply_text(model: str, system: str, max_tokens: int) -> str:
    """The deterministic answer of a fake model to a request with this system prompt."""
    if '"scriptQuality"' in system:
        if "badjudge" in model:
            return "I would say the script is rather good overall."
        if "lowscore" in model:
            return json.dumps({"scriptQuality": 4, "brandCompliance": 5, "engagement": 3, "reasons": ["flat"]})
        return "```json\n" + json.dumps({"scriptQuality": 8.5, "brandCompliance": 9, "engagement": 8,
                                          "reasons": ["clear", "on brand"]}) + "\n```"
    if "Scene N:" in system:
        text = ("Scene 1: A bright classroom with a globe.\nScene 2: A close view of a seed that grows.\n"
                "Scene 3: Kids smile at a tall green plant.")
    elif "verbose" in model:
        text = " ".join(["word"] * max_tokens)
    else:
        text = (f"This is a short script from {model}. We start with one small idea. Then we show how it "
                "grows. We end with a clear call to act.")
    if "unsafe" in model:
        text += " Visit the casino tonight."
    return text


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[dict]
    flaky_seen: dict[str, int]
    lock: threading.Lock


class FakeProviderServer:
    """Start with `.start()`, point a provider at `.base_url(kind)`, stop with `.stop()`."""

    def __init__(self) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.requests = []
        self.server.flaky_seen = {}
        self.server.lock = threading.Lock()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[dict]:
        return self.server.requests

    def completions(self) -> list[dict]:
        """The completion requests received so far (chat completions and Anthropic messages)."""
        return [r for r in self.server.requests if r["method"] == "POST" and r["path"] != "/api/show"]

    def base_url(self, kind: str) -> str:
        root = f"http://127.0.0.1:{self.server.server_address[1]}"
        return f"{root}/v1" if kind in {"openai", "openai_compatible"} else root

    def start(self) -> FakeProviderServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def fake_provider():
    server = FakeProviderServer().start()
    yield server
    server.stop()
