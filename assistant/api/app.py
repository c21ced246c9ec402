"""The HTTP API (FastAPI). Routes only translate HTTP to `Assistant` calls and back."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections import ChainMap
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from assistant.answers import Delta
from assistant.answers.llm import GenerationError
from assistant.auth.deps import Auth, ChatLimitDep, FeedbackLimitDep, Principal, ReaderDep
from assistant.auth.routes import AuditMiddleware
from assistant.auth.routes import router as auth_router
from assistant.documents import service as documents
from assistant.core.collections import shown
from assistant.core.config import Settings, get_settings
from assistant.service.conversations import UnknownConversation
from assistant.service.feedback import Feedback
from assistant.api.headers import SecurityHeadersMiddleware, add_docs
from assistant.api.limits import PATH_LIMITS, BodyLimitMiddleware
from assistant.service.responses import (
    DISK_FULL,
    NO_INDEX,
    STORE_TIMEOUT,
    build_response,
    public_error,
    store_unavailable,
)
from assistant.retrieval.hybrid import EmptyIndexError
from assistant.api.schemas import (
    SLACK_CONVERSATION_PREFIX,
    ChatRequest,
    ChatResponse,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    HealthResponse,
    SourcesResponse,
)
from assistant.service.assistant import Assistant
from assistant.index.store import EmbedderMismatch, StoreError

log = logging.getLogger(__name__)

def get_assistant(request: Request) -> Assistant:
    return request.app.state.assistant


AssistantDep = Annotated[Assistant, Depends(get_assistant)]


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
        log.info("authentication is %s", "on" if app.state.auth.enabled() else "off (no API key yet)")
        try:  # build the keyword index now, not on the first question
            app.state.assistant.retriever.snapshot()
        except (EmptyIndexError, StoreError) as exc:
            log.warning("index not ready at start-up: %s", exc)
        docs = documents.install(app, settings)  # the documents API's background job worker
        try:
            yield
        finally:
            docs.worker.stop()

    app = App(
        title="Biopharma document assistant",
        version="0.1.0",
        description="Answers questions about biopharma deals, approvals and CDMO practice with "
                    "citations to the passages each claim comes from.",
        lifespan=lifespan,
        docs_url=None,  # add_docs: Swagger UI from the app's own files, not a CDN
        redoc_url=None,
    )

    # Inner to outer: the body limit runs before anything reads the body; the audit line
    # records the requests it rejects too.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes,
                       overrides=ChainMap(PATH_LIMITS, documents.path_limits(settings)))
    app.add_middleware(AuditMiddleware)
    app.include_router(auth_router)
    app.include_router(documents.router)
    add_docs(app)
    unavailable = {503: {"model": ErrorResponse, "description": "No index, or the store is down."}}

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        # The default handler echoes the input, which a crafted body can make unserialisable
        # (NaN, Infinity, lone surrogates): that was a 500.
        return JSONResponse(status_code=422, content={"detail": validation_errors(exc)})

    @app.exception_handler(EmptyIndexError)
    async def _empty(request: Request, exc: EmptyIndexError):
        return JSONResponse(status_code=503, content={"detail": NO_INDEX})

    @app.exception_handler(UnknownConversation)
    async def _unknown_conversation(request: Request, exc: UnknownConversation):
        return JSONResponse(status_code=404, content={"detail": UnknownConversation.public})

    @app.exception_handler(GenerationError)
    async def _generation(request: Request, exc: GenerationError):
        return JSONResponse(status_code=exc.status, content={"detail": exc.public})

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError):
        log.error("store error: %s", exc)
        return JSONResponse(status_code=503, content={"detail": store_unavailable(exc)})

    @app.get("/health", response_model=HealthResponse, responses={
        503: {"model": ErrorResponse, "description": "Not ready to answer (no index yet, or "
                                                     "another embedding model's index)."}},
        response_model_exclude_none=True)
    async def health(assistant: AssistantDep):
        """Open to everyone, so it says nothing about the documents: no names, no counts, and
        one generic body for every reason it cannot answer. `{"status": "ok"}` when questions
        can be answered; `{"status": "degraded", "reason": ...}` (HTTP 200: the process is
        alive, restarting it would not help) while the store is out of disk space or not
        answering, within 2 s even then; 503 `{"detail": "not ready"}` when there is no index
        yet or the index was built with another embedding model (the authenticated routes, such
        as /v1/chat, and the log say which and what to do)."""
        guard = getattr(assistant.store.client, "guard", None)
        problem = guard.status() if guard is not None else None
        if problem is None:
            try:  # off the request thread pool, which hung store calls may be holding
                await asyncio.wait_for(asyncio.to_thread(assistant.retriever.snapshot), 2.0)
            except (EmptyIndexError, EmbedderMismatch) as exc:
                log.debug("health: not ready: %s", exc)
                return JSONResponse(status_code=503, content={"detail": NOT_READY})
            except (StoreError, asyncio.TimeoutError) as exc:
                problem = STORE_TIMEOUT_HEALTH if isinstance(
                    exc, asyncio.TimeoutError) else store_problem(exc)
        return {"status": "degraded", "reason": problem} if problem else {"status": "ok"}

    @app.get("/v1/sources", response_model=SourcesResponse, responses=unavailable)
    def sources(assistant: AssistantDep, principal: ReaderDep):
        """The documents this key's collections hold."""
        return {"sources": list(assistant.retriever.sources(principal.collections).values())}

    def check_conversation(conversation_id: str | None, assistant: Assistant,
                           principal: Principal) -> None:
        """404 "unknown conversation" unless the conversation exists and is this caller's
        (issue 13, point 4): an id that never existed, expired, or belongs to another key, or
        to a Slack thread (`slack-<team>-<channel>-<ts>`), gets the same answer, so nothing
        tells them apart and nothing of another's history is read or changed. Clients never
        choose new ids: a conversation starts with no id and the server returns one."""
        if conversation_id is None:
            return
        if conversation_id.startswith(SLACK_CONVERSATION_PREFIX):
            raise UnknownConversation(UnknownConversation.public)
        assistant.conversations.require(conversation_id, principal.owner)

    def conversation(body: ChatRequest, assistant: Assistant, principal: Principal) -> str:
        """The id of the conversation this question continues, or of a new one (server-made)."""
        check_conversation(body.conversation_id, assistant, principal)
        return body.conversation_id or assistant.conversations.new_id()

    def check_sources(body: ChatRequest, assistant: Assistant, principal) -> None:
        if body.sources:
            # A document of a collection this key does not see is unknown, word for word.
            known = assistant.retriever.sources(principal.collections)
            unknown = [s for s in body.sources if s not in known]
            if unknown:
                raise HTTPException(
                    status_code=422,
                    detail=f"unknown source(s): {', '.join(unknown)}; see GET /v1/sources",
                )

    @app.post("/v1/chat", response_model=ChatResponse, responses=unavailable)
    def chat(body: ChatRequest, assistant: AssistantDep, principal: ChatLimitDep, request: Request):
        cid = conversation(body, assistant, principal)
        check_sources(body, assistant, principal)
        result = assistant.ask(body.question, top_k=body.top_k, sources=body.sources,
                               conversation_id=cid, owner=principal.owner,
                               collections=principal.collections)
        response = build_response(result)
        audit_answer(request, body.question, response)
        return response

    @app.post("/v1/chat/stream", responses={
        **unavailable, 200: {"content": {"text/event-stream": {}},
                             "description": "A stream of Server-Sent Events."}})
    def chat_stream(body: ChatRequest, assistant: AssistantDep, principal: ChatLimitDep,
                    request: Request):
        """Server-Sent Events: `question` (what is searched), `delta` (answer text as it is
        ready), then `final` (the verified answer with its citations, as /v1/chat returns it),
        or `error`. Every event but `delta` and `error` carries the `conversation_id`."""
        cid = conversation(body, assistant, principal)
        check_sources(body, assistant, principal)
        assistant.retriever.snapshot()  # a missing index is a 503 before the stream starts

        def events():
            try:
                for item in assistant.stream(body.question, top_k=body.top_k, sources=body.sources,
                                             conversation_id=cid, owner=principal.owner,
                                             collections=principal.collections):
                    if isinstance(item, Delta):
                        yield sse("delta", {"text": item.text})
                    elif isinstance(item, dict):
                        yield sse("question", item)
                    else:
                        final = build_response(item)
                        audit_answer(request, body.question, final)
                        yield sse("final", final)
            except Exception as exc:  # the stream has started: report in-band, never a trace
                log.exception("streaming answer failed")
                yield sse("error", {"detail": public_error(exc)})

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post("/v1/feedback", response_model=FeedbackResponse, status_code=201)
    def feedback(body: FeedbackRequest, assistant: AssistantDep, principal: FeedbackLimitDep):
        """With a `conversation_id`, only that conversation's owner may give feedback on it
        (404 "unknown conversation" otherwise). The record keeps the key's name and owner."""
        check_conversation(body.conversation_id, assistant, principal)
        fid = assistant.feedback.add(Feedback(
            helpful=body.helpful, question=body.question, answer=body.answer,
            citations=body.citations, channel="web", standalone=body.standalone,
            comment=body.comment, conversation_id=body.conversation_id,
            user=principal.name, owner=principal.owner))
        return {"id": fid}

    if settings.slack_bot_token and settings.slack_signing_secret:
        # Slack's HTTP Events API at /slack/events (see assistant/slack).
        from assistant.slack.http import mount_slack

        mount_slack(app, settings)

    if WEB_DIR.exists():
        app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

        @app.get("/", include_in_schema=False)
        def page():
            return FileResponse(WEB_DIR / "index.html", media_type="text/html")

        @app.get("/favicon.ico", include_in_schema=False)
        def favicon():
            return Response(status_code=204)

    return app


