"""`POST /v1/chat/stream`: the same question, answered as Server-Sent Events."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from assistant.answers import Delta
from assistant.api.audit import audit_answer
from assistant.api.deps import AssistantDep, ChatLimitDep, check_sources, conversation
from assistant.api.schemas import UNAVAILABLE, ChatRequest
from assistant.service.responses import build_response, public_error

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat"])


@router.post("/v1/chat/stream", responses={
    **UNAVAILABLE, 200: {"content": {"text/event-stream": {}},
                         "description": "A stream of Server-Sent Events."}})
def chat_stream(body: ChatRequest, assistant: AssistantDep, principal: ChatLimitDep,
                request: Request):
    """Server-Sent Events: `question` (what is searched), `delta` (answer sentences as each
    is complete and verified: a language model's unverified draft is never sent), then `final`
    (the verified answer with its citations, as /v1/chat returns it), or `error`. Every event
    but `delta` and `error` carries the `conversation_id`."""
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



def sse(event: str, data: dict) -> str:
    """One Server-Sent Event; the JSON payload has no raw newlines, so one data line suffices."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
