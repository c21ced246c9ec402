"""Block Kit messages for answers: the answer with its [n] markers, then the sources (title, page,
a short quote), then helpful / not helpful buttons. Built from the `/v1/chat` JSON
(`assistant.service.responses.build_response`), so Slack shows exactly what the API returns.

Slack's limits: a section's text holds at most 3,000 characters and a message at most 50 blocks;
longer answers are split over several sections and, if needed, several messages (the buttons go
on the last one).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answers.types import NOT_COVERED
from assistant.slack.text import escape, shorten, split_text

SECTION_CHARS = 3000
MAX_BLOCKS = 50
FALLBACK_CHARS = 2000  # a message's notification text (Slack truncates it at 4,000)
QUOTE_CHARS = 200
HELPFUL = "feedback_helpful"
NOT_HELPFUL = "feedback_not_helpful"


@dataclass
class Message:
    text: str  # plain text: notifications, screen readers, clients without Block Kit
    blocks: list[dict]

    def kwargs(self) -> dict:
        return {"text": self.text, "blocks": self.blocks}


def section(text: str) -> dict:
    assert 0 < len(text) <= SECTION_CHARS, len(text)
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_CHARS],
                                             "verbatim": True}]}


def sections(text: str) -> list[dict]:
    return [section(piece) for piece in split_text(text, SECTION_CHARS)]


def citation_block(c: dict) -> dict:
    where = f" · page {c['page']}" if c.get("page") else ""
    title = shorten(c.get("title") or c.get("source") or "untitled", 300)
    quote = shorten(c.get("text") or "", QUOTE_CHARS)
    text = f"*[{c['n']}]* *{escape(title)}*{where}"
    if quote:
        text += f"\n> {escape(quote)}"
    return section(text)


def feedback_block(answer_id: str) -> dict:
    return {
        "type": "actions",
        "block_id": "feedback",
        "elements": [
            {"type": "button", "action_id": HELPFUL, "value": answer_id,
             "text": {"type": "plain_text", "text": ":thumbsup: Helpful", "emoji": True}},
            {"type": "button", "action_id": NOT_HELPFUL, "value": answer_id,
             "text": {"type": "plain_text", "text": ":thumbsdown: Not helpful", "emoji": True}},
        ],
    }


def answer_messages(response: dict, *, asked: str | None = None, answer_id: str | None = None,
                    show_question: bool = False) -> list[Message]:
    """The messages for one `/v1/chat` response. `asked` is the question as the user wrote it: when
    the assistant searched a rewritten follow-up, the message says what it searched.
    `show_question` repeats the question (slash commands: Slack does not show what was typed)."""
    blocks: list[dict] = []
    searched = response.get("question") or ""
    if show_question and asked:
        blocks.append(context(f"*Question:* {escape(shorten(asked, 2800))}"))
    if asked and searched and searched.strip() != asked.strip():
        blocks.append(context(f":leftwards_arrow_with_hook: Read as: _{escape(shorten(searched, 2800))}_"))

    answer = _bullets((response.get("answer") or "").strip())
    kind = response.get("answer_type") or ("hedged" if response.get("abstained") and
                                           response.get("citations") else
                                           "abstained" if response.get("abstained") else "answered")
    if kind == "abstained":
        blocks.append(section(f":mag: *{NOT_COVERED}*"))
        reason = response.get("reason")
        if reason:
            blocks.append(context(escape(shorten(f"{reason[:1].upper()}{reason[1:]}.", 2800))))
        fallback_text = f"{NOT_COVERED} {answer}" if not answer.startswith(NOT_COVERED) else answer
    elif kind == "hedged":
        # Not stated plainly (or a premise the documents do not report): what they do say.
        blocks.append(context(":mag: *Not stated plainly in the documents: the closest passages.*"))
        blocks.extend(sections(escape(answer)))
        fallback_text = answer
    else:
        blocks.extend(sections(escape(answer or "(empty answer)")))
        fallback_text = answer or "(empty answer)"

    fallback = response.get("fallback")
    if fallback:
        blocks.append(context(":information_source: " + escape(shorten(
            f"Answered by the {fallback.get('to', 'extractive')} fallback: {fallback.get('reason', '')}",
            2800))))
    unsupported = response.get("unsupported") or []
    if unsupported:
        blocks.append(context(f":scissors: {len(unsupported)} sentence(s) removed: not supported by "
                              "the cited passages."))

    citations = response.get("citations") or []
    if citations:
        blocks.append({"type": "divider"})
        blocks.append(section("*Sources*"))
        blocks.extend(citation_block(c) for c in citations)
    if answer_id:
        blocks.append(feedback_block(answer_id))
    return _paginate(blocks, fallback_text)


def _bullets(answer: str) -> str:
    """A list answer's "- " lines as Slack bullets."""
    return "\n".join(f"• {line[2:]}" if line.startswith("- ") else line for line in answer.split("\n"))


def _paginate(blocks: list[dict], fallback_text: str) -> list[Message]:
    pages = [blocks[i:i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)] or [[]]
    first = escape(shorten(fallback_text, FALLBACK_CHARS))
    out = [Message(text=first if i == 0 else f"(continued {i + 1}/{len(pages)})", blocks=page)
           for i, page in enumerate(pages)]
    return out


def error_message(text: str) -> Message:
    return Message(text=escape(text), blocks=[section(f":warning: {escape(text)}")])


def notice(text: str) -> Message:
    """A short message (help, not enabled here, thanks for the feedback); `text` is mrkdwn."""
    return Message(text=text, blocks=[section(text)])
