"""Request and response models of the HTTP API."""

from __future__ import annotations

import math
from typing import Any, Literal

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


class CitationOut(BaseModel):
    n: int
    source: str = Field(description="Document path relative to the corpus folder.")
    title: str
    text: str = Field(description="The passage as stored.")
    page: int | None
    score: float = Field(description="How strongly this passage supports the answer (0-1).")
    section: str | None = None


class UnsupportedOut(BaseModel):
    sentence: str
    reason: str


class FallbackOut(BaseModel):
    to: str = Field(description="extractive or abstain")
    reason: str
    from_: str = Field(alias="from", serialization_alias="from")


class CorrectionOut(BaseModel):
    asked: str = Field(description="A name as the question wrote it (\"Fucasso\").")
    searched: str = Field(description="The nearest name in the documents, searched instead.")


class ItemOut(BaseModel):
    text: str = Field(description="One item of a list or side of a comparison (its [n] in `citations`).")
    citations: list[int] = Field(description="The [n] its text cites.")


class ChatResponse(BaseModel):
    answer: str
    citations: list[CitationOut]
    abstained: bool = Field(description="True unless the answer claims to answer the question "
                                        "(a hedge is true too: see answer_type).")
    answer_type: Literal["answered", "hedged", "abstained"] = Field(
        description="answered; hedged (the closest cited sentences, said to fall short of the "
                    "question); or abstained (nothing cited: the documents don't cover it).")
    shape: Literal["single", "list", "comparison", "summary", "table"] = Field(
        "single", description="How the answer is laid out: one fact, a list (one cited item per "
                              "line), a comparison (one line per side), a document's lead, or "
                              "a table answered from the extracted records.")
    items: list[ItemOut] = Field(default_factory=list,
                                 description="list, comparison and table answers: their items.")
    records: list["RecordOut"] | None = Field(
        None, description="table answers: the records listed, as `GET /v1/records` gives them "
                          "(every cell with its quote).")
    generator: str
    reason: str | None = Field(None, description="Why the assistant abstained, when it did.")
    question: str = Field(description="What was searched: the question, or the follow-up "
                                      "rewritten into a standalone question.")
    conversation_id: str | None = Field(
        None, description="The conversation this answer belongs to (made by the server when the "
                          "request had none): send it with the next question to follow up.")
    unsupported: list[UnsupportedOut] | None = Field(
        None, description="LLM generators: sentences removed by verification, with the reason.")
    fallback: FallbackOut | None = Field(
        None, description="LLM generators: set when the extractive answer or an abstention "
                          "replaced the model's answer, and why.")
    corrections: list[CorrectionOut] | None = Field(
        None, description="Misspelt names searched as the nearest name in the documents; the "
                          "answer starts with \"Showing results for …\".")


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

class RecordCellOut(BaseModel):
    """A cell: the value and the verbatim span of the document that states it. Money cells add
    `currency` (ISO code) and, when the text qualifies the amount, `qualifier` ("up to")."""

    model_config = ConfigDict(extra="allow")
    value: Any
    quote: str = Field(description="A verbatim span of the document's text stating the value.")
    page: int | None = Field(description="The PDF page of the quote; null for other files.")


class RecordOut(BaseModel):
    id: str
    type: str = Field(description="deal, regulatory or facility")
    source: str = Field(description="The document, named as citations name it.")
    date: str | None = Field(description="The event date (YYYY, YYYY-MM or YYYY-MM-DD), or "
                                         "null when the document gives none.")
    fields: dict[str, RecordCellOut]


class RecordsResponse(BaseModel):
    records: list[RecordOut]


ChatResponse.model_rebuild()  # its `records` refers to RecordOut, defined below it
