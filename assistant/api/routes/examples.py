"""`GET /v1/examples`: example questions drawn from the documents the key sees."""

from __future__ import annotations

from fastapi import APIRouter, Request

from assistant.api.deps import AssistantDep, ReaderDep
from assistant.api.schemas import UNAVAILABLE
from assistant.service.examples import Examples

router = APIRouter(tags=["chat"])


@router.get("/v1/examples", responses=UNAVAILABLE)
def examples(request: Request, assistant: AssistantDep, principal: ReaderDep):
    """Up to four questions built from the documents' own sentences (a price paid, a sum set
    aside, a stake, a designation, a partnership, a company named): `{"questions": [...]}`."""
    state = request.app.state
    if getattr(state, "examples", None) is None:
        state.examples = Examples()
    view = assistant.retriever.snapshot().scoped(principal.collections)
    return {"questions": state.examples.for_view(view)}
