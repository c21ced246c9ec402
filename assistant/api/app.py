"""The HTTP API (FastAPI): settings, the lifespan that builds the service once, middleware and one
router per resource (`assistant/api/routes/`). Routes only translate HTTP to service calls."""

from __future__ import annotations

import logging
from collections import ChainMap
from contextlib import asynccontextmanager

from fastapi import FastAPI

from assistant.api import errors
from assistant.api.audit import AuditMiddleware
from assistant.api.deps import Auth
from assistant.api.headers import SecurityHeadersMiddleware, add_docs
from assistant.api.hosts import HostGuardMiddleware
from assistant.api.limits import PATH_LIMITS, BodyLimitMiddleware
from assistant.api.routes import (
    audit,
    chat,
    documents,
    examples,
    feedback,
    health,
    keys,
    openai,
    records,
    session,
    sources,
    stream,
    web,
)
from assistant.core.config import Settings, get_settings
from assistant.documents.service import Documents
from assistant.index.errors import StoreError
from assistant.mcp.http import mount_mcp
from assistant.retrieval.hybrid import EmptyIndexError
from assistant.service.assistant import Assistant

log = logging.getLogger(__name__)
ROUTERS = (health, sources, chat, stream, feedback, documents, session, keys, audit, openai,
           examples, records)


class App(FastAPI):
    """FastAPI with the security headers outside its whole middleware stack, so that they are
    on every response, including the 500 that Starlette's outermost ServerErrorMiddleware sends
    (`add_middleware` only wraps what is inside that one)."""

    def build_middleware_stack(self):
        return SecurityHeadersMiddleware(super().build_middleware_stack())


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.assistant = assistant or Assistant.from_settings(settings)
        app.state.auth = Auth(settings, app.state.assistant.store.client)
        app.state.documents = Documents(settings, app.state.assistant)
        log.info("authentication is %s", "on" if app.state.auth.enabled() else "off (no API key yet)")
        try:  # build the keyword index now, not on the first question
            app.state.assistant.retriever.snapshot()
        except (EmptyIndexError, StoreError) as exc:
            log.warning("index not ready at start-up: %s", exc)
        yield

    app = App(title="Biopharma document assistant", version="0.1.0", lifespan=lifespan,
              description="Answers questions about biopharma deals, approvals and CDMO practice "
                          "with citations to the passages each claim comes from.",
              docs_url=None, redoc_url=None)  # add_docs: Swagger UI from the app's own files
    # Inner to outer: the body limit runs before anything reads the body; the audit line
    # records the requests it rejects too.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes,
                       overrides=ChainMap(PATH_LIMITS, documents.path_limits(settings)))
    app.add_middleware(AuditMiddleware)
    app.add_middleware(HostGuardMiddleware, settings=settings)  # before anything is logged
    app.state.settings = settings
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    mount_mcp(app)  # MCP over streamable HTTP at /v1/mcp (assistant/mcp/http.py)
    add_docs(app)
    if settings.slack_bot_token and settings.slack_signing_secret:
        from assistant.slack.http import (
            mount_slack,  # Slack's HTTP Events API at /slack/events
        )

        mount_slack(app, settings)
    web.mount_page(app)
    return app


def server_options(settings: Settings) -> dict:
    """uvicorn options every way of serving the app uses (`python -m assistant serve`, tests):
    X-Forwarded-For / -Proto are believed only from `ASSISTANT_TRUSTED_PROXIES` (none by
    default; uvicorn's own default trusts loopback, so any local client could pick its address,
    escape the per-address limits and forge the audit line's `client`: red-team row 8)."""
    proxies = [p for p in settings.trusted_proxies if p.strip()]
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None,
            "server_header": False}
