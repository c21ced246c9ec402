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
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from assistant.core.collections import collection_of
from assistant.core.config import Settings

log = logging.getLogger(__name__)

GET_PAGE = 2000
STATE_ID = "__state__"
# Rows per Chroma `add` when writing a segment (an ingest's commit and a merge's copy). Each add is
# one guarded store call, limited by ASSISTANT_STORE_TIMEOUT_SECONDS (10 s by default); one add of
# 5,000 rows (text, metadata, a 384-d vector each) timed out at that limit on a loaded two-core
# machine, so a segment is written in adds of 1,000 rows: about a fifth of the time per call, the
# same limit for every store call, and no setting to add. (Per-row cost is unchanged.)
ADD_BATCH = 1000
_DUMMY = [0.0]  # manifest records carry a 1-dimensional placeholder vector


class StoreError(RuntimeError):
    """The store cannot be reached or holds something unusable."""


class DiskFullError(StoreError):
    """The disk filled up while writing; what was half-written has been removed."""


class EmbedderMismatch(StoreError):
    """The index was built with another embedding model than this process's: a setting to fix
    (or a re-embed), not a passing failure of the store."""


class StoreTimeout(StoreError):
    """A store call did not return within ASSISTANT_STORE_TIMEOUT_SECONDS."""


@dataclass(frozen=True)
class Record:
    id: str
    text: str
    metadata: dict[str, Any]
    embedding: Any = None


def make_client(settings: Settings):
    """The Chroma client, every call through a `StoreGuard` (assistant/index/guard.py): a time limit,
    full-disk errors as `DiskFullError`, a fresh client after a failure."""
    from assistant.index.guard import GuardedClient, StoreGuard

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


def is_disk_full(exc: BaseException) -> bool:
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OSError) and exc.errno == 28:
            return True
        text = str(exc).lower()
        if "no space left" in text or "disk full" in text or "database or disk is full" in text:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


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


@dataclass
class NewChunk:
    text: str
    metadata: dict[str, Any]  # must hold chunk_index; source/doc_version are set by the writer
    embedding: Any
    terms: list[str] | None = None  # keyword terms; computed from text + title when None


@dataclass
class CommitInfo:
    segment: str | None
    chunks_written: int
    docs_added: int
    docs_removed: int
    merged: list[str]
    seconds: float


