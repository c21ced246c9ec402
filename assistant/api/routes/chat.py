"""`POST /v1/chat`: a question in, a verified answer with citations out."""

from __future__ import annotations

from fastapi import APIRouter, Request

from assistant.api.audit import audit_answer
from assistant.api.deps import AssistantDep, ChatLimitDep, check_sources, conversation
from assistant.api.schemas import UNAVAILABLE, ChatRequest, ChatResponse
from assistant.service.responses import build_response

router = APIRouter(tags=["chat"])


@router.post("/v1/chat", response_model=ChatResponse, responses=UNAVAILABLE)
def chat(body: ChatRequest, assistant: AssistantDep, principal: ChatLimitDep, request: Request):
    cid = conversation(body, assistant, principal)
    check_sources(body, assistant, principal)
    result = assistant.ask(body.question, top_k=body.top_k, sources=body.sources,
                           conversation_id=cid, owner=principal.owner,
                           collections=principal.collections)
    response = build_response(result)
    audit_answer(request, body.question, response)
    return response
