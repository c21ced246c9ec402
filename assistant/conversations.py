"""Conversation history, kept in the shared store so any API process can continue any
conversation and a restart loses nothing. Conversations idle longer than the TTL expire."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import asdict, dataclass, field

from assistant.records import JsonRecords

MAX_TURNS = 20  # older turns are dropped from a conversation
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


@dataclass
class Turn:
    question: str  # as asked
    standalone: str  # as searched (the follow-up rewritten)
    answer: str
    abstained: bool
    sources: list[str] = field(default_factory=list)
    at: float = field(default_factory=time.time)


class ConversationStore:
    def __init__(self, client, prefix: str, ttl_seconds: float, clock=time.time) -> None:
        self.records = JsonRecords(client, f"{prefix}-conversations")
        self.ttl = ttl_seconds
        self.clock = clock

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    @staticmethod
    def valid_id(conversation_id: str) -> bool:
        return bool(_ID.match(conversation_id))

    def history(self, conversation_id: str) -> list[Turn]:
        doc = self.records.get(conversation_id)
        if doc is None or self.clock() - doc.get("updated", 0) > self.ttl:
            return []
        return [Turn(**t) for t in doc.get("turns", [])]

    def append(self, conversation_id: str, turn: Turn) -> None:
        turns = self.history(conversation_id) + [turn]
        now = self.clock()
        self.records.put(conversation_id, {"turns": [asdict(t) for t in turns[-MAX_TURNS:]],
                                           "updated": now}, {"updated": now})
        self.expire()

    def expire(self) -> None:
        self.records.delete({"updated": {"$lt": self.clock() - self.ttl}})
