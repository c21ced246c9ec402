"""Slack text in (questions) and out (mrkdwn escaping, splitting within Slack's limits)."""

from __future__ import annotations

import re

from assistant.core.constants import SLACK_CONVERSATION_PREFIX

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_ID_CHARS = re.compile(r"[^A-Za-z0-9_.:-]")


def clean_question(text: str, bot_user_id: str | None = None) -> str:
    """The question in a Slack message: the bot's mention removed, other mentions, channels and
    links turned back into plain text, Slack's escaping undone, whitespace tidied."""

    def user(m: re.Match) -> str:
        if bot_user_id and m.group(1) == bot_user_id:
            return " "
        return f"@{m.group(2) or m.group(1)}"

    text = _USER.sub(user, text or "")
    text = _CHANNEL.sub(lambda m: f"#{m.group(2) or m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _SPECIAL.sub(lambda m: m.group(2) or f"@{m.group(1)}", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def conversation_id(team: str | None, channel: str, thread_ts: str) -> str:
    """`slack-<team>-<channel>-<thread_ts>`: one conversation per Slack thread."""
    raw = f"{SLACK_CONVERSATION_PREFIX}{team or 'T'}-{channel}-{thread_ts}"
    return _ID_CHARS.sub("_", raw)[:128]


def owner(team: str | None) -> str:
    """The owner recorded on a Slack thread's conversation (`slack:<team>`): no HTTP caller's
    owner (`key:...`, `local`) is ever equal to it."""
    return f"slack:{team or 'T'}"


def escape(text: str) -> str:
    """Slack mrkdwn escaping: only &, < and > are special."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at the last paragraph break, line break, sentence
    end or space that fits (a hard cut only for a word longer than `limit`), never inside an
    escape like `&amp;`. Joining the pieces with the whitespace they were cut at gives `text`."""
    if limit < 10:
        raise ValueError("limit too small")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit + 1]
        cut = -1
        for sep in _BREAKS:
            i = window.rfind(sep, 0, limit + 1 - len(sep.rstrip()))
            if i > limit // 3:
                cut = i + len(sep.rstrip())
                break
        if cut <= 0:
            cut = limit
            amp = rest.rfind("&", max(0, cut - 5), cut)
            if amp != -1 and ";" not in rest[amp:cut]:
                cut = amp or cut
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def shorten(text: str, width: int) -> str:
    """`text` on one line, cut at a word boundary to at most `width` characters with " …"."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat.rfind(" ", 0, width - 1)
    return flat[:cut if cut > width // 2 else width - 2].rstrip(" ,;:") + " …"
