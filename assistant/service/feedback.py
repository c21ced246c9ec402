"""Helpful / not helpful feedback from the web page and the Slack bot, in one place that the eval
tool reads (`python -m eval feedback`).

Bounded (red-team row 3): what is stored of an answer is cut to MAX_ANSWER_CHARS, of each cited
passage to CITATION_TEXT_CHARS (the source, title and page say where the rest is), at most
MAX_CITATIONS of them; records older than the retention (`ASSISTANT_FEEDBACK_RETENTION_DAYS`)
are deleted by a sweep when feedback is added (at most once an hour per process)."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field

from assistant.index.json_records import JsonRecords

MAX_ANSWER_CHARS = 8000
CITATION_TEXT_CHARS = 300
MAX_CITATIONS = 20
CITATION_FIELDS = {"n": 16, "source": 1000, "title": 500, "text": CITATION_TEXT_CHARS,
                   "page": 16, "score": 32, "section": 500}
SWEEP_SECONDS = 3600.0


def _clip(text: str | None, limit: int) -> str | None:
    return text if text is None or len(text) <= limit else text[: limit - 1] + "…"


def clip_citation(c: dict) -> dict:
    """What feedback keeps of a citation: its known fields, each cut to its limit."""
    out = {}
    for k, limit in CITATION_FIELDS.items():
        v = c.get(k)
        if isinstance(v, str):
            v = _clip(v, limit)
        elif not isinstance(v, (int, float, type(None))) or isinstance(v, bool):
            v = _clip(str(v), limit)
        out[k] = v
    return out


@dataclass
class Feedback:
    helpful: bool
    question: str
    answer: str
    citations: list[dict]
    channel: str  # "web" or "slack"
    standalone: str | None = None
    comment: str | None = None
    user: str | None = None  # the Slack user, or the API key's name ("local" without keys)
    owner: str | None = None  # web: the key's owner string (`Principal.owner`)
    conversation_id: str | None = None
    at: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


class FeedbackStore:
    def __init__(self, client, prefix: str, retention_days: float = 365.0,
                 clock=time.time) -> None:
        self.records = JsonRecords(client, f"{prefix}-feedback")
        self.retention_s = retention_days * 86400
        self.clock = clock
        self._swept = float("-inf")

    def add(self, fb: Feedback) -> str:
        doc = asdict(fb)
        doc["answer"] = _clip(fb.answer, MAX_ANSWER_CHARS)
        doc["citations"] = [clip_citation(c) for c in fb.citations[:MAX_CITATIONS]
                            if isinstance(c, dict)]
        self.records.put(fb.id, doc, {"helpful": fb.helpful, "channel": fb.channel, "at": fb.at})
        now = self.clock()
        if now - self._swept >= min(SWEEP_SECONDS, self.retention_s / 2):
            self.expire()
        return fb.id

    def expire(self) -> None:
        """Delete the records older than the retention."""
        self._swept = self.clock()
        self.records.delete({"at": {"$lt": self._swept - self.retention_s}})

    def all(self) -> list[Feedback]:
        items = [Feedback(**doc) for _, doc, _ in self.records.find()]
        return sorted(items, key=lambda f: f.at)
