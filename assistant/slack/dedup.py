"""Events already handled, kept in the shared store so that every API process (and a Socket Mode
process) agrees: Slack retries an event it thinks was not acknowledged in time (`X-Slack-Retry-Num`,
up to three times over about five minutes), possibly to another process, and a direct message
that mentions the bot can arrive both as `message.im` and as `app_mention`. A question must be
answered once.

A claim is a Chroma `add` of a fresh id: Chroma keeps the first record written under an id and
ignores later adds, so claiming and reading back tells who got there first, across processes and
machines sharing one Chroma server, without a lock. Claims expire after `ttl` seconds (an hour;
Slack's last retry comes after about five minutes).
The claims live in the collection `<prefix>-slack-events`, next to `<prefix>-conversations` and
`<prefix>-feedback` (an ingest only ever drops index generations, `<prefix>-<time>-<hex>`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Callable

from assistant.index.json_records import JsonRecords

log = logging.getLogger(__name__)

TTL_SECONDS = 3600.0
SWEEP_EVERY_SECONDS = 60.0
_VECTOR = [1.0]


def collection_name(prefix: str, what: str) -> str:
    """`<prefix>-slack-<what>`: the bot's records (events, answers) next to the index."""
    return f"{prefix}-slack-{what}"


class HandledEvents:
    def __init__(self, client_factory: Callable[[], object], prefix: str,
                 ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self._client_factory = client_factory  # the Chroma client, known once the app has started
        self.name = collection_name(prefix, "events")
        self.ttl = ttl
        self.clock = clock
        self._records: JsonRecords | None = None
        self._client = None
        self._last_sweep = 0.0
        self._lock = threading.Lock()

    @property
    def records(self) -> JsonRecords:
        client = self._client_factory()
        if self._records is None or client is not self._client:
            self._records, self._client = JsonRecords(client, self.name), client
        return self._records

    def claim(self, key: str, info: dict | None = None) -> bool:
        """True for the first caller with this key (in any process), False for every later one
        until the claim expires."""
        now = self.clock()
        token = uuid.uuid4().hex
        col = self.records.collection
        existing = col.get(ids=[key], include=["metadatas"])
        if existing["ids"]:
            if now - float((existing["metadatas"][0] or {}).get("at", 0)) <= self.ttl:
                return False
            col.delete(ids=[key])  # expired: the key may be claimed again
        col.add(ids=[key], documents=[json.dumps({"token": token, **(info or {})})],
                metadatas=[{"at": now, "token": token}], embeddings=[_VECTOR])
        stored = col.get(ids=[key], include=["metadatas"])
        won = bool(stored["ids"]) and (stored["metadatas"][0] or {}).get("token") == token
        self._maybe_sweep(now)
        return won

    def seen(self, key: str) -> bool:
        got = self.records.collection.get(ids=[key], include=["metadatas"])
        return bool(got["ids"]) and self.clock() - float(
            (got["metadatas"][0] or {}).get("at", 0)) <= self.ttl

    def _maybe_sweep(self, now: float) -> None:
        with self._lock:
            if now - self._last_sweep < SWEEP_EVERY_SECONDS:
                return
            self._last_sweep = now
        try:
            self.records.delete({"at": {"$lt": now - self.ttl}})
        except Exception:  # sweeping is housekeeping; a failure must not lose the event
            log.warning("could not sweep expired Slack event claims", exc_info=True)
