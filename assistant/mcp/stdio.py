"""`python -m assistant mcp`: the MCP server over stdio, for desktop clients that start it
themselves (Claude Desktop and the like).

It answers as the local user (like `python -m assistant ask`: every collection), or, with an API
key (`--key` or ASSISTANT_MCP_KEY), as that key: its collections apply. The protocol starts at
once; the index and the embedder load in the background, and the first tool call waits for
them. Nothing but protocol goes to stdout (logs go to stderr); each request writes an audit line
(`"channel": "mcp"`, `"via": "stdio"`)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from assistant.api.deps import LOCAL, Auth, Principal
from assistant.auth.audit import AuditLog
from assistant.core.config import Settings
from assistant.mcp.caller import CHANNEL, Caller, CallerMiddleware
from assistant.mcp.server import build_server

log = logging.getLogger(__name__)


class KeyRefused(ValueError):
    pass


class Background:
    """The Assistant, built in a thread once the server has started (`start`, from the server's
    lifespan: by then the SDK has moved the protocol off fd 1 and points fd 1 at stderr, so
    nothing the loading prints can reach the protocol)."""

    def __init__(self, build) -> None:
        self._build = build
        self._value = None
        self._error: BaseException | None = None
        self._done = threading.Event()

    @contextlib.asynccontextmanager
    async def start(self, _server):
        threading.Thread(target=self._run, name="assistant-load", daemon=True).start()
        yield {}

    def _run(self) -> None:
        try:
            self._value = self._build()
        except BaseException as exc:  # reported to every caller
            self._error = exc
        finally:
            self._done.set()

    def __call__(self):
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value


def principal_for(settings: Settings, key: str | None) -> Principal:
    """The local user, or the key's principal (KeyRefused for a wrong or revoked key)."""
    if not key:
        return Principal(name=LOCAL.name, role=LOCAL.role, collections=None, via="stdio")
    from assistant.auth.keys import KeyStore
    from assistant.index.client import make_client

    record = KeyStore(make_client(settings), settings.collection_prefix).verify(key)
    if record is None:
        raise KeyRefused("the API key is wrong or revoked")
    return Auth.principal(record, "stdio")


def serve(settings: Settings, key: str | None = None, assistant=None) -> None:
    """Serve MCP on stdin/stdout until the client closes them."""
    from assistant.service.assistant import Assistant

    principal = principal_for(settings, key)
    service = Background(lambda: assistant or Assistant.from_settings(settings))
    audit = AuditLog(settings.audit_path, settings.audit_retention_days)

    def resolve(_request) -> Caller:
        return Caller(service=service, principal=principal, audit={"channel": CHANNEL})

    def done(caller: Caller, ok: bool, seconds: float) -> None:
        p = caller.principal
        try:
            audit.write(key=p.name, via="stdio", method="MCP", route="mcp:stdio",
                        status=200 if ok else 400, latency_ms=round(seconds * 1000, 1),
                        client="stdio", **{"collections": _shown(p), **caller.audit})
        except Exception:  # auditing must not take the answer down with it
            log.exception("could not write the audit log")

    started = time.perf_counter()
    log.info("MCP over stdio as %s (collections %s)", principal.name, _shown(principal))
    build_server(CallerMiddleware(resolve, done), lifespan=service.start).run("stdio")
    log.info("MCP over stdio ended after %.0f s", time.perf_counter() - started)


def _shown(p: Principal):
    from assistant.core.collections import shown

    return shown(p.collections)
