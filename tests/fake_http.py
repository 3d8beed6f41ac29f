"""What the local fakes of outside providers share: a threaded HTTP server on a free port,
requests recorded as they arrive, scripted one-off failures, routing by path pattern and
JSON answers.

A fake subclasses ``FakeService`` and gives its ``_routes()`` (path regex, method,
handler) and ``problem_body()`` (the provider's error shape); anything a request gets
wrong is recorded in ``problems`` for the test fixture to fail on.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["FakeService", "Recorded", "Reply"]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    json: Any = None


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering (the request's effect has already happened).
    delay: float = 0


class FakeService:
    """One provider's endpoints on ``127.0.0.1`` (``start``, ``stop``, ``url``)."""

    # Whether request paths are percent-decoded before routing.
    unquote_paths: ClassVar[bool] = False
    json_content_type: ClassVar[str] = "application/json; charset=UTF-8"

    def __init__(self, *, first_id: int = 1) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.fake = self  # type: ignore[attr-defined]
        self.lock = threading.RLock()
        self.ids = itertools.count(first_id)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.reset()

    # Life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        self.requests: list[Recorded] = []
        self.problems: list[str] = []
        self.faults: list[tuple[str, str, Reply]] = []

    # What tests set up -----------------------------------------------------------------------

    def fail(self, method: str, path_part: str, status: int, body=None, headers=None) -> None:
        """Answer the next ``method`` request whose path contains ``path_part`` with an error."""
        reply = Reply(status, body or self.fault_body(status), headers or {})
        self.faults.append((method, path_part, reply))

    def fault_body(self, status: int) -> Any:
        return {}

    def calls(self, method: str, path_part: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    # Request handling ------------------------------------------------------------------------

    def handle(self, recorded: Recorded) -> Reply:
        with self.lock:
            self.requests.append(recorded)
            for index, (method, part, reply) in enumerate(self.faults):
                if method == recorded.method and part in recorded.path:
                    del self.faults[index]
                    return reply
            for pattern, method, handler in self._routes():
                match = re.fullmatch(pattern, recorded.path)
                if match and method == recorded.method:
                    return handler(recorded, **match.groupdict())
            return self._problem(f"unexpected {recorded.method} {recorded.path}", 404)

    def _routes(self) -> list[tuple[str, str, Any]]:
        raise NotImplementedError

    def problem_body(self, message: str, status: int) -> Any:
        raise NotImplementedError

    def _problem(self, message: str, status: int = 400) -> Reply:
        self.problems.append(message)
        return Reply(status, self.problem_body(message, status))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _recorded(self, fake: FakeService) -> Recorded:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        recorded = Recorded(
            method=self.command,
            path=unquote(parts.path) if fake.unquote_paths else parts.path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        content_type = self.headers.get("Content-Type", "")
        if raw and content_type.startswith("application/x-www-form-urlencoded"):
            recorded.form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
        elif raw and content_type.startswith("application/json"):
            recorded.json = json.loads(raw)
        elif raw:
            fake.problems.append(f"{self.command} {parts.path}: body of type {content_type!r}")
        return recorded

    def _serve(self) -> None:
        fake: FakeService = self.server.fake  # type: ignore[attr-defined]
        reply = fake.handle(self._recorded(fake))
        if reply.delay:
            time.sleep(reply.delay)
        # A body with its own Content-Type (a script, a page) is sent as it is; else JSON.
        own_type = "Content-Type" in reply.headers
        if reply.body is None or reply.status == 204:
            payload = b""
        elif own_type:
            payload = reply.body if isinstance(reply.body, bytes) else str(reply.body).encode()
        else:
            payload = json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if payload and not own_type:
                self.send_header("Content-Type", fake.json_content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout under test)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve  # noqa: N815 (http.server names)

    def log_message(self, format, *args) -> None:  # noqa: A002 (the base class's name)
        return
