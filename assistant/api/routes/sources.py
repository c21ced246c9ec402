"""`GET /v1/sources`: the documents the key's collections hold."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api.deps import AssistantDep, ReaderDep
from assistant.api.schemas import UNAVAILABLE, SourcesResponse

router = APIRouter(tags=["chat"])


@router.get("/v1/sources", response_model=SourcesResponse, responses=UNAVAILABLE)
def sources(assistant: AssistantDep, principal: ReaderDep):
    """The documents this key's collections hold."""
    return {"sources": list(assistant.retriever.sources(principal.collections).values())}
