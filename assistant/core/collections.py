"""Collections: which documents a key (or a Slack channel) may see.

Every document belongs to exactly one collection, `default` unless it was ingested with
`python -m ingest --collection NAME` (or uploaded with the form field `collection`). The name is
stored on the document's manifest record and on every one of its chunks (Chroma metadata
`collection`), so retrieval filters inside the store query itself (a Chroma `where`, and a mask
of the keyword index's chunks before its top-k), never after the fact. Records written before
collections existed have no such field: they read as `default` (see `collection_of`), and the
chunks of such old segments are filtered by their document names instead (`retrieval._dense`).
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

DEFAULT = "default"
ALL = "*"  # a key's "every collection"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # also the rule for a key's collections (keys.py)


class CollectionError(ValueError):
    """A collection name that is not allowed."""


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


def check_collection(name: str | None) -> str:
    """A valid collection name (None or blank: `default`); CollectionError otherwise."""
    if name is None or not str(name).strip():
        return DEFAULT
    name = str(name).strip()
    if not valid_name(name):
        raise CollectionError(f"invalid collection name {name!r}: use 1-64 letters, digits, "
                              f"'_', '.' or '-'")
    return name


def collection_of(record: dict | None) -> str:
    """The collection of a manifest record or chunk metadata (`default` when it has none)."""
    return (record or {}).get("collection") or DEFAULT


def scope(collections: Iterable[str] | None) -> tuple[str, ...] | None:
    """A normalised scope: None (every collection) or a sorted tuple of names."""
    if collections is None:
        return None
    names = set(collections)
    if ALL in names:
        return None
    return tuple(sorted(names))


def shown(collections: Sequence[str] | None) -> list[str] | str:
    """How the audit log records a scope: "*" for every collection, else the list."""
    return ALL if collections is None else list(collections)
