"""A stand-in for Slack on loopback: the Web API (`/api/<method>`), response URLs
(`/respond/<key>`) and, for Socket Mode, a WebSocket endpoint. It records every call, answers
like Slack does, and can be told to fail."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0TEST"


@dataclass
class Call:
    method: str  # "chat.postMessage", ..., or "respond" for a response_url
    params: dict
    auth: str | None = None
    path: str = ""
    at: float = field(default_factory=time.time)


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._failures: dict[str, list[tuple[int, dict | None]]] = {}
        self._ts = itertools.count(1)
        self.ws_url: str | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                ctype = self.headers.get("content-type") or ""
                if raw and "json" in ctype:
                    params = json.loads(raw)
                else:
                    params = dict(parse_qsl(raw.decode()))
                    for key in ("blocks",):
                        if isinstance(params.get(key), str):
                            params[key] = json.loads(params[key])
                if self.path.startswith("/respond/"):
                    method = "respond"
                else:
                    method = self.path.split("/api/", 1)[-1].split("?")[0]
                status, body = fake._reply(method, params)
                fake._record(Call(method, params, self.headers.get("authorization"), self.path))
                data = json.dumps(body).encode() if body is not None else b"ok"
                self.send_response(status)
                self.send_header("content-type", "application/json" if body is not None else "text/plain")
                if method == "auth.test":
                    self.send_header("x-oauth-scopes", "app_mentions:read,chat:write,commands,im:history")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_url = f"{self.base}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> "FakeSlack":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- behaviour ----------------------------------------------------------------------------

    def fail(self, method: str, times: int = 1, status: int = 500, error: str | None = None) -> None:
        """The next `times` calls of `method` fail: HTTP `status`, or with `error` an
        `{"ok": false, "error": error}` body (HTTP 200) as Slack reports API errors."""
        with self._lock:
            self._failures.setdefault(method, []).extend(
                [(200, {"ok": False, "error": error}) if error else (status, {"ok": False})] * times)

    def _reply(self, method: str, params: dict) -> tuple[int, dict | None]:
        with self._lock:
            queue = self._failures.get(method)
            if queue:
                return queue.pop(0)
        ts = f"1800000000.{next(self._ts):06d}"
        if method == "auth.test":
            return 200, {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "assistant",
                         "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}
        if method == "chat.postMessage":
            return 200, {"ok": True, "channel": params.get("channel"), "ts": ts,
                         "message": {"text": params.get("text"), "ts": ts}}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": ts}
        if method == "apps.connections.open":
            return 200, {"ok": True, "url": self.ws_url}
        if method == "respond":
            return 200, None
        return 200, {"ok": True}

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    # --- inspection ---------------------------------------------------------------------------

    def recorded(self, method: str | None = None, where: Callable[[Call], bool] | None = None) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if (method is None or c.method == method) and (where is None or where(c))]

    def wait_for(self, method: str, where: Callable[[Call], bool] | None = None, count: int = 1,
                 timeout: float = 60.0) -> list[Call]:
        """Poll until `count` matching calls are recorded; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.recorded(method, where)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {count} x {method}; got {len(found)}: "
                                     f"{[(c.method, c.params.get('channel')) for c in self.calls]}")
            time.sleep(0.02)
