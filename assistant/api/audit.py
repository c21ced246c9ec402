"""The middleware that writes one audit line per `/v1/*` request (the log itself is
`assistant.auth.audit.AuditLog`), and what a route adds to its line."""

from __future__ import annotations

import logging
import time

from fastapi import Request

from assistant.core.collections import shown

log = logging.getLogger(__name__)


class AuditMiddleware:
    """Writes one audit line per `/v1/*` request when it ends (streams included)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").startswith("/v1/"):
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        state = scope.setdefault("state", {})
        status = {"code": 500}

        async def wrapped(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
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
        auth = getattr(scope.get("app").state, "auth", None) if scope.get("app") else None
        if auth is None:
            return
        p = state.get("principal")
        extra = state.get("audit") or {}
        if p is not None and "collections" not in extra:  # what this key may see ("*": all)
            extra = {"collections": shown(p.collections), **extra}
        try:
            auth.audit.write(
                key=getattr(p, "name", None), via=getattr(p, "via", None),
                method=scope.get("method"), route=scope.get("path"), status=code,
                latency_ms=round((time.perf_counter() - start) * 1000, 1),
                client=(scope.get("client") or ["?"])[0], **extra)
        except Exception:  # auditing must not take the request down with it
            log.exception("could not write the audit log")


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
