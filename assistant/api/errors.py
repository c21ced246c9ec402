"""Errors as HTTP responses: each domain error once, with its public text; 422s that are always
serialisable."""

from __future__ import annotations

import logging
import math

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from assistant.answers.llm import GenerationError
from assistant.documents.service import Conflict, NotFound
from assistant.index.errors import StoreError
from assistant.retrieval.hybrid import EmptyIndexError
from assistant.service.conversations import UnknownConversation
from assistant.service.responses import NO_INDEX, store_unavailable

log = logging.getLogger(__name__)
HANDLERS: dict = {}


def _handles(exc_type):
    def register(fn):
        HANDLERS[exc_type] = fn
        return fn
    return register


@_handles(RequestValidationError)
async def _invalid(request: Request, exc: RequestValidationError):
    # The default handler echoes the input, which a crafted body can make unserialisable
    # (NaN, Infinity, lone surrogates): that was a 500.
    return JSONResponse(status_code=422, content={"detail": validation_errors(exc)})


@_handles(EmptyIndexError)
async def _empty(request: Request, exc: EmptyIndexError):
    return JSONResponse(status_code=503, content={"detail": NO_INDEX})


@_handles(UnknownConversation)
async def _unknown_conversation(request: Request, exc: UnknownConversation):
    return JSONResponse(status_code=404, content={"detail": UnknownConversation.public})


@_handles(GenerationError)
async def _generation(request: Request, exc: GenerationError):
    return JSONResponse(status_code=exc.status, content={"detail": exc.public})


@_handles(StoreError)
async def _store(request: Request, exc: StoreError):
    log.error("store error: %s", exc)
    return JSONResponse(status_code=503, content={"detail": store_unavailable(exc)})


@_handles(NotFound)
async def _not_found(request: Request, exc: NotFound):
    if exc.refused:  # an original that may not be served: why goes on the audit line
        request.state.audit = {"refused": exc.refused, "source": exc.source}
    return JSONResponse(status_code=404, content={"detail": exc.public})


@_handles(Conflict)
async def _conflict(request: Request, exc: Conflict):
    return JSONResponse(status_code=409, content={"detail": str(exc)})


def install(app) -> None:
    for exc_type, handler in HANDLERS.items():
        app.add_exception_handler(exc_type, handler)


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
