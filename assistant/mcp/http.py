"""The MCP server over streamable HTTP, at `/v1/mcp` on the API server.

Behind the same API keys as every `/v1` route (`Authorization: Bearer <key>`; a missing or wrong
key is a 401 before anything MCP sees the request), with the key's role, collections and
question rate limit. Stateless and with JSON responses: each POST stands alone, so it works
behind any proxy and with several worker processes. The API's audit middleware writes one line
per request (`"channel": "mcp"`, and for a tool call the tool and what it asked and cited); the
API's body-size limit applies too."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.security import HTTPBearer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from assistant.api.deps import current as authenticate
from assistant.api.deps import get_auth
from assistant.auth.keys import RANK
from assistant.mcp.caller import CHANNEL, Caller, CallerMiddleware
from assistant.mcp.server import build_server

PATH = "/v1/mcp"
_bearer = HTTPBearer(auto_error=False)


def _caller(request: Request | None) -> Caller:
    """The caller of a request that `KeyGate` let through."""
    assert request is not None, "the HTTP transport always carries its request"
    state = request.scope["state"]
    principal = state["principal"]
    auth = get_auth(request)
    address = request.client.host if request.client else "?"

    def rate_limit() -> str | None:
        v = auth.limiter.chat(principal.name if principal.key_id else None, address)
        return None if v.allowed else "Too many questions; slow down and try again shortly."

    app = request.app
    return Caller(service=lambda: app.state.assistant, principal=principal,
                  audit=state["audit"], rate_limit=rate_limit)


class KeyGate:
    """Authenticates a request as `/v1/chat` does (`api.deps.current`), then hands it to the
    SDK's session manager; refusals are JSON-RPC errors with the HTTP status (401 with
    `WWW-Authenticate: Bearer`, 403, 429 with Retry-After)."""

    def __init__(self, handle) -> None:
        self.handle = handle

    async def __call__(self, scope, receive, send):
        # A plain Starlette route does not name itself in the scope (FastAPI's routes do): the
        # audit line records this route's template, not "(unknown)".
        scope.setdefault("route", Route(PATH, self))
        request = Request(scope, receive)
        request.state.audit = {"channel": CHANNEL}
        try:
            bearer = await _bearer(request)
            principal = await run_in_threadpool(authenticate, request, bearer)
            if RANK[principal.role] < RANK["reader"]:
                raise HTTPException(403, f"This key's role ({principal.role}) cannot ask.")
        except HTTPException as exc:
            return await _refuse(send, exc)
        await self.handle(scope, receive, send)


async def _refuse(send, exc: HTTPException) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": None,
                       "error": {"code": -32001, "message": str(exc.detail)}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), str(v).encode()) for k, v in (exc.headers or {}).items()]
    await send({"type": "http.response.start", "status": exc.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def mount_mcp(app: FastAPI) -> None:
    """Serve MCP at PATH and run its session manager for the app's lifetime."""
    server = build_server(CallerMiddleware(_caller))
    server.streamable_http_app(  # makes the session manager; its own Starlette app is not used
        stateless_http=True, json_response=True,
        # The API keys guard this route (and the API serves no cookies to it); the Host check
        # would refuse every name the server is reached by but loopback.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
    manager = server.session_manager
    app.router.routes.append(Route(PATH, KeyGate(manager.handle_request),
                                   methods=["GET", "POST", "DELETE"]))
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a):
        async with manager.run():
            async with inner(a) as state:
                yield state

    app.router.lifespan_context = lifespan
