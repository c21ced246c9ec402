"""The OpenAI-compatible endpoint: `POST /v1/chat/completions` and `GET /v1/models`.

A client configured with `base_url=http://HOST:8000/v1` and `api_key=<an API key of this server>`
(the openai SDK, Open WebUI, LibreChat) asks its questions here. Everything behind it is
`/v1/chat`'s path: the same keys, roles, collections and rate limits (`api.deps`), the same
service call (`Assistant.ask` / `stream`), the same response (`build_response`), the same audit
line, with `"channel": "openai"`. Only the shapes differ: OpenAI's request, completion, stream
chunks and error envelope (`api.openai_compat`)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from assistant.answers import Delta
from assistant.api.audit import audit_answer
from assistant.api.deps import AssistantDep, ChatLimitDep, ReaderDep, check_sources
from assistant.api.limits import PATH_ERROR_BODIES
from assistant.api.openai_compat import objects
from assistant.api.openai_compat.errors import (
    CHANNEL,
    OpenAIError,
    OpenAIRoute,
    as_openai,
    envelope,
    too_large,
)
from assistant.api.openai_compat.schemas import CompletionRequest, Conversation
from assistant.service.assistant import Assistant, Result
from assistant.service.models import answerers, streams_final_text
from assistant.service.responses import build_response
from assistant.service.transcript import sources_block, turns_from

log = logging.getLogger(__name__)
router = APIRouter(tags=["openai"], route_class=OpenAIRoute)
for _path in ("/v1/chat/completions", "/v1/models"):
    PATH_ERROR_BODIES[_path] = too_large
CREATED = 1_767_225_600  # 2026-01-01: when these model ids were first served
ERRORS = {s: {"description": d} for s, d in (
    (400, "Bad request (OpenAI error envelope)."), (401, "Missing or wrong API key."),
    (403, "The key's role does not allow this."), (404, "Unknown model."),
    (413, "Body over the size limit."), (429, "Rate limited (Retry-After)."),
    (503, "No index, or the store is down."))}


def _model(model_id: str) -> dict:
    return {"id": model_id, "object": "model", "created": CREATED, "owned_by": "assistant"}


@router.get("/v1/models", responses=ERRORS)
def list_models(assistant: AssistantDep, principal: ReaderDep):
    """One model per answerer: the configured one first (the default), then `extractive`."""
    return {"object": "list", "data": [_model(m) for m in answerers(assistant)]}


@router.get("/v1/models/{model_id:path}", responses=ERRORS)
def get_model(model_id: str, assistant: AssistantDep, principal: ReaderDep):
    _choose(assistant, model_id)
    return _model(model_id)


def _choose(assistant: Assistant, model_id: str | None):
    """(model id, generator); 404 `model_not_found` for an id not in /v1/models."""
    models = answerers(assistant)
    model_id = model_id or next(iter(models))
    if model_id not in models:
        raise OpenAIError(404, f"The model `{model_id}` does not exist. Models: "
                               f"{', '.join(models)} (GET /v1/models).",
                          code="model_not_found", param="model")
    return model_id, models[model_id]


@router.post("/v1/chat/completions", responses={**ERRORS, 200: {
    "description": "A chat.completion, or with `stream` a stream of chat.completion.chunk "
                   "events ending with `data: [DONE]`.",
    "content": {"application/json": {}, "text/event-stream": {}}}})
def chat_completions(body: CompletionRequest, assistant: AssistantDep, principal: ChatLimitDep,
                     request: Request):
    """The last user message is the question, the turns before it the conversation (follow-ups
    are rewritten into standalone questions as in /v1/chat). The content is the answer with its
    [n] markers and a "Sources" list; `citations` and `details` carry the structured answer."""
    model_id, generator = _choose(assistant, body.model)
    try:
        convo = Conversation(body.messages)
    except ValueError as exc:
        raise OpenAIError(400, str(exc), param="messages") from None
    check_sources(body, assistant, principal)
    ask = dict(top_k=body.top_k, sources=body.sources, owner=principal.owner,
               collections=principal.collections, history=turns_from(convo.exchanges),
               generator=generator)
    if body.stream:
        assistant.retriever.snapshot()  # a missing index is a 503 before the stream starts
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(
            _events(assistant, convo, ask, model_id, request, include_usage),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    response = build_response(assistant.ask(convo.question, **ask))
    _audit(request, convo.question, response, model_id)
    return objects.completion(objects.completion_id(), model_id, response, convo.prompt)


@router.api_route("/v1/chat/completions", methods=["GET", "PUT", "PATCH", "DELETE"],
                  include_in_schema=False)
def wrong_method(request: Request):
    raise OpenAIError(405, f"{request.method} is not allowed here: POST a chat completion request.",
                      headers={"Allow": "POST"})


def _events(assistant: Assistant, convo: Conversation, ask: dict, model_id: str,
            request: Request, include_usage: bool):
    """The answer's chunks. The extractive answerer's deltas are its final text and stream as
    they come; an LLM's draft is held back and only the verified answer is sent (a chat client
    cannot take text back). Then the sources, the last chunk with the citations, [DONE]."""
    chunks = objects.Chunks(objects.completion_id(), model_id)
    live = streams_final_text(ask["generator"])
    sent = ""
    yield chunks.role()
    try:
        for item in assistant.stream(convo.question, **ask):
            if isinstance(item, Delta) and live and item.text:
                sent += item.text
                yield chunks.text(item.text)
            elif isinstance(item, Result):
                response = build_response(item)
                _audit(request, convo.question, response, model_id)
                answer = response["answer"]
                rest = answer[len(sent):] if answer.startswith(sent) else "\n\n" + answer
                tail = sources_block(response)
                for text in (rest, tail):
                    if text:
                        yield chunks.text(text)
                yield chunks.final(response)
                if include_usage:
                    yield chunks.usage(convo.prompt, answer + tail)
    except Exception as exc:  # the stream has started: report in-band, never a trace
        error = as_openai(exc)
        yield objects.data(envelope(error.status, error.message, error.code))
    yield objects.DONE


def _audit(request: Request, question: str, response: dict, model_id: str) -> None:
    audit_answer(request, question, response)
    request.state.audit.update(channel=CHANNEL, model=model_id)
