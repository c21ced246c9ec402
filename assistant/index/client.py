"""The Chroma client (embedded `PersistentClient` or a `chroma run` server), every call through a
`StoreGuard`, and where the keyword segments live."""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
from pathlib import Path

from assistant.core.config import Settings
from assistant.index.errors import StoreError
from assistant.index.guard import GuardedClient, StoreGuard

log = logging.getLogger(__name__)


def make_client(settings: Settings):
    """The Chroma client, every call through a `StoreGuard` (assistant/index/guard.py): a time limit,
    full-disk errors as `DiskFullError`, a fresh client after a failure."""
    path = None if settings.server_mode else str(settings.chroma_path)

    def factory():
        return first.pop() if first else _raw_client(settings)

    guard = StoreGuard(factory, settings.store_timeout_seconds, path)
    first: list = []
    try:  # fails here (StoreError, DiskFullError) when the store cannot be opened
        first.append(_raw_client(settings))
    except StoreError:
        raise
    except Exception as exc:
        raise guard._open_failed(exc) from exc
    return GuardedClient(guard)


def _raw_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.server_mode:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError here
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}: "
                f"{exc}"
            ) from exc
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def keyword_root(settings: Settings) -> Path:
    """Where the keyword segments live: next to the embedded store, or the configured shared
    folder (server mode: every API machine must mount the same folder there)."""
    if settings.keyword_path is not None:
        base = settings.keyword_path
    elif settings.server_mode:
        base = settings.chroma_path.parent / f"keyword-{settings.chroma_host}-{settings.chroma_port}"
    else:
        base = settings.chroma_path.parent / f"{settings.chroma_path.name}-keyword"
    return base / settings.collection_prefix


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def remove_orphan_vector_folders(settings: Settings) -> list[str]:
    """Embedded Chroma (1.5) deletes a dropped collection's rows but leaves its HNSW folder (named
    by the vector segment's id) on disk: remove folders no segment in chroma.sqlite3 names. The
    folders are listed before the segment ids are read, so a collection created meanwhile (by
    another process) is never touched. Call under the ingest lock."""
    if settings.chroma_host:
        return []
    root = Path(settings.chroma_path)
    db = root / "chroma.sqlite3"
    if not db.exists():
        return []
    folders = [p for p in root.iterdir() if p.is_dir() and _UUID.match(p.name)]
    if not folders:
        return []
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            known = {str(r[0]) for r in con.execute("SELECT id FROM segments")}
        finally:
            con.close()
    except sqlite3.Error as exc:  # another Chroma schema: leave everything as it is
        log.warning("could not read Chroma's segment list (%s); no folders removed", exc)
        return []
    if not known:
        return []
    removed = []
    for folder in folders:
        if folder.name not in known:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed
