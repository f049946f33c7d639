"""A fake AI provider on 127.0.0.1 speaking OpenAI-, Anthropic-, Gemini- and Ollama-style routes.

Key "sk-good" works, any other is refused; model "missing-model" is 404, "slow-model" answers after
SLOW_SECONDS, "busy-model" is 429; every other model exists. Requests are recorded.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

GOOD_KEY = "sk-good"
SLOW_SECONDS = 3.0


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

    def do_POST(self) -> None:
        if self.path == "/api/show":
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            return self._answer(body.get("model", ""))
        self._send(404, {"error": "no such route"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[dict]


class FakeProviderServer:
    """Start with `.start()`, point a provider at `.base_url(kind)`, stop with `.stop()`."""

    def __init__(self) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.requests = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[dict]:
        return self.server.requests

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
