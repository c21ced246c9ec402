"""`GET /health`: open to everyone, says nothing about the documents."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from assistant.api.deps import AssistantDep
from assistant.api.schemas import ErrorResponse, HealthResponse
from assistant.index.errors import EmbedderMismatch, StoreError
from assistant.retrieval.hybrid import EmptyIndexError
from assistant.service.responses import DISK_FULL, STORE_TIMEOUT, store_unavailable

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse, responses={
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
