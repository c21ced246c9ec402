"""Who is asking an MCP request, and what their audit line records.

The transport decides (`http` from the request's API key, `stdio` once at start-up) and
`CallerMiddleware` makes it the current caller while the request is handled: the tools and the
resource list read it with `current()`."""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from mcp.server.mcpserver.exceptions import ToolError

from assistant.api.deps import Principal
from assistant.service.assistant import Assistant

CHANNEL = "mcp"
_CALLER: contextvars.ContextVar["Caller"] = contextvars.ContextVar("mcp_caller")


@dataclass
class Caller:
    # The service, when it is ready (it may still be loading: call it from a worker thread).
    service: Callable[[], Assistant]
    principal: Principal
    # What this request's audit line records beyond who, route, status and latency (over HTTP
    # the request's own `request.state.audit`, written by the API's audit middleware).
    audit: dict = field(default_factory=lambda: {"channel": CHANNEL})
    # Counts a question against the key's rate limit: None when allowed, else the message.
    rate_limit: Callable[[], str | None] = lambda: None

    @property
    def assistant(self) -> Assistant:
        return self.service()

    def check_rate(self) -> None:
        refused = self.rate_limit()
        if refused:
            raise ToolError(refused)


def current() -> Caller:
    try:
        return _CALLER.get()
    except LookupError:
        raise ToolError("no caller for this request") from None


class CallerMiddleware:
    """SDK middleware (`MCPServer.middleware`): makes `resolve(request)` the current caller for
    the request and notes the MCP method (and tool) on its audit line; `done(caller, ok,
    seconds)` runs after a request (stdio writes its audit line there; over HTTP the API's
    audit middleware does)."""

    def __init__(self, resolve: Callable[[Any], Caller],
                 done: Callable[[Caller, bool, float], None] | None = None) -> None:
        self.resolve = resolve
        self.done = done

    async def __call__(self, ctx, call_next):
        caller = self.resolve(ctx.request)
        caller.audit["mcp_method"] = ctx.method
        if ctx.method == "tools/call" and isinstance(ctx.params, dict):
            caller.audit["tool"] = str(ctx.params.get("name"))[:64]
        token = _CALLER.set(caller)
        start, ok = time.perf_counter(), False
        try:
            result = await call_next(ctx)
            ok = not getattr(result, "is_error", False)
            if not ok:
                caller.audit["error"] = True
            return result
        finally:
            _CALLER.reset(token)
            if self.done is not None and ctx.request_id is not None:
                self.done(caller, ok, time.perf_counter() - start)
