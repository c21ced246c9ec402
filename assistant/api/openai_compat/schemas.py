"""The request of `POST /v1/chat/completions`, as the OpenAI API reference shapes it.

`messages` carries the conversation: the last user message is the question, the user and
assistant messages before it are the earlier turns, system and developer messages are read and
ignored (the assistant answers from the documents only). `model`, `stream`, `stream_options`,
`max_tokens`, `temperature` and the other sampling parameters are accepted (checked for type and
range) and ignored where they do not apply; fields this server does not know are ignored as
OpenAI does. Two fields are this server's own, as in `/v1/chat`: `top_k` and `sources`.
Every value must be valid JSON text: no NaN or Infinity, no lone surrogates."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)

from assistant.api.schemas import RequestModel
from assistant.core.constants import MAX_QUESTION_CHARS

MAX_MESSAGES = 200


class Lenient(RequestModel):
    """A part of the request: unknown fields are ignored, values must be valid JSON text."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class ContentPart(Lenient):
    type: StrictStr
    text: StrictStr | None = None


class Message(Lenient):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: StrictStr | list[ContentPart] | None = None
    name: StrictStr | None = None

    def text(self) -> str:
        """The message's text; a part other than text is refused (400)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        kinds = {p.type for p in self.content} - {"text"}
        if kinds:
            raise ValueError(f"only text content is supported, not {', '.join(sorted(kinds))}")
        return "".join(p.text or "" for p in self.content)


class StreamOptions(Lenient):
    include_usage: StrictBool = False


class CompletionRequest(Lenient):
    model: StrictStr | None = Field(
        None, max_length=200, description="A model id from GET /v1/models (default: the first).")
    messages: list[Message] = Field(
        ..., max_length=MAX_MESSAGES,
        description="The conversation: the last user message is the question.")
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    # accepted and ignored: an extractive answer has no sampling, and a verified answer is
    # as long as its cited sentences
    max_tokens: StrictInt | None = Field(None, ge=1)
    max_completion_tokens: StrictInt | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    n: StrictInt | None = Field(None, ge=1, le=1, description="Only one choice is made.")
    user: StrictStr | None = None
    # this server's own, as in /v1/chat
    top_k: StrictInt | None = Field(None, ge=1, le=20, description="Passages to retrieve (1-20).")
    sources: list[StrictStr] | None = Field(
        None, description="Only search these documents (paths as listed by /v1/sources).")

    @field_validator("messages")
    @classmethod
    def _messages(cls, v: list[Message]) -> list[Message]:
        if not v:
            raise ValueError("must not be empty: send the question as a user message")
        return v

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: list[str] | None) -> list[str] | None:
        return v or None


class Conversation:
    """The question and the earlier (question, answer) exchanges of a request's messages."""

    def __init__(self, messages: list[Message]) -> None:
        texts = [(m.role, m.text()) for m in messages]
        last = max((i for i, (role, _) in enumerate(texts) if role == "user"), default=None)
        if last is None:
            raise ValueError("messages has no user message: the last user message is the question")
        question = texts[last][1].strip()
        if not question:
            raise ValueError("the last user message is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise ValueError(f"the last user message is {len(question)} characters long; "
                             f"the limit is {MAX_QUESTION_CHARS}")
        self.question = question
        self.prompt = "\n".join(text for _, text in texts)  # for the usage estimate
        self.exchanges: list[tuple[str, str]] = []
        asked: str | None = None
        for role, text in texts[:last]:
            if role == "user":
                asked = text
            elif role == "assistant" and asked is not None and asked.strip():
                self.exchanges.append((asked, text))
                asked = None
