"""OpenAI's error envelope, `{"error": {"message", "type", "param", "code"}}`, for the
OpenAI-compatible routes only: their router uses `OpenAIRoute`, which turns every error raised
while a request is handled (authentication and rate limits from `api.deps` included) into that
envelope with OpenAI's status codes. The rest of the API keeps its `{"detail": ...}`."""

from __future__ import annotations

import logging

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from assistant.answers.llm import GenerationError
from assistant.api.errors import validation_errors
from assistant.index.errors import StoreError
from assistant.retrieval.hybrid import EmptyIndexError
from assistant.service.responses import INTERNAL_ERROR, NO_INDEX, store_unavailable

log = logging.getLogger(__name__)
CHANNEL = "openai"

# status -> (type, code) as OpenAI sends them
KINDS = {
    400: ("invalid_request_error", "invalid_value"),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", "insufficient_permissions"),
    404: ("invalid_request_error", "not_found"),
    405: ("invalid_request_error", "method_not_allowed"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", "internal_error"),
    502: ("server_error", "upstream_error"),
    503: ("server_error", "service_unavailable"),
    504: ("server_error", "upstream_timeout"),
}


class OpenAIError(Exception):
    """An error to answer in OpenAI's envelope."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 param: str | None = None, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.headers = status, message, param, headers
        self.code = code or KINDS.get(status, KINDS[400])[1]


def envelope(status: int, message: str, code: str | None = None,
             param: str | None = None) -> dict:
    kind, default_code = KINDS.get(status, ("invalid_request_error" if status < 500
                                             else "server_error", None))
    return {"error": {"message": message, "type": kind, "param": param,
                      "code": code or default_code}}


def error_response(exc: OpenAIError) -> JSONResponse:
    return JSONResponse(status_code=exc.status, headers=exc.headers,
                        content=envelope(exc.status, exc.message, exc.code, exc.param))


def as_openai(exc: Exception) -> OpenAIError:
    """Any error raised while handling a request, as the OpenAI error to answer with."""
    if isinstance(exc, OpenAIError):
        return exc
    if isinstance(exc, RequestValidationError):
        return _invalid(exc)
    if isinstance(exc, HTTPException):
        # 422 is /v1/chat's "bad request" (an unknown source): OpenAI says 400.
        status = 400 if exc.status_code == 422 else exc.status_code
        return OpenAIError(status, str(exc.detail), headers=exc.headers)
    if isinstance(exc, EmptyIndexError):
        return OpenAIError(503, NO_INDEX, code="no_index")
    if isinstance(exc, StoreError):
        log.error("store error: %s", exc)
        return OpenAIError(503, store_unavailable(exc))
    if isinstance(exc, GenerationError):
        return OpenAIError(exc.status, exc.public)
    log.exception("OpenAI-compatible request failed")
    return OpenAIError(500, INTERNAL_ERROR)


def _invalid(exc: RequestValidationError) -> OpenAIError:
    """A 400 naming the first problem (and how many more there are)."""
    errors = validation_errors(exc)
    first = errors[0] if errors else {"msg": "invalid request", "loc": ()}
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    param = ".".join(loc) or None
    message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
    if first.get("type") == "json_invalid":
        message = "The request body is not valid JSON."
    elif param:
        message = f"{param}: {message}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    code = "missing_required_parameter" if first.get("type") == "missing" else "invalid_value"
    return OpenAIError(400, message, code=code, param=param)


class OpenAIRoute(APIRoute):
    """A route whose errors, from its dependencies and body validation too, come back in
    OpenAI's envelope, and whose audit line names the channel."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request):
            request.state.audit = {"channel": CHANNEL}
            try:
                return await handler(request)
            except Exception as exc:
                return error_response(as_openai(exc))

        return route


def too_large(limit: int) -> dict:
    """The 413 body of the request-size limit (`api.limits`) on these routes."""
    return envelope(413, f"Request body too large: the limit is {limit} bytes.")