WEB_DIR = Path(__file__).resolve().parents[1] / "web"
NOT_READY = "not ready"
STORE_TIMEOUT_HEALTH = "the store did not answer within 2 s"


def store_problem(exc: Exception) -> str:
    """/health's reason for a store error: generic words only (the exception's own text can
    name collections or paths; the log has it)."""
    text = store_unavailable(exc)
    if text in (DISK_FULL, STORE_TIMEOUT):
        return text
    log.warning("health: the store is unavailable: %s", exc)
    return "The index/conversation store is unavailable."


def audit_answer(request: Request, question: str, response: dict) -> None:
    """What the audit line of this request records beyond who, route, status and latency."""
    principal = getattr(request.state, "principal", None)
    request.state.audit = {
        "question": question,
        # the collections searched: "*" for all
        "collections": shown(None if principal is None else principal.collections),
        "cited": sorted({c["source"] for c in response.get("citations", [])}),
        "abstained": response.get("abstained"),
    }


def validation_errors(exc: RequestValidationError) -> list:
    """The 422 detail, always serialisable as strict JSON in UTF-8."""
    errors = []
    for err in exc.errors():
        err = dict(err)
        if isinstance(err.get("ctx"), dict):  # the ValueError of a validator, as its message
            err["ctx"] = {k: str(v) if isinstance(v, Exception) else v
                          for k, v in err["ctx"].items()}
        bad = err.get("input")
        if isinstance(bad, float) and not math.isfinite(bad):
            err["msg"] = f"{err.get('msg', 'Invalid input')} (got {bad!r}: not a finite number)"
        elif err.get("type") == "string_unicode":  # a str from JSON fails only on surrogates
            err["msg"] = f"{err.get('msg', 'Invalid text')} (it contains a lone surrogate; " \
                         "send valid Unicode)"
        # bounded first: a deeply nested input must not exhaust the stack while being encoded
        errors.append(json_safe(jsonable_encoder(json_safe(err))))
    return errors


ECHO_DEPTH = 8


def json_safe(value, depth: int = 0):
    """`value` with non-finite floats replaced by their repr ('nan', 'inf'), strings that are
    not valid Unicode (lone surrogates) by their escaped form ('\\ud800'), and containers nested
    deeper than ECHO_DEPTH by '...'."""
    if isinstance(value, (dict, list, tuple)) and depth > ECHO_DEPTH:
        return "..."
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, depth + 1) for v in value]
    return value


def sse(event: str, data: dict) -> str:
    """One Server-Sent Event; the JSON payload has no raw newlines, so one data line suffices."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
