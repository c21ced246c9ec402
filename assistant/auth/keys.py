"""API keys: random, shown once, stored only as hashes in the store every API process shares.

A key is `bpa_` followed by 256 random bits (url-safe base64). The store keeps the SHA-256 of the
key as the record id, never the key: a key is high-entropy, so a fast hash is not guessable, and
looking a record up by the hash of what was presented leaks nothing about other keys. The final
comparison uses `hmac.compare_digest`. Every request reads its key record (no cache), so a
revoked key stops working at once in every process.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Literal

from assistant.core.collections import ALL, valid_name
from assistant.index.json_records import JsonRecords

Role = Literal["reader", "writer", "admin"]
ROLES: tuple[str, ...] = ("reader", "writer", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}
ALL_COLLECTIONS = ALL  # a key's "every collection"
PREFIX = "bpa_"
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
# A key's last use is written at most this often (a write per request would cost latency).
LAST_USED_EVERY_S = 60.0


class KeyError_(ValueError):
    """A key could not be created or revoked (bad name, role or collection; duplicate name)."""


@dataclass
class ApiKey:
    name: str
    role: str
    collections: list[str]
    created: float = field(default_factory=time.time)
    last_used: float | None = None
    revoked: float | None = None
    id: str = ""  # SHA-256 of the key

    def allows(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]

    def sees(self, collection: str) -> bool:
        return ALL_COLLECTIONS in self.collections or collection in self.collections

    def public(self) -> dict:
        d = asdict(self)
        d.pop("id")
        return d


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def validate_collections(collections: list[str]) -> list[str]:
    out = []
    for c in collections:
        c = c.strip()
        if not c:
            continue
        if c != ALL_COLLECTIONS and not valid_name(c):
            raise KeyError_(f"invalid collection name {c!r}: use letters, digits, '_', '.', '-'")
        out.append(c)
    if not out:
        raise KeyError_("a key needs at least one collection (or '*' for all)")
    return sorted(set(out))


class KeyStore:
    def __init__(self, client, prefix: str, clock=time.time) -> None:
        self.records = JsonRecords(client, f"{prefix}-keys")
        self.clock = clock

    def create(self, name: str, role: str, collections: list[str]) -> tuple[str, ApiKey]:
        """A new key (returned once, never stored) and its record."""
        if not _NAME.match(name or ""):
            raise KeyError_(f"invalid key name {name!r}: 1-64 letters, digits, '_', '.', '@', '-'")
        if role not in RANK:
            raise KeyError_(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        if self.by_name(name) is not None:
            raise KeyError_(f"a key named {name!r} already exists; revoke it first")
        key = PREFIX + secrets.token_urlsafe(32)
        record = ApiKey(name=name, role=role, collections=validate_collections(collections),
                        created=self.clock(), id=hash_key(key))
        self._put(record)
        return key, record

    def _put(self, k: ApiKey) -> None:
        self.records.put(k.id, k.public(), {"name": k.name, "revoked": bool(k.revoked)})

    def _load(self, id_: str, doc: dict) -> ApiKey:
        return ApiKey(id=id_, **{f: doc.get(f) for f in
                                 ("name", "role", "collections", "created", "last_used", "revoked")})

    def by_name(self, name: str) -> ApiKey | None:
        for id_, doc, _ in self.records.find({"$and": [{"name": name}, {"revoked": False}]}):
            return self._load(id_, doc)
        return None

    def list(self) -> list[ApiKey]:
        keys = [self._load(id_, doc) for id_, doc, _ in self.records.find()]
        return sorted(keys, key=lambda k: (k.revoked is not None, k.created))

    def active_count(self) -> int:
        return sum(1 for _ in self.records.find({"revoked": False}))

    def revoke(self, name: str) -> ApiKey:
        k = self.by_name(name)
        if k is None:
            raise KeyError_(f"no active key named {name!r}")
        k.revoked = self.clock()
        self._put(k)
        return k

    def verify(self, presented: str) -> ApiKey | None:
        """The active key record for a presented key, or None."""
        if not presented or not presented.startswith(PREFIX) or len(presented) > 200:
            return None
        digest = hash_key(presented)
        doc = self.records.get(digest)
        if doc is None:
            return None
        k = self._load(digest, doc)
        if not hmac.compare_digest(k.id, digest) or k.revoked:
            return None
        return k

    def by_id(self, key_id: str) -> ApiKey | None:
        """An active key by its hash (the web session holds the hash, never the key)."""
        if not re.fullmatch(r"[0-9a-f]{64}", key_id or ""):
            return None
        doc = self.records.get(key_id)
        if doc is None:
            return None
        k = self._load(key_id, doc)
        return None if k.revoked else k

    def touch(self, k: ApiKey) -> None:
        now = self.clock()
        if k.last_used is None or now - k.last_used > LAST_USED_EVERY_S:
            k.last_used = now
            self._put(k)
