"""The HTTP API (FastAPI). Routes only translate HTTP to `Assistant` calls and back."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from assistant.config import Settings, get_settings
from assistant.retrieval import EmptyIndexError
from assistant.schemas import (
    ChatRequest,
    ChatResponse,
    ErrorResponse,
    HealthResponse,
    SourcesResponse,
)
from assistant.service import Assistant, Result
from assistant.store import StoreError

log = logging.getLogger(__name__)

NO_INDEX = ("The index is empty: nothing has been ingested yet. Run `make ingest` "
            "(or `python -m ingest PATH...`) and try again.")


def build_response(result: Result) -> dict:
    """The `/v1/chat` JSON for an assistant result (also used by the CLI and the evals)."""
    a = result.answer
    return {
        "answer": a.answer,
        "citations": [
            {"n": c.n, "source": c.source, "title": c.title, "text": c.text, "page": c.page,
             "score": c.score, "section": c.section}
            for c in a.citations
        ],
        "abstained": a.abstained,
        "generator": a.generator,
        "reason": a.reason,
    }


def get_assistant(request: Request) -> Assistant:
    return request.app.state.assistant


AssistantDep = Annotated[Assistant, Depends(get_assistant)]


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.assistant = assistant or Assistant.from_settings(settings)
        try:  # build the keyword index now, not on the first question
            app.state.assistant.retriever.snapshot()
        except (EmptyIndexError, StoreError) as exc:
            log.warning("index not ready at start-up: %s", exc)
        yield

    app = FastAPI(
        title="Biopharma document assistant",
        version="0.1.0",
        description="Answers questions about biopharma deals, approvals and CDMO practice with "
                    "citations to the passages each claim comes from.",
        lifespan=lifespan,
    )

    unavailable = {503: {"model": ErrorResponse, "description": "No index, or the store is down."}}

    @app.exception_handler(EmptyIndexError)
    async def _empty(request: Request, exc: EmptyIndexError):
        return JSONResponse(status_code=503, content={"detail": NO_INDEX})

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError):
        log.error("store error: %s", exc)
        return JSONResponse(status_code=503, content={"detail": f"The index is unavailable: {exc}"})

    @app.get("/health", response_model=HealthResponse, responses=unavailable)
    def health(assistant: AssistantDep):
        snap = assistant.retriever.snapshot()
        return {"status": "ok", "chunks": snap.size}

    @app.get("/v1/sources", response_model=SourcesResponse, responses=unavailable)
    def sources(assistant: AssistantDep):
        return {"sources": list(assistant.retriever.sources().values())}

    @app.post("/v1/chat", response_model=ChatResponse, responses=unavailable)
    def chat(body: ChatRequest, assistant: AssistantDep):
        if body.sources:
            known = assistant.retriever.sources()
            unknown = [s for s in body.sources if s not in known]
            if unknown:
                raise HTTPException(
                    status_code=422,
                    detail=f"unknown source(s): {', '.join(unknown)}; see GET /v1/sources",
                )
        result = assistant.ask(body.question, top_k=body.top_k, sources=body.sources)
        return build_response(result)

    return app
