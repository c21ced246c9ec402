"""Conversation history, kept in the shared store so any API process can continue any
conversation and a restart loses nothing. Conversations idle longer than the TTL expire.

Every conversation belongs to an owner (`Principal.owner` over HTTP: the API key, or "local"
with authentication off; `slack:<team>` for a Slack thread). Over HTTP the id is always made by
the server (`new_id`, 192 random bits) and only its owner can read or continue it: any other id,
another owner's included, is an unknown conversation (issue 13, point 4)."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import asdict

from assistant.core.turn import Turn
from assistant.index.json_records import JsonRecords

MAX_TURNS = 20  # older turns are dropped from a conversation
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
ID_BYTES = 24  # 192 random bits from `secrets`, as 48 hex digits


class UnknownConversation(LookupError):
    """No conversation with this id that the caller may use: it never existed, it expired, or it
    belongs to someone else (the three are deliberately indistinguishable)."""

    public = "unknown conversation"


SWEEP_SECONDS = 60.0


class ConversationStore:
    def __init__(self, client, prefix: str, ttl_seconds: float, clock=time.time) -> None:
        self.records = JsonRecords(client, f"{prefix}-conversations")
        self.ttl = ttl_seconds
        self.clock = clock
        self._swept = float("-inf")

    @staticmethod
    def new_id() -> str:
        """A fresh id: 192 bits from `secrets`, hex (never mistaken for a Slack thread's id)."""
        return secrets.token_hex(ID_BYTES)

    @staticmethod
    def valid_id(conversation_id: str) -> bool:
        return bool(_ID.match(conversation_id))

    def _live(self, conversation_id: str) -> dict | None:
        doc = self.records.get(conversation_id)
        if doc is None or self.clock() - doc.get("updated", 0) > self.ttl:
            return None
        return doc

    @staticmethod
    def _check(doc: dict | None, owner: str | None) -> None:
        # owner None: a trusted in-process caller (CLI, evals). A record without an owner (kept
        # before owners were recorded) is adopted by its next writer; the HTTP API never gets
        # that far for it (`require` wants the exact owner).
        if owner is not None and doc is not None and doc.get("owner") not in (None, owner):
            raise UnknownConversation(UnknownConversation.public)

    def require(self, conversation_id: str, owner: str) -> None:
        """UnknownConversation unless the conversation exists, is live and is `owner`'s."""
        doc = self._live(conversation_id)
        if doc is None or doc.get("owner") != owner:
            raise UnknownConversation(UnknownConversation.public)

    def owner(self, conversation_id: str) -> str | None:
        doc = self._live(conversation_id)
        return None if doc is None else doc.get("owner")

    def history(self, conversation_id: str, owner: str | None = None) -> list[Turn]:
        """The turns so far ([] for a new conversation); UnknownConversation when the
        conversation is someone else's."""
        doc = self._live(conversation_id)
        self._check(doc, owner)
        return [] if doc is None else [Turn(**t) for t in doc.get("turns", [])]

    def append(self, conversation_id: str, turn: Turn, owner: str | None = None) -> None:
        """Adds a turn (creating the conversation, owned by `owner`); another owner's
        conversation is never changed (UnknownConversation)."""
        doc = self._live(conversation_id)
        self._check(doc, owner)
        turns = ([] if doc is None else [Turn(**t) for t in doc.get("turns", [])]) + [turn]
        keeper = (doc or {}).get("owner") or owner
        now = self.clock()
        self.records.put(conversation_id, {"turns": [asdict(t) for t in turns[-MAX_TURNS:]],
                                           "updated": now, "owner": keeper}, {"updated": now})
        # Expired conversations are never read (`_live` checks the TTL); the sweep that deletes
        # them only reclaims space, so it runs at most every SWEEP_SECONDS per process instead of
        # on every question (a filtered delete in the store: part of every /v1/chat's time).
        if now - self._swept >= SWEEP_SECONDS:
            self.expire()

    def expire(self) -> None:
        self._swept = self.clock()
        self.records.delete({"updated": {"$lt": self._swept - self.ttl}})
