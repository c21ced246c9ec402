"""Helpful / not helpful feedback from the web page and the Slack bot, in one place that the eval
tool reads (`python -m eval feedback`)."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field

from assistant.index.json_records import JsonRecords


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
    def __init__(self, client, prefix: str) -> None:
        self.records = JsonRecords(client, f"{prefix}-feedback")

    def add(self, fb: Feedback) -> str:
        self.records.put(fb.id, asdict(fb), {"helpful": fb.helpful, "channel": fb.channel,
                                             "at": fb.at})
        return fb.id

    def all(self) -> list[Feedback]:
        items = [Feedback(**doc) for _, doc, _ in self.records.find()]
        return sorted(items, key=lambda f: f.at)
