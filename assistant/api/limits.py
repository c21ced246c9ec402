"""A request body size limit, as a small pure-ASGI middleware.

A request whose `Content-Length` exceeds the limit is answered 413 before its body is read. A body
sent without a length (chunked) is counted as it arrives and answered 413 as soon as it passes
the limit; the application then sees the client as gone, and whatever it tries to send after
that is dropped. Either way the application never holds more than the limit in memory.

The limit is `Settings.max_request_bytes` (ASSISTANT_MAX_REQUEST_BYTES) for every path, except
where `PATH_LIMITS` names a larger (or smaller) one for a path prefix, for example an upload
route: `PATH_LIMITS["/v1/upload"] = 200_000_000`. The longest matching prefix wins.
"""

from __future__ import annotations

import json
from typing import Callable, Mapping

PATH_LIMITS: dict[str, int] = {}
# A path prefix -> the 413's JSON body for a limit (default `{"detail": ...}`): the
# OpenAI-compatible routes answer in OpenAI's error envelope. The longest matching prefix wins.
PATH_ERROR_BODIES: dict[str, Callable[[int], dict]] = {}


class BodyTooLarge(Exception):
    pass


def limit_for(path: str, default: int, overrides: Mapping[str, int]) -> int:
    best = None
    for prefix in overrides:
        if path.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return default if best is None else overrides[best]


class BodyLimitMiddleware:
    def __init__(self, app, max_bytes: int, overrides: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Read at each request (not copied), so code may add an override after start-up.
        self.overrides = PATH_LIMITS if overrides is None else overrides

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = limit_for(scope.get("path", ""), self.max_bytes, self.overrides)

        declared = _content_length(scope)
        if declared is not None and declared > limit:
            return await _reject(send, limit, scope.get("path", ""))

        received = 0
        # over: the body passed the limit; rejected: the 413 was sent (only possible while the
        # application has not started its own response).
        state = {"started": False, "over": False, "rejected": False}

        async def counted_receive():
            nonlocal received
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    state["over"] = True
                    if not state["started"]:
                        state["started"] = state["rejected"] = True
                        await _reject(send, limit, scope.get("path", ""))
                    # The application sees a client that went away: it stops reading.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if state["rejected"]:
                return  # the 413 has been sent; drop the application's own answer
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not state["rejected"]:
                raise
            # The application failed on the cut-off body; the client already has its 413.


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed length itself
    return None


async def _reject(send, limit: int, path: str = "") -> None:
    shape = PATH_ERROR_BODIES.get(max((p for p in PATH_ERROR_BODIES if path.startswith(p)),
                                      key=len, default=""))
    body = json.dumps(shape(limit) if shape else
                      {"detail": f"request body too large: the limit is {limit} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is never read
    ]})
    await send({"type": "http.response.body", "body": body})
