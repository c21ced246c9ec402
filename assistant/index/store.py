"""The chunk store: Chroma, embedded (`PersistentClient`) or a server (`chroma run`), plus the
on-disk keyword segments. Design (see notes/scale.md):

- **Segments are immutable.** Each ingest run that adds chunks writes them into one *new* small
  Chroma collection (`<prefix>-seg-<UTC time>-<8 hex>`) and one keyword segment folder of the same
  name. Nothing that a reader may hold is ever modified. Cost of a run: the chunks it adds.
- **Documents are versioned.** Every added document gets a fresh version id; its chunks are stored
  as `<version>:<chunk index>`. A manifest collection (`<prefix>-docs`) holds one record per
  document, its id the document's source name (`source` -> active version, origin, file hash,
  title, chunk count, `seq`, and the segment holding that version) and one `__state__` record (the
  listed segments with their total and live chunk counts, the embedder, a sequence number).
- **A change reads what it changes.** A run reads the records of the sources it touches (one
  `get(ids=...)`, `ChunkStore.records`), never the whole manifest; the merge check decides from
  the live-chunk counts in `__state__`, which each switch updates from the records it replaces.
- **One store write switches.** A run's new versions, removals (tombstones: version "") and the
  new segment list go into the manifest with ONE `upsert` call. Readers keep only the chunks whose
  (source, version) the manifest names, so a document answers with its old version until that
  write and its new one after it: never both, never neither, never a partial one.
- **Garbage is collected afterwards.** Superseded versions stay inside their (immutable) segment as
  dead rows until a tiered merge rewrites small or mostly-dead segments; segments a merge replaced
  are dropped after a grace period (so a reader holding one never sees it vanish), and segments a
  crashed run never listed are dropped by the next run.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

from assistant.core.config import Settings
from assistant.index.client import keyword_root, make_client

log = logging.getLogger(__name__)

GET_PAGE = 2000
STATE_ID = "__state__"
_DUMMY = [0.0]  # manifest records carry a 1-dimensional placeholder vector


@dataclass(frozen=True)
class Record:
    id: str
    text: str
    metadata: dict[str, Any]
    embedding: Any = None


def new_version() -> str:
    return uuid.uuid4().hex[:16]


class ChunkStore:
    def __init__(self, settings: Settings, client=None) -> None:
        self.settings = settings
        self.client = client if client is not None else make_client(settings)
        self.prefix = settings.collection_prefix
        self._manifest_name = f"{self.prefix}-docs"
        self._legacy_manifest = f"{self.prefix}-manifest"
        self.keyword_dir = keyword_root(settings)
        self._seg_pattern = re.compile(rf"^{re.escape(self.prefix)}-seg-\d{{14}}-[0-9a-f]{{8}}$")
        self._manifest_col = None

    # --- manifest ---
    def _manifest(self):
        if self._manifest_col is None:
            self._manifest_col = self.client.get_or_create_collection(
                self._manifest_name, embedding_function=None)
        return self._manifest_col

    def state(self) -> dict[str, Any]:
        """The `__state__` record: seq, segments, retired, embedder, dimension, failed, counts.

        `counts`: segment -> [chunks, live chunks] of every listed segment, or None when unknown
        (an index written before the counts existed, or by a writer that does not keep them: the
        counts are only trusted when written with the state's current `seq` and naming exactly
        the listed segments; the merge check then counts the old way and stores them)."""
        got = self._manifest().get(ids=[STATE_ID], include=["metadatas"])
        meta = dict(got["metadatas"][0] or {}) if got["ids"] else {}
        seq = int(meta.get("seq", 0))
        segments = json.loads(meta.get("segments") or "[]")
        counts = None if segments else {}  # (no segment: nothing to count)
        if meta.get("counts") and meta.get("counts_seq") == seq:
            try:
                parsed = {str(k): [int(v[0]), int(v[1])]
                          for k, v in json.loads(meta["counts"]).items()}
            except (ValueError, TypeError, IndexError, AttributeError):
                parsed = None
            if parsed is not None and set(parsed) == set(segments):
                counts = parsed
        return {
            "seq": seq,
            "segments": segments,
            "retired": json.loads(meta.get("retired") or "[]"),
            "embedder": meta.get("embedder"),
            "dimension": meta.get("dimension"),
            "failed": json.loads(meta.get("failed") or "{}"),
            "counts": counts,
        }

    def docs(self, since_seq: int = 0) -> list[dict[str, Any]]:
        """Document records (tombstones included) written after `since_seq`."""
        col = self._manifest()
        where = {"seq": {"$gt": since_seq}}
        out, offset = [], 0
        while True:
            page = col.get(where=where, include=["metadatas"], limit=GET_PAGE, offset=offset)
            for id_, meta in zip(page["ids"], page["metadatas"]):
                if id_ != STATE_ID:
                    out.append(dict(meta or {}))
            if len(page["ids"]) < GET_PAGE:
                return out
            offset += len(page["ids"])

    def live_docs(self) -> dict[str, dict[str, Any]]:
        """source -> record of every document that currently answers. Reads the WHOLE manifest
        (every document record, tombstones included: about 0.1 s per 1,000 documents): for
        listings and whole-index work (re-embedding, counting an old index). A change to some
        documents reads theirs with `records` / `live_records`."""
        return {d["source"]: d for d in self.docs() if d.get("version")}

    def records(self, sources: Iterable[str]) -> dict[str, dict[str, Any]]:
        """source -> manifest record (tombstones included) of just these sources. A document's
        record id is its source name (see `commit`), so this is one `get(ids=...)` per GET_PAGE
        sources: its cost is the number of sources asked for, not the size of the index."""
        wanted = [s for s in dict.fromkeys(sources) if s != STATE_ID]
        out: dict[str, dict[str, Any]] = {}
        col = self._manifest()
        for i in range(0, len(wanted), GET_PAGE):
            page = col.get(ids=wanted[i:i + GET_PAGE], include=["metadatas"])
            for id_, meta in zip(page["ids"], page["metadatas"]):
                out[id_] = dict(meta or {})
        return out

    def live_records(self, sources: Iterable[str]) -> dict[str, dict[str, Any]]:
        """source -> record of those of `sources` that currently answer."""
        return {s: d for s, d in self.records(sources).items() if d.get("version")}

    def live_by_hash(self, file_hash: str) -> dict[str, dict[str, Any]]:
        """source -> record of the live documents whose file hashes to `file_hash` (a filtered
        manifest read: the documents with that content only)."""
        page = self._manifest().get(where={"file_hash": file_hash}, include=["metadatas"],
                                    limit=GET_PAGE)
        return {i: dict(m or {}) for i, m in zip(page["ids"], page["metadatas"])
                if i != STATE_ID and (m or {}).get("version")}

    def folder_sources(self, folders: Iterable[str]) -> list[str]:
        """Source names of the live documents whose origin is one of these (absolute) folders:
        what pruning a folder run must know. Cost: Chroma filters the manifest by metadata and
        returns ids only (no records), so it is proportional to the documents of those folders
        (which the run hashes anyway), not to the whole index; the records of the few sources a
        run does not already hold are then read with `records`."""
        folders = sorted(set(folders))
        if not folders:
            return []
        # (a tombstone keeps its old origin fields: an upsert merges metadata; hence the version)
        where = {"$and": [{"origin_kind": "folder"}, {"origin": {"$in": folders}},
                          {"version": {"$ne": ""}}]}
        col = self._manifest()
        out, offset = [], 0
        while True:
            page = col.get(where=where, include=[], limit=GET_PAGE, offset=offset)
            out.extend(i for i in page["ids"] if i != STATE_ID)
            if len(page["ids"]) < GET_PAGE:
                return out
            offset += len(page["ids"])

    def has_live(self) -> bool:
        """Does any document answer? (One small `get`: at most two ids.)"""
        # `$ne` also matches the state record, which has no version field.
        got = self._manifest().get(where={"version": {"$ne": ""}}, include=[], limit=2)
        return any(i != STATE_ID for i in got["ids"])

    def live_chunks(self) -> int:
        """Chunks that answer: the sum of the state's counts (the whole manifest when the index
        has none yet)."""
        counts = self.state()["counts"]
        if counts is not None:
            return sum(alive for _, alive in counts.values())
        return sum(int(d.get("chunks", 0)) for d in self.live_docs().values())

    def commit(self, state: dict[str, Any], records: Sequence[dict[str, Any]]) -> None:
        """Write the state and document records in one upsert (batched only beyond Chroma's
        batch limit; the state goes first, and each document's record is written whole)."""
        meta = {
            "seq": int(state["seq"]),
            "segments": json.dumps(state.get("segments", [])),
            "retired": json.dumps(state.get("retired", [])),
            "failed": json.dumps(state.get("failed", {}), sort_keys=True),
        }
        for key in ("embedder", "dimension"):
            if state.get(key) is not None:
                meta[key] = state[key]
        # The counts hold for this seq only; "" clears them (an upsert merges metadata, so a
        # missing key would keep the old value).
        counts = state.get("counts")
        meta["counts"] = "" if counts is None else json.dumps(
            {k: [int(v[0]), int(v[1])] for k, v in sorted(counts.items())})
        meta["counts_seq"] = int(state["seq"])
        ids = [STATE_ID] + [r["source"] for r in records]
        metas = [meta] + [{k: v for k, v in r.items() if v is not None} for r in records]
        limit = max(1, self.client.get_max_batch_size())
        col = self._manifest()
        for i in range(0, len(ids), limit):
            col.upsert(ids=ids[i:i + limit], metadatas=metas[i:i + limit],
                       embeddings=[_DUMMY] * len(ids[i:i + limit]))

    def failures(self) -> dict[str, list[str]]:
        """Files the last ingest could not use: source -> [sha256, reason]."""
        return self.state()["failed"]

    # --- segments ---
    def new_segment_name(self) -> str:
        return f"{self.prefix}-seg-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"

    def create_segment(self, name: str, embedder: str, dimension: int):
        return self.client.create_collection(
            name, embedding_function=None,
            metadata={"embedder": embedder, "dimension": dimension, "created_at": time.time()},
            configuration={"hnsw": {"space": "cosine"}})

    def segment(self, name: str):
        return self.client.get_collection(name, embedding_function=None)

    def segment_names(self) -> list[str]:
        names = []
        for c in self.client.list_collections():
            name = c if isinstance(c, str) else c.name
            if self._seg_pattern.match(name):
                names.append(name)
        return sorted(names)

    def drop_segment(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception as exc:  # already gone: nothing to do
            log.debug("could not drop %s: %s", name, exc)
        shutil.rmtree(self.keyword_dir / name, ignore_errors=True)

    def collect_garbage(self, grace_seconds: float) -> list[str]:
        """Drop segments no state lists (a crashed run's) and retired ones past their grace
        period. Call only under the ingest lock."""
        state = self.state()
        listed = set(state["segments"])
        retired = {name: t for name, t in state["retired"]}
        dropped = []
        now = time.time()
        for name in self.segment_names():
            if name in listed:
                continue
            if name in retired and now - retired[name] < grace_seconds:
                continue
            self.drop_segment(name)
            dropped.append(name)
        if self.keyword_dir.exists():
            for folder in self.keyword_dir.iterdir():
                if folder.name.startswith(".tmp-"):
                    shutil.rmtree(folder, ignore_errors=True)
                elif folder.is_dir() and self._seg_pattern.match(folder.name) and \
                        folder.name not in listed and folder.name not in retired:
                    shutil.rmtree(folder, ignore_errors=True)
        still = [[n, t] for n, t in state["retired"] if n not in dropped and n in
                 set(self.segment_names())]
        if still != state["retired"]:
            state["retired"] = still
            state["seq"] += 1
            self.commit(state, [])
        return dropped

    # --- the layout before per-document versions ---
    def legacy_layout(self) -> bool:
        """An index written by the old whole-generation layout (rebuilt by the next ingest)."""
        try:
            col = self.client.get_collection(self._legacy_manifest, embedding_function=None)
        except Exception:
            return False
        return bool((col.metadata or {}).get("active"))

    def drop_legacy(self) -> None:
        pattern = re.compile(rf"^{re.escape(self.prefix)}-\d{{14}}-[0-9a-f]{{8}}$")
        for c in self.client.list_collections():
            name = c if isinstance(c, str) else c.name
            if pattern.match(name) or name == self._legacy_manifest:
                try:
                    self.client.delete_collection(name)
                except Exception:
                    pass

    # --- reading live chunks (tests, evals) ---
    def iter_live(self, include_embeddings: bool = False,
                  sources: Iterable[str] | None = None) -> Iterator[Record]:
        live = self.live_docs() if sources is None else self.live_records(sources)
        versions = {d["version"] for d in live.values()}
        for name in self.state()["segments"]:
            for rec in iter_records(self.segment(name), include_embeddings):
                if rec.metadata.get("doc_version") in versions:
                    yield rec

    def count(self) -> int:
        return sum(int(d.get("chunks", 0)) for d in self.live_docs().values())

    # --- compatibility with code written for the whole-generation layout (tests, tools) ---
    def active(self) -> "_LiveChunks | None":
        """The live chunks as a read-only collection-like object (`count`, `get`)."""
        return _LiveChunks(self) if self.state()["segments"] else None

    def generation_names(self) -> list[str]:
        return self.segment_names()


class _LiveChunks:
    def __init__(self, store: ChunkStore) -> None:
        self.store = store

    def count(self) -> int:
        return self.store.count()

    def get(self, include=("documents", "metadatas"), limit=None, offset=0, where=None, **_):
        sources = None
        if where and isinstance(where.get("source"), str):
            sources = [where["source"]]
        recs = list(self.store.iter_live("embeddings" in include, sources=sources))
        recs = recs[offset:None if limit is None else offset + limit]
        return {"ids": [r.id for r in recs], "documents": [r.text for r in recs],
                "metadatas": [r.metadata for r in recs],
                "embeddings": [r.embedding for r in recs]}


def hinted_segment(record: dict[str, Any]) -> str | None:
    """The segment holding a document record's current version, as its record says (written
    with the version, re-pointed by merges); None when the record has no hint for this version.
    Trust it only when the segment is listed (a merge that died before re-pointing leaves it
    naming a retired one)."""
    if record.get("segment") and record.get("segment_version") == record.get("version"):
        return record["segment"]
    return None


def segment_docs(store: ChunkStore, name: str) -> list[tuple[str, str]] | None:
    """(source, version) of every document a segment holds (its keyword segment's docs.json);
    None when that cannot be read."""
    try:
        raw = (store.keyword_dir / name / "docs.json").read_text(encoding="utf-8")
        return [(str(s), str(v)) for s, v in json.loads(raw)]
    except (OSError, ValueError, TypeError):
        return None


def locate_versions(store: ChunkStore, versions: Iterable[str],
                    segments: Sequence[str]) -> dict[str, str]:
    """version -> segment, for the given versions found in the listed segments' document lists
    (a fallback for records without a segment hint: reads those lists until all are found)."""
    wanted = set(versions)
    found: dict[str, str] = {}
    for name in reversed(list(segments)):  # the newest first: recent versions live there
        for _, ver in segment_docs(store, name) or ():
            if ver in wanted:
                found[ver] = name
        if len(found) == len(wanted):
            break
    return found


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


