"""The middleware that writes one audit line per `/v1/*` request (the log itself is
`assistant.auth.audit.AuditLog`), and what a route adds to its line.

The line records the route's template (`/v1/documents/{document_id}`), never the raw path: a
client cannot grow a line by sending a long URL. A request to a `/v1` path that no route serves
is logged as route "(unknown)" with the first PATH_SHOWN characters of its path; it, and any 404
answered to a client without a key, is counted per client address: past
`ASSISTANT_RATE_LIMIT_UNMATCHED_PER_ADDRESS` it gets a 429 instead, and no line.
Rate-limit refusals (429) of clients without a key are logged at most once a minute per address.
"""

from __future__ import annotations

import json
import logging
import time

from fastapi import Request

from assistant.core.collections import shown

log = logging.getLogger(__name__)
UNKNOWN_ROUTE = "(unknown)"
PATH_SHOWN = 120


def route_template(scope) -> str | None:
    """The path template of the route that serves this request (set in the scope by the
    router once it has matched one), or None when none did."""
    route = scope.get("route")
    return getattr(route, "path", None) if route is not None else None


async def _too_many(send, retry_after: int) -> None:
    body = json.dumps({"detail": "Too many requests to unknown paths; try again later."}).encode()
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode())]})
    await send({"type": "http.response.body", "body": body})


class AuditMiddleware:
    """Writes one audit line per `/v1/*` request when it ends (streams included)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").startswith("/v1/"):
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        state = scope.setdefault("state", {})
        status = {"code": 500, "throttled": False}
        auth = _auth(scope)

        async def wrapped(message):
            if status["throttled"]:
                return  # the 429 was sent instead of the application's 404
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                state["_route"] = route_template(scope)
                if auth is not None and _keyless_not_found(state, message["status"]):
                    verdict = auth.limiter.unmatched(_client(scope))
                    if not verdict.allowed:  # no line: a flood cannot grow the log
                        status["throttled"] = state["_audited"] = True
                        return await _too_many(send, verdict.retry_after)
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self._write(scope, state, status["code"], start)

        try:
            await self.app(scope, receive, wrapped)
        except BaseException:
            self._write(scope, state, 500, start)
            raise

    @staticmethod
    def _write(scope, state: dict, code: int, start: float) -> None:
        if state.get("_audited"):
            return
        state["_audited"] = True
        auth = _auth(scope)
        if auth is None:
            return
        p = state.get("principal")
        if code == 429 and p is None and not auth.limiter.audit_refusal(_client(scope)):
            return  # refusals of keyless clients: one line a minute per address
        extra = state.get("audit") or {}
        if p is not None and "collections" not in extra:  # what this key may see ("*": all)
            extra = {"collections": shown(p.collections), **extra}
        route = state.get("_route")
        if route is None:
            extra = {"path": str(scope.get("path", ""))[:PATH_SHOWN], **extra}
        try:
            auth.audit.write(
                key=getattr(p, "name", None), via=getattr(p, "via", None),
                method=str(scope.get("method"))[:16], route=route or UNKNOWN_ROUTE, status=code,
                latency_ms=round((time.perf_counter() - start) * 1000, 1),
                client=_client(scope), **extra)
        except Exception:  # auditing must not take the request down with it
            log.exception("could not write the audit log")


def _keyless_not_found(state: dict, status: int) -> bool:
    """A path no route serves, or a 404 for a client without a key (anyone can cause it)."""
    p = state.get("principal")
    return state["_route"] is None or (status == 404 and getattr(p, "key_id", None) is None)


def _auth(scope):
    app = scope.get("app")
    return getattr(app.state, "auth", None) if app is not None else None


def _client(scope) -> str:
    return (scope.get("client") or ["?"])[0]


def audit_answer(request: Request, question: str, response: dict) -> None:
    """What the audit line of this request records beyond who, route, status and latency."""
    request.state.audit = answer_audit(getattr(request.state, "principal", None), question,
                                       response)


def answer_audit(principal, question: str, response: dict) -> dict:
    """An answer's audit fields (also written by channels that are not routes: MCP)."""
    return {
        "question": question,
        # the collections searched: "*" for all
        "collections": shown(None if principal is None else principal.collections),
        "cited": sorted({c["source"] for c in response.get("citations", [])}),
        "abstained": response.get("abstained"),
    }
