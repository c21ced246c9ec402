"""The chunk store: Chroma, embedded (`PersistentClient`) or a server (`chroma run`).

Ingestion never edits the collection that answers questions. Each ingest that changes anything
writes a new *generation* (a new collection), and only when it is complete does it switch the
manifest (the metadata of one small collection) to point at it; then older generations are
dropped. A run that fails half-way leaves the manifest, and so the answering index, as it was.
API processes read the manifest to find the active generation, so several of them can share one
Chroma server and pick up a new index without restarting.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

from assistant.config import Settings

log = logging.getLogger(__name__)

GET_PAGE = 2000


class StoreError(RuntimeError):
    """The store cannot be reached or holds something unusable."""


@dataclass(frozen=True)
class Record:
    id: str
    text: str
    metadata: dict[str, Any]
    embedding: Any = None


def make_client(settings: Settings):
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


class ChunkStore:
    def __init__(self, settings: Settings, client=None) -> None:
        self.settings = settings
        self.client = client if client is not None else make_client(settings)
        self.prefix = settings.collection_prefix
        self._manifest_name = f"{self.prefix}-manifest"

    # --- manifest ---
    def _manifest(self):
        return self.client.get_or_create_collection(self._manifest_name, embedding_function=None)

    def manifest(self) -> dict[str, Any]:
        return dict(self._manifest().metadata or {})

    def active_name(self) -> str | None:
        return self.manifest().get("active")

    def active(self):
        """The collection that answers questions, or None before the first ingest."""
        name = self.active_name()
        if not name:
            return None
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception as exc:
            raise StoreError(f"the manifest names collection {name!r}, which is missing: {exc}") from exc

    # --- generations ---
    def new_generation(self, metadata: dict[str, Any]):
        name = f"{self.prefix}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        return self.client.create_collection(
            name,
            embedding_function=None,
            metadata=metadata,
            configuration={"hnsw": {"space": "cosine"}},
        )

    def activate(self, collection, info: dict[str, Any]) -> None:
        """Point the manifest at `collection`, then drop every other generation."""
        manifest = self._manifest()
        meta = {k: v for k, v in (manifest.metadata or {}).items() if k == "failed"}
        meta.update({k: v for k, v in info.items() if v is not None})
        meta["active"] = collection.name
        meta["activated_at"] = time.time()
        manifest.modify(metadata=meta)
        for name in self.generation_names():
            if name != collection.name:
                self.drop(name)

    def failures(self) -> dict[str, list[str]]:
        """Files the last ingest could not use: source -> [sha256, reason]."""
        import json

        try:
            return json.loads(self.manifest().get("failed") or "{}")
        except ValueError:
            return {}

    def set_failures(self, failed: dict[str, list[str]]) -> None:
        import json

        manifest = self._manifest()
        meta = dict(manifest.metadata or {})
        meta["failed"] = json.dumps(failed, sort_keys=True)
        manifest.modify(metadata=meta)

    def drop(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception as exc:  # already gone: nothing to do
            log.debug("could not drop %s: %s", name, exc)

    def generation_names(self) -> list[str]:
        """Collections that are index generations (`<prefix>-<UTC time>-<8 hex>`); other
        collections of the same prefix (conversations, feedback) are never touched."""
        pattern = re.compile(rf"^{re.escape(self.prefix)}-\d{{14}}-[0-9a-f]{{8}}$")
        names = []
        for c in self.client.list_collections():
            name = c if isinstance(c, str) else c.name
            if pattern.match(name):
                names.append(name)
        return names

    def drop_abandoned(self) -> None:
        """Remove generations left by runs that died before activating them."""
        active = self.active_name()
        for name in self.generation_names():
            if name != active:
                self.drop(name)


def iter_records(collection, include_embeddings: bool = False, where=None) -> Iterator[Record]:
    include = ["documents", "metadatas"] + (["embeddings"] if include_embeddings else [])
    offset = 0
    while True:
        page = collection.get(include=include, limit=GET_PAGE, offset=offset, where=where)
        ids = page["ids"]
        if not ids:
            return
        embeddings = page.get("embeddings") if include_embeddings else None
        for i, id_ in enumerate(ids):
            yield Record(
                id=id_,
                text=page["documents"][i],
                metadata=page["metadatas"][i] or {},
                embedding=None if embeddings is None else embeddings[i],
            )
        if len(ids) < GET_PAGE:
            return
        offset += len(ids)
