"""A webhook receiver on 127.0.0.1 for tests: answers each POST with the next scripted status.

`/redirect` answers 302 to `/landing`; every request (path, headers, raw body) is recorded.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def log_message(self, format, *args) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
            status = self.server.statuses.pop(0) if self.server.statuses else 200
        if self.path == "/redirect":
            status = 302
        self.send_response(status)
        if status in (301, 302, 307, 308):
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/landing")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]


@pytest.fixture
def webhook_receiver():
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
