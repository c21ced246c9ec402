"""An answer as plain chat text, and such text read back as a conversation.

Clients that show only text (the OpenAI-compatible endpoint in Open WebUI or a notebook, an MCP
client's tool result) get the answer with its `[n]` markers followed by a "Sources" list
(`render`). Such clients keep the conversation themselves and resend it with every question;
`turns_from` turns the earlier exchanges back into the turns the follow-up rewriter reads, each
earlier question's standalone form rebuilt with the rule rewriter (cheap and deterministic; the
configured rewriter, an LLM's included, rewrites only the new question)."""

from __future__ import annotations

from typing import Sequence

from assistant.core.constants import MAX_QUESTION_CHARS
from assistant.core.turn import Turn
from assistant.retrieval.followup import RuleRewriter
from assistant.service.conversations import MAX_TURNS

SOURCES_HEADING = "Sources:"
SEPARATOR = "\n\n" + SOURCES_HEADING + "\n"


def source_line(c: dict) -> str:
    """`- [2] Title — section (file.pdf, page 3)`."""
    where = f", page {c['page']}" if c.get("page") else ""
    title = c.get("title") or c["source"]
    section = f" — {c['section']}" if c.get("section") and c["section"] != title else ""
    return f"- [{c['n']}] {title}{section} ({c['source']}{where})"


def sources_block(response: dict) -> str:
    """The "Sources" list that follows the answer ("" when nothing is cited)."""
    if not response.get("citations"):
        return ""
    return SEPARATOR + "\n".join(source_line(c) for c in response["citations"])


def render(response: dict) -> str:
    """The `/v1/chat` response as one text: the answer, then its sources."""
    return response["answer"] + sources_block(response)


def strip_sources(text: str) -> str:
    """An answer as `render` wrote it, without its "Sources" list."""
    return text.split(SEPARATOR, 1)[0]


def turns_from(exchanges: Sequence[tuple[str, str]]) -> list[Turn]:
    """(question, answer) pairs, oldest first, as conversation turns (the last MAX_TURNS)."""
    rules = RuleRewriter()
    turns: list[Turn] = []
    for question, answer in exchanges[-MAX_TURNS:]:
        question = question.strip()[:MAX_QUESTION_CHARS]
        turns.append(Turn(question=question, standalone=rules.rewrite(question, turns),
                          answer=strip_sources(answer), abstained=False))
    return turns
