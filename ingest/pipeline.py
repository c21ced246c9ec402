"""Ingestion: files -> elements -> chrome filter -> chunks -> embeddings -> a new index segment.

Cost is proportional to the change:
- a file whose bytes (sha256) and pipeline settings are unchanged is not even partitioned;
- a changed file gets a new document version; chunks whose content is unchanged keep their stored
  embedding, only new chunk texts are embedded;
- a removed file costs one manifest record (a tombstone); its chunks are garbage-collected later.
A run's new versions go into one new immutable segment (vectors + keyword postings) and become
visible with one manifest write (see `assistant.index.store`). A run that dies before that write leaves
every document answering with its previous version; its half-written segment is removed by the
next run. A run reads the manifest records of the files it is given (and, to prune a folder, the
names of that folder's documents), never the whole manifest: adding one document to a large index
reads that document's record.

Provenance: every document records where it came from (`origin_kind` "folder" with the absolute
folder, "file" with the absolute path, or "upload"). Pruning removes only documents whose origin is
a folder being ingested *now* and whose file is gone from it, so `make run` (corpus/), a CLI run of
another folder, single files and uploads never remove each other's documents.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

from assistant.core.collections import DEFAULT, check_collection, collection_of
from assistant.core.config import Settings
from assistant.core.files import file_sha256
from assistant.index.client import remove_orphan_vector_folders
from assistant.index.errors import StoreError
from assistant.index.store import ChunkStore, iter_records
from assistant.index.writer import IndexWriter, NewChunk
from assistant.retrieval.embedding import Embedder
from ingest import chrome
from ingest.chunking import Chunk, chunk_document
from ingest.loading import (
    LIMITS,
    Limits,
    LoadedDocument,
    LoadError,
    check_file,
    discover,
    partition,
    pick_title,
    source_name,
    to_elements,
    too_many_elements,
    too_much_text,
)
from ingest.records.hook import RecordIndexer, code_fingerprint

log = logging.getLogger(__name__)

# Unchanged files are re-processed when the settings that shape chunks or the code of these
# modules change (their stored embeddings are reused wherever a chunk's text is unchanged).
PIPELINE_VERSION = "3"
_PIPELINE_MODULES = ("loading.py", "chrome.py", "chunking.py", "offline_nlp.py")
ADD_BATCH = 500


@dataclass
class Failure:
    path: str
    reason: str


@dataclass
class Summary:
    files: int = 0
    files_unchanged: int = 0
    files_new: int = 0
    files_changed: int = 0
    files_removed: int = 0
    chunks_added: int = 0  # newly embedded
    chunks_reused: int = 0  # in a changed file, but with an embedding already stored
    chunks_unchanged: int = 0
    chunks_removed: int = 0
    chunks_total: int = 0
    chrome_dropped: int = 0
    failed: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    generation: str | None = None  # the segment written, if any
    chunks_written: int = 0  # vector records written to the store by this run
    reembedded: int = 0  # stored documents re-embedded with a new embedding model
    chunks_reembedded: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.files_new or self.files_changed or self.files_removed)

    def as_dict(self) -> dict:
        d = self.__dict__.copy()
        d["failed"] = [f.__dict__ for f in self.failed]
        return d


def pipeline_fingerprint(settings: Settings, embedder_name: str) -> str:
    here = Path(__file__).resolve().parent
    # The tokenizer (assistant/core/text.py) decides the keyword index's terms: a change re-indexes.
    tokenizer = here.parent / "assistant" / "core" / "text.py"
    code = hashlib.sha256(b"".join((here / m).read_bytes() for m in _PIPELINE_MODULES)
                          + tokenizer.read_bytes()
                          + code_fingerprint()).hexdigest()  # (records: ingest/records)
    parts = [PIPELINE_VERSION, code, embedder_name, settings.chunk_max_chars,
             settings.chunk_new_after_chars, settings.chunk_combine_under_chars,
             settings.chunk_overlap_chars]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


class Loader(Protocol):
    """Turns one file into a document (its elements, chrome removed), or raises LoadError:
    `load_document` below, unless a caller hands the Ingestor another."""

    def __call__(self, path: Path, root: Path | None, display: str | None = None,
                 limits: Limits = LIMITS) -> tuple[LoadedDocument, int]: ...


def load_document(path: Path, root: Path | None,
                  display: str | None = None, limits: Limits = LIMITS) -> tuple[LoadedDocument, int]:
    """Partition a file and strip its chrome; returns the document and how many elements went.
    `display`: the name a title falls back to (an upload's file name; never opened as a path).
    Size limits are checked before partitioning (see `ingest.loading`) and once more on the
    elements (for PDFs, the only check of their text)."""
    kind = check_file(path, limits)
    raw, meta_title = partition(path, kind, limits)
    if len(raw) > limits.elements:
        raise too_many_elements(len(raw), limits)
    chars = sum(len(getattr(el, "text", "") or "") for el in raw)
    if chars > limits.chars:
        raise too_much_text(chars, limits)
    elements = to_elements(raw)
    mask = chrome.chrome_mask([chrome.Piece(e.text, e.is_title) for e in elements])
    kept = [e for e, is_chrome in zip(elements, mask) if not is_chrome]
    if not kept:
        raise LoadError("no text found" + (" (a scanned PDF has no text layer)" if kind == "pdf" else ""))
    title = pick_title(Path(display) if display else path, meta_title, kept)
    doc = LoadedDocument(path=path, source=source_name(path, root), kind=kind, title=title,
                         elements=kept)
    return doc, len(elements) - len(kept)


class IngestBusy(RuntimeError):
    """Another ingest holds the lock."""


class EmbedderChanged(StoreError):
    """The index was built with another embedding model and re-embedding was not asked for."""


@contextmanager
def ingest_lock(settings: Settings, store: ChunkStore | None = None) -> Iterator[None]:
    """One ingest at a time per index. The lock file sits next to the keyword segments, which in
    server mode is the folder every machine shares, so it holds across machines too."""
    from filelock import FileLock, Timeout

    from assistant.index.client import keyword_root

    folder = (store.keyword_dir if store is not None else keyword_root(settings)).parent
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / ".ingest.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise IngestBusy(f"another ingest is running on this index (lock {folder / '.ingest.lock'});"
                         f" try again when it has finished") from None
    try:
        yield
    finally:
        lock.release()


class _Manifest:
    """The manifest records one run needs, read when first asked for: a document's record id is
    its source name, so each batch is one `get(ids=...)` (`ChunkStore.live_records`) and costs
    the sources asked for, not the size of the index. `everything`: every live record, already
    read (a re-embedding run, which is whole-index work anyway; a legacy index: nothing)."""

    def __init__(self, store: ChunkStore, everything: dict[str, dict] | None = None) -> None:
        self.store = store
        self.complete = everything is not None
        self._cache: dict[str, dict | None] = dict(everything or {})

    def load(self, sources: Iterable[str]) -> None:
        if self.complete:
            return
        missing = [s for s in dict.fromkeys(sources) if s not in self._cache]
        if missing:
            got = self.store.live_records(missing)
            self._cache.update({s: got.get(s) for s in missing})

    def get(self, source: str) -> dict | None:
        self.load([source])
        return self._cache.get(source)

    def load_folders(self, paths: list[Path]) -> None:
        """The live documents whose origin is one of these folders (what pruning needs): their
        names by a metadata filter (ids only, see `ChunkStore.folder_sources`), then the records
        of those not read yet."""
        folders = [str(p.resolve()) for p in paths if p.is_dir()]
        if folders and not self.complete:
            self.load(self.store.folder_sources(folders))

    def live(self) -> dict[str, dict]:
        """source -> record of every live document read so far."""
        return {s: d for s, d in self._cache.items() if d is not None}


@dataclass
class _Plan:
    path: Path
    source: str
    origin_kind: str
    origin: str
    skip: str | None = None  # why the file is reported as failed without being read
    display: str | None = None  # an upload's file name, for the title fallback
    collection: str = DEFAULT


class Ingestor:
    def __init__(self, settings: Settings, store: ChunkStore, embedder: Embedder,
                 root: Path | None = None, progress: bool = True,
                 on_event: Callable[[str], None] | None = None,
                 reembed: bool | None = None,
                 on_progress: Callable[[str, int, int], None] | None = None,
                 loader: Loader | None = None) -> None:
        self.settings = settings
        self.load = loader or load_document
        # May a run whose embedder differs from the index's re-embed every document?
        self.reembed = settings.reembed if reembed is None else reembed
        self.store = store
        self.embedder = embedder
        self.root = root if root is not None else settings.corpus_dir
        self.progress = progress
        self.say = on_event or (lambda msg: None)
        # (stage, done, total): "reading" per file, "embedding" per batch of chunks (the jobs
        # of the documents API show it).
        self.on_progress = on_progress or (lambda stage, done, total: None)
        self.fingerprint = pipeline_fingerprint(settings, embedder.name)
        self.limits = Limits.from_settings(settings)
        self.fail_at: str | None = None  # crash tests: a kill point of IndexWriter
        # Records (deals, regulatory events, facilities): see ingest/records/hook.py
        self.records = RecordIndexer(store)

    def writer(self) -> IndexWriter:
        w = IndexWriter(self.store, self.embedder.name, self.embedder.dimension,
                        merge_factor=self.settings.segment_merge_factor,
                        max_merge_chunks=self.settings.segment_max_merge_chunks,
                        grace_seconds=self.settings.segment_grace_seconds)
        w.fail_at = self.fail_at
        return w

    # --- planning: which files, under which names, from which origin ---
    def _plan(self, paths: list[Path], manifest: _Manifest, origin: str | None,
              names: dict[Path, tuple[str, str]] | None = None) -> list[_Plan]:
        plans: list[_Plan] = []
        taken: dict[str, str] = {}  # source -> absolute path, this run
        for p in paths:
            skipped: list[tuple[Path, str]] = []
            files = discover([p], skipped)
            # The records of the names these files would take, in one read (a longer name, for
            # a file whose name another file holds, is read when it is tried).
            manifest.load(source_name(f, self.root) for f in files if f not in (names or {}))
            if origin is not None:
                kind, where = ("upload", origin) if origin == "upload" else ("custom", origin)
            elif p.is_dir():
                kind, where = "folder", str(p.resolve())
            else:
                kind, where = "file", str(p.resolve())
            for f in files:
                named = (names or {}).get(f)
                if named is not None:  # (source, display name) chosen by the caller
                    plans.append(_Plan(f, named[0], kind, where, display=named[1]))
                    continue
                plans.append(_Plan(f, self._source(f, manifest, taken), kind, where))
            for f, reason in skipped:  # named by the link itself, never by where it points
                plans.append(_Plan(f, self._link_source(f), kind, where, skip=reason))
        return plans

    def _link_source(self, link: Path) -> str:
        where = link.parent.resolve() / link.name
        try:
            return where.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return link.name

    def _source(self, f: Path, manifest: _Manifest, taken: dict[str, str]) -> str:
        """The citation name: the path under the corpus root; outside it the file name, made
        longer with parent folders when another file already uses that name."""
        resolved = str(f.resolve())
        name = source_name(f, self.root)
        parts = Path(resolved).parts
        depth = 1
        while True:
            owner = taken.get(name) or (manifest.get(name) or {}).get("path")
            if owner in (None, resolved):
                taken[name] = resolved
                return name
            depth += 1
            if depth > len(parts) - 1:
                taken[name] = resolved
                return name
            name = "/".join(parts[-depth:])

    @staticmethod
    def _collections(plans: list[_Plan], live: dict[str, dict], collection: str | None,
                     collections: dict[Path, str] | None) -> None:
        """Each plan's collection: the caller's for that file (uploads), else the run's
        (`--collection`), else the one the document already has, else `default`."""
        for plan in plans:
            chosen = (collections or {}).get(plan.path) or collection
            if chosen is None:
                chosen = collection_of(live[plan.source]) if plan.source in live else DEFAULT
            plan.collection = check_collection(chosen)

    def _read(self, paths: list[Path], origin: str | None, names, prune: bool,
              everything: dict[str, dict] | None) -> tuple[list[_Plan], dict[str, dict]]:
        """The run's plans and the live records it needs: those of its files' sources and, when
        it prunes, those of the documents of the folders it is given."""
        manifest = _Manifest(self.store, everything)
        plans = self._plan(paths, manifest, origin, names)
        manifest.load(p.source for p in plans)
        if prune:
            manifest.load_folders(paths)
        return plans, manifest.live()

    def is_stale(self, paths: Iterable[Path], collection: str | None = None) -> bool:
        """Would `run(paths)` change the index? (Cheap: hashes files, partitions nothing, and
        reads the records of these files' documents only.)"""
        paths = [Path(p) for p in paths]
        if self.store.legacy_layout() or not self.store.has_live():
            return True
        failed = self.store.failures()
        seen = set()
        plans, live = self._read(paths, None, None, True, None)
        self._collections(plans, live, collection, None)
        for plan in plans:
            if plan.skip:
                continue
            try:
                check_file(plan.path, self.limits)
            except LoadError:
                continue
            seen.add(plan.source)
            digest = file_sha256(plan.path)
            doc = live.get(plan.source)
            if doc is not None and doc.get("file_hash") == digest and \
                    doc.get("fingerprint") == self.fingerprint and \
                    collection_of(doc) == plan.collection:
                continue
            if failed.get(plan.source, [None])[0] == digest:
                continue
            return True
        return bool(self._prunable(live, paths, seen))

    @staticmethod
    def _prunable(live: dict[str, dict], paths: list[Path], seen: set[str]) -> list[str]:
        folders = {str(p.resolve()) for p in paths if p.is_dir()}
        return sorted(src for src, d in live.items()
                      if d.get("origin_kind") == "folder" and d.get("origin") in folders
                      and src not in seen)

    def run(self, paths: Iterable[Path], prune: bool = True, origin: str | None = None,
            names: dict[Path, tuple[str, str]] | None = None, collection: str | None = None,
            collections: dict[Path, str] | None = None) -> Summary:
        """`names`: file -> (source, display name) for files whose citation name the caller
        chooses (uploads, stored under their content hash). `collection`: the collection of
        every file of this run (None: a document keeps the one it has, a new one gets
        `default`); `collections`: file -> collection, for the files the caller decides."""
        if collection is not None:
            collection = check_collection(collection)
        start = time.perf_counter()
        paths = [Path(p) for p in paths]
        summary = Summary()
        with ingest_lock(self.settings, self.store):
            legacy = self.store.legacy_layout()
            if legacy:
                self.say("the index uses an older layout: rebuilding it")
            everything = {} if legacy else None
            state = self.store.state()
            if not legacy and state["segments"] and \
                    state["embedder"] not in (None, self.embedder.name):
                everything = self.store.live_docs()  # re-embedding: whole-index work
            old_embedder = self._check_embedder(everything or {}, legacy)
            writer = self.writer()
            writer.replace = old_embedder is not None
            plans, live = self._read(paths, origin, names, prune and origin is None, everything)
            self._collections(plans, live, collection, collections)
            summary.files = len(plans)
            seen: set[str] = set()
            failed_now: dict[str, list[str]] = {}
            todo: list[tuple[_Plan, str, list[Chunk]]] = []
            updates: list[dict] = []
            for done, plan in enumerate(plans):
                self.on_progress("reading", done, len(plans))
                f, src = plan.path, plan.source
                seen.add(src)
                digest = ""
                try:
                    if plan.skip:
                        raise LoadError(plan.skip)
                    check_file(f, self.limits)
                    digest = file_sha256(f)
                    doc = live.get(src)
                    # A document moved to another collection gets a new version: its chunks
                    # carry the collection (their stored embeddings are reused).
                    if doc is not None and doc.get("file_hash") == digest and \
                            doc.get("fingerprint") == self.fingerprint and \
                            collection_of(doc) == plan.collection:
                        summary.files_unchanged += 1
                        summary.chunks_unchanged += int(doc.get("chunks", 0))
                        if (doc.get("origin_kind"), doc.get("origin"), doc.get("path")) != \
                                (plan.origin_kind, plan.origin, str(f.resolve())):
                            updates.append(dict(doc, origin_kind=plan.origin_kind,
                                                origin=plan.origin, path=str(f.resolve())))
                        continue
                    doc_, dropped = self.load(f, self.root, plan.display, self.limits)
                    doc_.source = src
                    self.records.extract(src, doc_)  # records hook (never raises)
                    chunks = chunk_document(doc_, self.settings, self.embedder.name, digest)
                    if len(chunks) > self.limits.chunks:
                        raise LoadError(f"too many chunks: {len(chunks):,} (limit "
                                        f"{self.limits.chunks:,}, ASSISTANT_MAX_DOCUMENT_CHUNKS)")
                except Exception as exc:  # one bad file never stops the run
                    reason = str(exc) if isinstance(exc, LoadError) else (
                        f"unexpected error while processing: {type(exc).__name__}: {exc}")
                    if not isinstance(exc, LoadError):
                        log.exception("processing %s failed", f)
                    summary.failed.append(Failure(str(f), reason))
                    # (the collection: a listing shows the failure only to keys that see it)
                    failed_now[src] = [digest if digest else "", reason, plan.collection]
                    self.say(f"skipped {f}: {reason}")
                    if src in live:  # keep what was indexed before
                        summary.chunks_unchanged += int(live[src].get("chunks", 0))
                    continue
                summary.chrome_dropped += dropped
                if src in live:
                    summary.files_changed += 1
                else:
                    summary.files_new += 1
                todo.append((plan, digest, chunks))

            removed = self._prunable(live, paths, seen) if prune and origin is None else []
            for src in removed:
                writer.remove(src)
                summary.files_removed += 1
                summary.chunks_removed += int(live[src].get("chunks", 0))

            old_failed = self.store.failures()
            failures = {k: v for k, v in old_failed.items() if k not in seen and k not in removed}
            failures.update(failed_now)
            writer.failed = failures
            self._stage(writer, todo, live, summary)
            writer.updates = updates
            if old_embedder is not None:
                self._reembed(writer, live, old_embedder, {p.source for p, _, _ in todo},
                              set(removed), {u["source"]: u for u in updates}, summary)
            if not todo and not removed and not updates and failures == old_failed and not legacy \
                    and old_embedder is None:
                summary.chunks_total = self.store.live_chunks()
                summary.seconds = time.perf_counter() - start
                return summary
            info = writer.commit()
            self.records.committed([p.source for p, _, _ in todo] + removed)  # records hook
            remove_orphan_vector_folders(self.settings)
            if legacy:
                self.store.drop_legacy()
            summary.generation = info.segment
            summary.chunks_written = info.chunks_written
            # (the state's live-chunk counts, which the commit and its merge check keep)
            summary.chunks_total = self.store.live_chunks()
        summary.seconds = time.perf_counter() - start
        return summary

    def remove(self, sources: Iterable[str]) -> Summary:
        """Remove documents by source name (one manifest write; chunks are collected later)."""
        start = time.perf_counter()
        sources = list(dict.fromkeys(sources))
        summary = Summary()
        with ingest_lock(self.settings, self.store):
            live = {} if self.store.legacy_layout() else self.store.live_records(sources)
            unknown = [s for s in sources if s not in live]
            if unknown:
                raise KeyError(f"no such document(s) in the index: {', '.join(unknown)}")
            writer = self.writer()
            for src in sources:
                writer.remove(src)
                summary.files_removed += 1
                summary.chunks_removed += int(live[src].get("chunks", 0))
            failed = self.store.failures()
            writer.failed = {k: v for k, v in failed.items() if k not in sources}
            writer.commit()
            self.records.committed(sources)  # records hook
            remove_orphan_vector_folders(self.settings)
            summary.chunks_total = self.store.live_chunks()
        summary.seconds = time.perf_counter() - start
        return summary

    # --- changing the embedding model ---
    def _check_embedder(self, live: dict[str, dict], legacy: bool) -> str | None:
        """The index's embedder when this run must re-embed it into a new index with ours;
        None when it is ours (or the index is empty). Refused unless re-embedding was asked for:
        the old index keeps answering meanwhile."""
        state = self.store.state()
        old = state["embedder"]
        if legacy or not live or not state["segments"] or old in (None, self.embedder.name):
            return None
        if not self.reembed:
            raise EmbedderChanged(
                f"the index was built with the embedding model {old!r}, and "
                f"ASSISTANT_EMBED_MODEL is now {self.embedder.name!r}: vectors of two models "
                f"cannot share an index. Nothing was changed; the old index keeps answering. To "
                f"re-embed all {len(live)} documents into a new index, run `python -m ingest "
                f"--reembed` (or set ASSISTANT_REEMBED=true), then serve with the new model; or "
                f"set ASSISTANT_EMBED_MODEL back to {old!r}.")
        self.say(f"re-embedding the index with {self.embedder.name!r} (it was built with {old!r})")
        return old

    def _reembed(self, writer: IndexWriter, live: dict[str, dict], old_embedder: str,
                 staged: set[str], removed: set[str], updates: dict[str, dict],
                 summary: Summary) -> None:
        """Stage every live document this run does not already re-process from its file (files
        not named by this run, unchanged files, uploads, files that failed now) with its stored
        chunk texts embedded by the new model, as a new version in the new segment."""
        from ingest.chunking import chunk_id

        keep = {d["version"]: src for src, d in live.items()
                if src not in staged and src not in removed}
        found: dict[str, list] = defaultdict(list)
        for name in self.store.state()["segments"]:
            for rec in iter_records(self.store.segment(name)):
                src = keep.get(rec.metadata.get("doc_version"))
                if src is not None:
                    found[src].append(rec)
        old_fp = pipeline_fingerprint(self.settings, old_embedder)
        pending = []
        for src in sorted(keep.values()):
            doc = updates.get(src, live[src])
            seen: dict[str, int] = {}
            slots = []
            for rec in sorted(found.get(src, []), key=lambda r: int(r.metadata["chunk_index"])):
                occurrence = seen.get(rec.text, 0)
                seen[rec.text] = occurrence + 1
                meta = {k: v for k, v in rec.metadata.items() if k not in ("source", "doc_version")}
                meta["content_id"] = chunk_id(self.embedder.name, src, rec.text, occurrence)
                slots.append(NewChunk(text=rec.text, metadata=meta, embedding=None))
            pending.extend((slot, slot) for slot in slots)
            info = {k: v for k, v in doc.items() if k not in ("version", "chunks", "seq")}
            # Chunks made by today's pipeline count as current; older ones are re-made from the
            # file the next time it is ingested.
            if doc.get("fingerprint") == old_fp:
                info["fingerprint"] = self.fingerprint
            new_version = writer.add(info, slots)
            self.records.carry(src, live[src]["version"], new_version,
                               collection_of(doc))  # records hook
        self._embed(pending, summary)
        summary.reembedded = len(keep)
        summary.chunks_reembedded = len(pending)
        self.say(f"re-embedded {len(keep)} stored documents ({len(pending)} chunks)")

    def _old_embeddings(self, doc: dict) -> dict[str, list[float]]:
        """content id -> stored embedding of a document's current version."""
        from assistant.index.store import hinted_segment

        out: dict[str, list[float]] = {}
        state = self.store.state()
        if state.get("embedder") != self.embedder.name:
            return out
        # The segment the record names for this version, if listed; else every listed one.
        hint = hinted_segment(doc)
        for name in [hint] if hint in state["segments"] else state["segments"]:
            try:
                col = self.store.segment(name)
            except Exception:
                continue
            for rec in iter_records(col, include_embeddings=True,
                                    where={"doc_version": doc["version"]}):
                cid = rec.metadata.get("content_id")
                if cid:
                    out[cid] = rec.embedding
        return out

    def _stage(self, writer: IndexWriter, todo, live: dict[str, dict], summary: Summary) -> None:
        pending: list[tuple[object, Chunk]] = []  # (slot, chunk) needing an embedding
        staged = []
        for plan, digest, chunks in todo:
            reuse = self._old_embeddings(live[plan.source]) if plan.source in live else {}
            slots = []
            hits = 0
            for c in chunks:
                meta = dict(c.metadata, content_id=c.id)
                slot = NewChunk(text=c.text, metadata=meta, embedding=reuse.get(c.id))
                if slot.embedding is None:
                    pending.append((slot, c))
                else:
                    summary.chunks_reused += 1
                    hits += 1
                slots.append(slot)
            if plan.source in live:  # old chunks whose text is gone from the new version
                summary.chunks_removed += max(0, int(live[plan.source].get("chunks", 0)) - hits)
            staged.append((plan, digest, chunks, slots))
        self._embed(pending, summary)
        summary.chunks_added = len(pending)
        for plan, digest, chunks, slots in staged:
            title = chunks[0].metadata.get("title", "") if chunks else ""
            version = writer.add({"source": plan.source, "title": title, "file_hash": digest,
                                  "fingerprint": self.fingerprint, "origin_kind": plan.origin_kind,
                                  "origin": plan.origin, "path": str(plan.path.resolve()),
                                  "collection": plan.collection, "ingested_at": time.time()}, slots)
            self.records.staged(plan.source, version, plan.collection)  # records hook

    def _embed(self, pending: list, summary: Summary) -> None:
        if not pending:
            return
        from tqdm import tqdm

        bs = self.settings.embed_batch_size
        # Texts of similar length batch together with little padding.
        pending = sorted(pending, key=lambda sc: len(sc[1].text))
        bar = tqdm(total=len(pending), unit="chunk", desc="embedding", disable=not self.progress)
        try:
            for i in range(0, len(pending), bs):
                batch = pending[i:i + bs]
                t = time.perf_counter()
                vectors = self.embedder.embed_texts([c.text for _, c in batch], batch_size=bs)
                summary.embed_seconds += time.perf_counter() - t
                for (slot, _), v in zip(batch, vectors):
                    slot.embedding = v
                bar.update(len(batch))
                self.on_progress("embedding", min(i + bs, len(pending)), len(pending))
        finally:
            bar.close()