class IndexWriter:
    """Stages document additions and removals and makes them visible in one manifest write.

    Use under the ingest lock (one writer at a time). `fail_at` names a kill point for the
    crash tests ("after_vectors", "after_keyword", "after_switch")."""

    def __init__(self, store: ChunkStore, embedder: str, dimension: int,
                 merge_factor: int = 8, max_merge_chunks: int = 200_000,
                 grace_seconds: float = 300.0) -> None:
        self.store = store
        self.embedder = embedder
        self.dimension = dimension
        self.merge_factor = merge_factor
        self.max_merge_chunks = max_merge_chunks
        self.grace_seconds = grace_seconds
        self._adds: list[tuple[dict[str, Any], list[NewChunk]]] = []
        self._removes: list[str] = []
        self.updates: list[dict[str, Any]] = []  # records re-written with the same version
        self.failed: dict[str, list[str]] | None = None
        self.fail_at: str | None = None
        # Re-embedding with another model: the new segment replaces every listed one (retired,
        # so readers holding them keep working through the grace period).
        self.replace = False

    def add(self, info: dict[str, Any], chunks: list[NewChunk]) -> str:
        """Stage a document version; `info` holds source, title, origin fields, file_hash..."""
        version = new_version()
        info = dict(info, version=version, chunks=len(chunks))
        self._adds.append((info, chunks))
        return version

    def remove(self, source: str) -> None:
        self._removes.append(source)

    def _check(self, point: str) -> None:
        if self.fail_at == point:
            raise RuntimeError(f"simulated crash at {point}")

    def commit(self) -> CommitInfo:
        from assistant.core.text import terms
        from assistant.index.keyword import write_segment

        t0 = time.perf_counter()
        store = self.store
        state = store.state()
        if state["embedder"] not in (None, self.embedder) and state["segments"] and not self.replace:
            raise StoreError(f"the index was built with {state['embedder']!r}, not "
                             f"{self.embedder!r}")
        name = None
        written = 0
        n_chunks = sum(len(c) for _, c in self._adds)
        try:
            if n_chunks:
                name = store.new_segment_name()
                col = store.create_segment(name, self.embedder, self.dimension)
                ids, docs, metas, embs = [], [], [], []
                doc_rows, kw_rows = [], []
                for row, (info, chunks) in enumerate(self._adds):
                    doc_rows.append((info["source"], info["version"]))
                    for c in chunks:
                        meta = dict(c.metadata)
                        meta["source"] = info["source"]
                        meta["doc_version"] = info["version"]
                        meta["collection"] = collection_of(info)
                        idx = int(meta["chunk_index"])
                        ids.append(f"{info['version']}:{idx}")
                        docs.append(c.text)
                        metas.append(meta)
                        embs.append(c.embedding)
                        toks = c.terms if c.terms is not None else (
                            terms(c.text) + terms(meta.get("title", "")))
                        kw_rows.append((row, idx, toks))
                batch = max(1, min(ADD_BATCH, store.client.get_max_batch_size()))
                for i in range(0, len(ids), batch):
                    col.add(ids=ids[i:i + batch], documents=docs[i:i + batch],
                            metadatas=metas[i:i + batch],
                            embeddings=np.asarray(embs[i:i + batch], dtype=np.float32))
                    if i == 0:
                        self._check("mid_vectors")
                written = len(ids)
                self._check("after_vectors")
                write_segment(store.keyword_dir / name, doc_rows, kw_rows,
                              meta={"collections": 1})
                self._check("after_keyword")
        except BaseException as exc:
            if name is not None:
                store.drop_segment(name)
            if is_disk_full(exc):
                raise DiskFullError(
                    "disk full while writing the index; the half-written segment was removed and "
                    "the previous index keeps answering") from exc
            raise
        # The switch: one manifest write.
        seq = state["seq"] + 1
        try:
            counts = self._counts_after(state, name)
        except Exception as exc:  # unknown counts only delay a merge: the merge check recounts
            log.warning("could not update the live-chunk counts (recounted next): %s", exc)
            counts = None
        records = []
        for info, _ in self._adds:
            # The segment holding this version (the counts use it). Without a segment (no chunk
            # written) the hint is voided explicitly: an upsert would keep the old one.
            hint = {"segment": name, "segment_version": info["version"]} if name is not None \
                else {"segment_version": ""}
            records.append(dict(info, seq=seq, **hint))
        added = {r["source"] for r in records}
        for rec in self.updates:
            if rec["source"] not in added:
                records.append(dict(rec, seq=seq))
        for source in self._removes:
            if source not in added:
                records.append({"source": source, "version": "", "chunks": 0, "seq": seq,
                                "removed_at": time.time()})
        new_state = dict(state, seq=seq, embedder=self.embedder, dimension=self.dimension,
                         counts=counts)
        if self.replace:
            new_state["segments"] = [name] if name is not None else []
            new_state["retired"] = state["retired"] + [[n, time.time()] for n in state["segments"]]
        elif name is not None:
            new_state["segments"] = state["segments"] + [name]
        if self.failed is not None:
            new_state["failed"] = self.failed
        if records or name is not None or self.failed != state["failed"] or self.replace:
            try:
                store.commit(new_state, records)
            except BaseException as exc:
                if name is not None:
                    store.drop_segment(name)
                if is_disk_full(exc):
                    raise DiskFullError("disk full while switching the index; the previous index "
                                        "keeps answering") from exc
                raise
        self._check("after_switch")
        merged = self.maintain()
        info = CommitInfo(segment=name, chunks_written=written, docs_added=len(self._adds),
                          docs_removed=len(self._removes), merged=merged,
                          seconds=time.perf_counter() - t0)
        self._adds, self._removes, self.updates = [], [], []
        return info

    # --- live-chunk counts per segment (the merge check's input) ---
    def _counts_after(self, state: dict[str, Any], name: str | None) -> dict | None:
        """The state's counts once this commit's switch is written: the new segment's chunks all
        live, and the versions it replaces (or removes) taken off the segments holding them.
        Reads only the manifest records of the sources this commit touches. None (unknown: the
        merge check counts the old way) when the old counts are unknown or a replaced version
        cannot be found."""
        added: dict[str, int] = {}
        for info, chunks in self._adds:  # (one record per source: the last one written wins)
            added[info["source"]] = len(chunks)
        if self.replace:  # the new segment replaces every listed one
            return {name: [sum(len(c) for _, c in self._adds), sum(added.values())]} \
                if name is not None else {}
        counts = state["counts"]
        if counts is None:
            return None
        counts = {k: list(v) for k, v in counts.items()}
        touched = set(added) | set(self._removes)
        old = self.store.live_records(touched) if touched else {}
        old = {s: d for s, d in old.items() if int(d.get("chunks", 0))}  # (nothing to take off)
        holder = {src: hinted_segment(rec) for src, rec in old.items()}
        lost = {old[src]["version"]: src for src, seg in holder.items() if seg not in counts}
        if lost:  # records written before the hints, or by a merge that died half-way
            for version, seg_name in locate_versions(self.store, lost, state["segments"]).items():
                holder[lost[version]] = seg_name
        for src, rec in old.items():
            seg = holder.get(src)
            if seg not in counts:
                log.info("the segment of %s's version %s was not found: live-chunk counts will "
                         "be recounted", src, rec.get("version"))
                return None
            counts[seg][1] -= int(rec.get("chunks", 0))
            if counts[seg][1] < 0:
                return None
        if name is not None:
            counts[name] = [sum(len(c) for _, c in self._adds), sum(added.values())]
        return counts

    def _count_live(self, state: dict[str, Any]) -> tuple[dict[str, list[int]], bool,
                                                          dict[str, dict[str, Any]]]:
        """The counts the old way, for an index whose state has none: every live document record
        (the whole manifest) against each segment's document list. Returns (counts, complete,
        live records); `complete` is False when a segment's keyword files could not be read
        (that segment is left out, as the merge check always did)."""
        from assistant.index.keyword import Segment

        live_docs = self.store.live_docs()
        live = {s: d["version"] for s, d in live_docs.items()}
        counts: dict[str, list[int]] = {}
        complete = True
        for name in state["segments"]:
            try:
                seg = Segment(self.store.keyword_dir / name)
            except (OSError, ValueError):
                complete = False
                continue
            rows_live = np.array([live.get(src) == ver for src, ver in seg.docs], dtype=bool)
            n_live = int(rows_live[np.asarray(seg.chunk_doc)].sum()) if seg.n_chunks else 0
            counts[name] = [seg.n_chunks, n_live]
        return counts, complete, live_docs

    # --- garbage collection and tiered merging ---
    def maintain(self) -> list[str]:
        """Merge small or mostly-dead segments, then collect garbage. Failures here never undo
        the switch (the next run retries)."""
        try:
            merged = self._merge()
        except Exception as exc:
            log.warning("segment merge failed (will retry on the next ingest): %s", exc)
            merged = []
        try:
            self.store.collect_garbage(self.grace_seconds)
        except Exception as exc:
            log.warning("garbage collection failed (will retry on the next ingest): %s", exc)
        return merged

    def _merge(self) -> list[str]:
        from assistant.core.text import terms
        from assistant.index.keyword import write_segment

        store = self.store
        state = store.state()
        counts = state["counts"]
        everything: dict[str, dict[str, Any]] | None = None  # every live record, if read
        if counts is None:  # an index written before the counts: count the old way, once
            counts, complete, everything = self._count_live(state)
            if complete:  # store them (same seq: nothing a reader uses changes)
                store.commit(dict(state, counts=counts), [])
        sizes: dict[str, tuple[int, int]] = {n: (counts[n][0], counts[n][1])
                                             for n in state["segments"] if n in counts}
        # Segments with no live chunk at all are simply unlisted.
        empty = [n for n, (total, alive) in sizes.items() if alive == 0]
        # Mostly-dead segments are rewritten; small ones merge by tier (powers of merge_factor).
        candidates: list[str] = [n for n, (total, alive) in sizes.items()
                                 if alive and total >= 100 and alive < total / 2]
        tiers: dict[int, list[str]] = {}
        for n, (total, alive) in sizes.items():
            if alive and alive <= self.max_merge_chunks and n not in candidates:
                tier = int(np.log(max(alive, 1)) / np.log(self.merge_factor))
                tiers.setdefault(tier, []).append(n)
        for group in tiers.values():
            if len(group) >= self.merge_factor:
                candidates.extend(group)
        if not candidates and not empty:
            return []
        merged_name = None
        moved: list[dict[str, Any]] = []  # records of the versions copied, to re-point
        copied = 0
        # What the counts say is checked against the records before anything is dropped: an
        # "empty" segment is unlisted, and a candidate copied, only as their documents' records
        # say (a wrong count can delay or hasten a merge, never drop a live chunk).
        held = {n: segment_docs(store, n) for n in set(candidates) | set(empty)}
        unreadable = {n for n, docs in held.items() if docs is None}
        candidates = [n for n in candidates if n not in unreadable]
        empty = [n for n in empty if n not in unreadable]
        sources = {src for docs in held.values() for src, _ in docs or ()}
        live_docs = everything if everything is not None else store.live_records(sources)
        live_pairs = {(s, d["version"]) for s, d in live_docs.items() if s in sources}
        not_empty = [n for n in empty if any(pair in live_pairs for pair in held[n])]
        if not_empty:
            log.warning("segments counted as empty still hold live documents: %s (recounted)",
                        ", ".join(not_empty))
            empty = [n for n in empty if n not in not_empty]
            store.commit(dict(state, counts=None), [])  # (same seq: recounted next time)
            counts = {}
        if not candidates and not empty:
            return []
        if candidates:
            # The live versions among the candidates' documents: their records only (the
            # candidates' own document lists name them), unless every record was read above.
            versions = {d["version"]: d for s, d in live_docs.items() if s in sources}
            merged_name = store.new_segment_name()
            col = store.create_segment(merged_name, self.embedder, self.dimension)
            doc_rows: list[tuple[str, str]] = []
            row_of: dict[str, int] = {}
            kw_rows = []
            try:
                for name in candidates:
                    buf: list = []
                    for rec in iter_records(store.segment(name), include_embeddings=True):
                        if rec.metadata.get("doc_version") not in versions:
                            continue
                        # Chunks written before collections existed get theirs stamped now.
                        rec = Record(rec.id, rec.text, dict(
                            rec.metadata,
                            collection=collection_of(versions[rec.metadata["doc_version"]])),
                            rec.embedding)
                        buf.append(rec)
                        src, ver = rec.metadata["source"], rec.metadata["doc_version"]
                        if ver not in row_of:
                            row_of[ver] = len(doc_rows)
                            doc_rows.append((src, ver))
                        kw_rows.append((row_of[ver], int(rec.metadata["chunk_index"]),
                                        terms(rec.text) + terms(rec.metadata.get("title", ""))))
                        if len(buf) >= ADD_BATCH:
                            self._copy(col, buf)
                            buf = []
                    self._copy(col, buf)
                write_segment(store.keyword_dir / merged_name, doc_rows, kw_rows,
                              meta={"collections": 1})
            except BaseException:
                store.drop_segment(merged_name)
                raise
            copied = len(kw_rows)
            # Same version, same seq (readers see no change): only where the version now lives.
            moved = [dict(versions[ver], segment=merged_name, segment_version=ver)
                     for _, ver in doc_rows]
        gone = set(candidates) | set(empty)
        state = store.state()
        now = time.time()
        kept = [n for n in state["segments"] if n not in gone]
        state["segments"] = kept + ([merged_name] if merged_name else [])
        state["retired"] = state["retired"] + [[n, now] for n in sorted(gone)]
        state["seq"] += 1
        if all(n in counts for n in kept):
            state["counts"] = {n: counts[n] for n in kept}
            if merged_name:
                state["counts"][merged_name] = [copied, copied]
        else:
            state["counts"] = None
        # The state goes first in this write (see ChunkStore.commit): a crash before the moved
        # records are re-pointed leaves hints naming a retired segment, which `_counts_after`
        # does not trust (it finds the version in the listed segments' document lists).
        store.commit(state, moved)
        return sorted(gone)

    @staticmethod
    def _copy(col, recs: list[Record]) -> None:
        if recs:
            col.add(ids=[r.id for r in recs], documents=[r.text for r in recs],
                    metadatas=[r.metadata for r in recs],
                    embeddings=np.asarray([r.embedding for r in recs], dtype=np.float32))
