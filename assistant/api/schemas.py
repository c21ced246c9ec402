"""Request and response models of the HTTP API."""

from __future__ import annotations

import math
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)

from assistant.core.constants import (  # noqa: F401
    MAX_JSON_DEPTH,
    MAX_QUESTION_CHARS,
    SLACK_CONVERSATION_PREFIX,
)
from assistant.service.response_models import (  # noqa: F401 (the API's response models)
    ChatResponse,
    CitationOut,
    CorrectionOut,
    FallbackOut,
    ItemOut,
    RecordCellOut,
    RecordOut,
    UnsupportedOut,
)


def check_json_value(value: Any) -> None:
    """ValueError when a request value holds text that is not valid Unicode (a lone surrogate,
    which JSON's \\uXXXX escapes can produce and nothing downstream can encode) or a number that
    is not finite (NaN, Infinity, 1e400), anywhere inside it, or when it is nested deeper than
    MAX_JSON_DEPTH (copying and storing it would exhaust the stack)."""
    stack = [(value, 0)]
    while stack:  # iterative: nesting depth cannot exhaust the stack here
        v, depth = stack.pop()
        if isinstance(v, (dict, list, tuple)) and depth >= MAX_JSON_DEPTH:
            raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(
                    f"text contains a lone surrogate ({v[exc.start]!r}) at character "
                    f"{exc.start}; send valid Unicode") from None
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise ValueError(f"{v!r} is not a finite number")
        elif isinstance(v, dict):
            stack.extend((k, depth + 1) for k in v)
            stack.extend((x, depth + 1) for x in v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend((x, depth + 1) for x in v)


class RequestModel(BaseModel):
    """A request body: unknown fields are refused, and every value is valid JSON text."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _valid_json(cls, v: Any) -> Any:
        check_json_value(v)
        return v


class ChatRequest(RequestModel):

    question: StrictStr = Field(..., description="The question, 1 to 2,000 characters.",
                                examples=["Which FDA designations has Fucaso received?"])
    top_k: StrictInt | None = Field(None, ge=1, le=20, description="Passages to retrieve (1-20).")
    sources: list[StrictStr] | None = Field(
        None, description="Only search these documents (paths as listed by /v1/sources).")
    conversation_id: StrictStr | None = Field(
        None, pattern=r"^[A-Za-z0-9_.:-]{1,128}$",
        description="Continues a conversation: follow-ups are rewritten into standalone "
                    "questions using its history. Only an id this server returned to the same "
                    "API key (the response's `conversation_id`); leave it out to start a new "
                    "conversation. Any other id, another key's included, is a 404 "
                    "\"unknown conversation\".")

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("question must not be empty or only whitespace")
        if len(v) > MAX_QUESTION_CHARS:
            raise ValueError(f"question is {len(v)} characters long; the limit is {MAX_QUESTION_CHARS}")
        return v.strip()

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and not v:
            return None
        return v


class FeedbackCitation(RequestModel):
    """A citation as /v1/chat returned it; feedback keeps its first 300 characters of text."""

    n: StrictInt | None = Field(None, ge=0, le=1000)
    source: StrictStr = Field("", max_length=1000)
    title: StrictStr | None = Field(None, max_length=1000)
    text: StrictStr = Field("", max_length=10_000)
    page: StrictInt | None = Field(None, ge=0, le=1_000_000)
    score: float | None = None
    section: StrictStr | None = Field(None, max_length=1000)


class FeedbackRequest(RequestModel):
    helpful: StrictBool = Field(..., description="true or false (JSON booleans only).")
    question: StrictStr = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: StrictStr = Field(..., max_length=8000, description="The answer (at most 8,000 "
                                                                "characters).")
    citations: list[FeedbackCitation] = Field(
        default_factory=list, max_length=20, description="The answer's citations (at most 20, "
        "each passage at most 10,000 characters; 300 are kept).")
    standalone: StrictStr | None = Field(None, max_length=MAX_QUESTION_CHARS * 2)
    conversation_id: StrictStr | None = Field(
        None, pattern=r"^[A-Za-z0-9_.:-]{1,128}$",
        description="The answer's conversation; must be one of this API key's (404 otherwise).")
    comment: StrictStr | None = Field(None, max_length=2000)

    @field_validator("citations", mode="before")
    @classmethod
    def _citations_json(cls, v: Any) -> Any:  # depth and text checked before the shape
        check_json_value(v)
        return v


class FeedbackResponse(BaseModel):
    id: str


class SourceOut(BaseModel):
    source: str
    title: str
    chunks: int


class SourcesResponse(BaseModel):
    sources: list[SourceOut]


class HealthResponse(BaseModel):
    status: str  # "ok" or "degraded"
    reason: str | None = None  # why it is degraded (for example: out of disk space)


class ErrorResponse(BaseModel):
    detail: str


# --- auth: the page's session and key management

class SessionRequest(BaseModel):
    key: str = Field(min_length=1, max_length=200)


class SessionResponse(BaseModel):
    name: str
    role: str
    collections: list[str] | None
    csrf_token: str | None
    auth: bool


class KeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    role: str = Field(pattern="^(reader|writer|admin)$")
    collections: list[str] = Field(default_factory=lambda: ["default"], max_length=100)


UNAVAILABLE = {503: {"model": ErrorResponse, "description": "No index, or the store is down."}}


# --- records: deals, regulatory events, facilities (GET /v1/records)

class RecordsResponse(BaseModel):
    records: list[RecordOut]

