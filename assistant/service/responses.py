"""The one place that turns an assistant result into what users see: the `/v1/chat` JSON and
every user-facing error text. `api.py`, `slack/`, the CLI and `eval/` all import it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.service.assistant import Result

NO_INDEX = ("The index is empty: nothing has been ingested yet. Run `make ingest` "
            "(or `python -m ingest PATH...`) and try again.")
INTERNAL_ERROR = "The assistant could not answer this question because of an internal error."


DISK_FULL = ("The index/conversation store is out of disk space; answers resume when space is "
             "freed.")
STORE_TIMEOUT = ("The index/conversation store did not answer in time; try again shortly.")


def store_unavailable(exc: Exception) -> str:
    from assistant.index.errors import DiskFullError, StoreTimeout, is_disk_full

    if isinstance(exc, DiskFullError) or is_disk_full(exc):
        return DISK_FULL
    if isinstance(exc, StoreTimeout):
        return STORE_TIMEOUT
    return f"The index is unavailable: {exc}"


def build_response(result: "Result") -> dict:
    """The `/v1/chat` JSON for an assistant result (also used by the CLI, Slack and the evals):
    a `ChatResponse`, checked, as a dict of the fields it was given (optional ones only when
    set)."""
    from assistant.service.response_models import ChatResponse

    a = result.answer
    fields = {
        "answer": result.note + a.answer,
        "citations": [
            {"n": c.n, "source": c.source, "title": c.title, "text": c.text, "page": c.page,
             "score": c.score, "section": c.section}
            for c in a.citations
        ],
        "abstained": a.abstained,
        "answer_type": a.answer_type,
        "shape": a.shape,
        "items": a.items,
        "generator": a.generator,
        "reason": a.reason,
        "question": result.standalone or result.question,
        "conversation_id": result.conversation_id,
    }
    for key in ("unsupported", "fallback", "records"):
        if key in a.extra:
            fields[key] = a.extra[key]
    if result.corrections:
        fields["corrections"] = result.corrections
    return ChatResponse(**fields).model_dump(mode="json", by_alias=True, exclude_unset=True)


def public_error(exc: Exception) -> str:
    """A one-line, user-safe description of why a question could not be answered."""
    from assistant.answers.llm import GenerationError
    from assistant.index.errors import StoreError
    from assistant.retrieval.hybrid import EmptyIndexError
    from assistant.service.conversations import UnknownConversation

    if isinstance(exc, GenerationError):
        return exc.public
    if isinstance(exc, UnknownConversation):
        return UnknownConversation.public
    if isinstance(exc, EmptyIndexError):
        return NO_INDEX
    if isinstance(exc, StoreError):
        return store_unavailable(exc)
    return INTERNAL_ERROR
