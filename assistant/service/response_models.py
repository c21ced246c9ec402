"""The answer as every channel returns it: the `/v1/chat` JSON's models. `build_response` builds a
`ChatResponse` from an assistant result, so the JSON the API, the CLI, Slack and the evals see is
checked against one definition (the API re-exports these for its OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
    records: list[RecordOut] | None = Field(
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
