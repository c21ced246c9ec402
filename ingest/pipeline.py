"""Ingestion: files -> elements -> chrome filter -> chunks -> embeddings -> a new index generation.

Incremental by content:
- a file whose bytes (sha256) and pipeline settings are unchanged is not even partitioned;
- a changed file is re-chunked; chunks whose content id is already indexed keep their stored
  embedding, only new chunk texts are embedded;
- a file that has disappeared from an ingested folder loses its chunks (`prune`, on by default;
  files named one by one never prune anything else);
- a file that fails to load is reported and skipped, and its previously indexed chunks are kept.
Nothing is written to the answering collection: changes build a new generation that is switched
in at the end (see `assistant.store`). If anything fails before the switch, the new generation is
dropped and the previous index keeps answering.
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
from typing import Callable, Iterable, Iterator

from assistant.config import Settings
from assistant.embedding import Embedder
from assistant.files import file_sha256
from assistant.store import ChunkStore, Record, iter_records
from ingest import chrome
from ingest.chunking import Chunk, chunk_document
from ingest.loading import (
    LoadedDocument,
    LoadError,
    check_file,
    discover,
    partition,
    pick_title,
    source_name,
    to_elements,
)

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
    generation: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.files_new or self.files_changed or self.files_removed)

    def as_dict(self) -> dict:
        d = self.__dict__.copy()
        d["failed"] = [f.__dict__ for f in self.failed]
        return d


def pipeline_fingerprint(settings: Settings, embedder_name: str) -> str:
    here = Path(__file__).resolve().parent
    code = hashlib.sha256(b"".join((here / m).read_bytes() for m in _PIPELINE_MODULES)).hexdigest()
    parts = [PIPELINE_VERSION, code, embedder_name, settings.chunk_max_chars,
             settings.chunk_new_after_chars, settings.chunk_combine_under_chars,
             settings.chunk_overlap_chars]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def load_document(path: Path, root: Path | None) -> tuple[LoadedDocument, int]:
    """Partition a file and strip its chrome; returns the document and how many elements went."""
    kind = check_file(path)
    raw, meta_title = partition(path, kind)
    elements = to_elements(raw)
    mask = chrome.chrome_mask([chrome.Piece(e.text, e.is_title) for e in elements])
    kept = [e for e, is_chrome in zip(elements, mask) if not is_chrome]
    if not kept:
        raise LoadError("no text found" + (" (a scanned PDF has no text layer)" if kind == "pdf" else ""))
    title = pick_title(path, meta_title, kept)
    doc = LoadedDocument(path=path, source=source_name(path, root), kind=kind, title=title,
                         elements=kept)
    return doc, len(elements) - len(kept)


@contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """One ingest at a time against the embedded store."""
    if settings.server_mode:
        yield
        return
    from filelock import FileLock, Timeout

    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.chroma_path / ".ingest.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RuntimeError(f"another ingest is running on {settings.chroma_path}") from None
    try:
        yield
    finally:
        lock.release()


class Ingestor:
    def __init__(self, settings: Settings, store: ChunkStore, embedder: Embedder,
                 root: Path | None = None, progress: bool = True,
                 on_event: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.root = root if root is not None else settings.corpus_dir
        self.progress = progress
        self.say = on_event or (lambda msg: None)
        self.fingerprint = pipeline_fingerprint(settings, embedder.name)

    def is_stale(self, paths: Iterable[Path]) -> bool:
        """Would `run(paths)` change the index? (Cheap: hashes files, partitions nothing.)"""
        paths = [Path(p) for p in paths]
        active = self.store.active()
        if active is None or active.count() == 0:
            return True
        if (active.metadata or {}).get("fingerprint") != self.fingerprint:
            return True
        hashes = self._indexed_hashes(active)
        failed = self.store.failures()
        seen = set()
        for f in discover(paths):
            try:
                check_file(f)
            except LoadError:
                continue
            src = source_name(f, self.root)
            seen.add(src)
            digest = file_sha256(f)
            if hashes.get(src) != {digest} and failed.get(src, [None])[0] != digest:
                return True
        return any(self._under(src, paths) and src not in seen for src in hashes)

    def _indexed_hashes(self, collection) -> dict[str, set[str]]:
        hashes: dict[str, set[str]] = defaultdict(set)
        for rec in iter_records(collection):
            hashes[rec.metadata.get("source", "")].add(rec.metadata.get("file_hash", ""))
        return hashes

    def _under(self, source: str, paths: list[Path]) -> bool:
        """Is an indexed source inside one of the folders being ingested (so prunable)?"""
        for p in paths:
            if p.is_dir():
                try:
                    rel = p.resolve().relative_to(self.root.resolve()).as_posix()
                except ValueError:
                    continue
                if rel in (".", "") or source.startswith(rel.rstrip("/") + "/"):
                    return True
        return False

    def run(self, paths: Iterable[Path], prune: bool = True) -> Summary:
        start = time.perf_counter()
        paths = [Path(p) for p in paths]
        summary = Summary()
        with ingest_lock(self.settings):
            self.store.drop_abandoned()
            active = self.store.active()
            same_pipeline = active is not None and (active.metadata or {}).get("fingerprint") == self.fingerprint
            existing: dict[str, list[Record]] = defaultdict(list)
            if active is not None:
                for rec in iter_records(active):
                    existing[rec.metadata.get("source", "")].append(rec)

            files = discover(paths)
            summary.files = len(files)
            keep_sources: set[str] = set()  # copied from the active generation as they are
            new_chunks: list[Chunk] = []
            seen_sources: set[str] = set()
            failed_now: dict[str, list[str]] = {}
            for f in files:
                src = source_name(f, self.root)
                seen_sources.add(src)
                digest = ""
                try:
                    check_file(f)
                    digest = file_sha256(f)
                    old = existing.get(src, [])
                    if same_pipeline and old and all(r.metadata.get("file_hash") == digest for r in old):
                        summary.files_unchanged += 1
                        keep_sources.add(src)
                        continue
                    doc, dropped = load_document(f, self.root)
                    chunks = chunk_document(doc, self.settings, self.embedder.name, digest)
                except Exception as exc:  # one bad file never stops the run
                    reason = str(exc) if isinstance(exc, LoadError) else (
                        f"unexpected error while processing: {type(exc).__name__}: {exc}")
                    if not isinstance(exc, LoadError):
                        log.exception("processing %s failed", f)
                    summary.failed.append(Failure(str(f), reason))
                    failed_now[src] = [digest if digest else "", reason]
                    self.say(f"skipped {f}: {reason}")
                    if src in existing:
                        keep_sources.add(src)  # keep what was indexed before
                    continue
                summary.chrome_dropped += dropped
                if src in existing:
                    summary.files_changed += 1
                else:
                    summary.files_new += 1
                new_chunks.extend(chunks)

            for src, recs in existing.items():
                if src in seen_sources or src in keep_sources:
                    continue
                if prune and self._under(src, paths):
                    summary.files_removed += 1
                    summary.chunks_removed += len(recs)
                else:
                    keep_sources.add(src)

            summary.chunks_unchanged = sum(len(existing[s]) for s in keep_sources)
            if failed_now != self.store.failures():
                self.store.set_failures(failed_now)
            if not summary.changed and same_pipeline:
                summary.chunks_total = active.count() if active is not None else 0
                summary.generation = active.name if active is not None else None
                summary.seconds = time.perf_counter() - start
                return summary

            # Changed-file chunks removed: old chunks of changed files not among the new ids.
            new_ids = {c.id for c in new_chunks}
            for src, recs in existing.items():
                if src in keep_sources or src not in seen_sources:
                    continue
                summary.chunks_removed += sum(1 for r in recs if r.id not in new_ids)

            self._build_generation(active, keep_sources, new_chunks, summary)
        summary.seconds = time.perf_counter() - start
        return summary

    def _build_generation(self, active, keep_sources: set[str], new_chunks: list[Chunk],
                          summary: Summary) -> None:
        meta = {"fingerprint": self.fingerprint, "embedder": self.embedder.name,
                "dimension": self.embedder.dimension, "created_at": time.time()}
        gen = self.store.new_generation(meta)
        try:
            reusable: dict[str, list[float]] = {}
            if active is not None:
                wanted = {c.id for c in new_chunks}
                copy: list[Record] = []
                for rec in iter_records(active, include_embeddings=True):
                    if rec.metadata.get("source") in keep_sources:
                        copy.append(rec)
                    elif rec.id in wanted and (active.metadata or {}).get("embedder") == self.embedder.name:
                        reusable[rec.id] = rec.embedding
                for i in range(0, len(copy), ADD_BATCH):
                    batch = copy[i:i + ADD_BATCH]
                    gen.add(ids=[r.id for r in batch], documents=[r.text for r in batch],
                            metadatas=[r.metadata for r in batch],
                            embeddings=[r.embedding for r in batch])

            reuse = [c for c in new_chunks if c.id in reusable]
            if reuse:
                gen.add(ids=[c.id for c in reuse], documents=[c.text for c in reuse],
                        metadatas=[c.metadata for c in reuse],
                        embeddings=[reusable[c.id] for c in reuse])
            summary.chunks_reused = len(reuse)
            todo = [c for c in new_chunks if c.id not in reusable]
            self._embed_and_add(gen, todo, summary)
            summary.chunks_added = len(todo)
            summary.chunks_total = gen.count()
            self.store.activate(gen, {"embedder": self.embedder.name,
                                      "fingerprint": self.fingerprint})
            summary.generation = gen.name
        except BaseException:
            self.store.drop(gen.name)
            raise

    def _embed_and_add(self, gen, chunks: list[Chunk], summary: Summary) -> None:
        if not chunks:
            return
        from tqdm import tqdm

        bs = self.settings.embed_batch_size
        # Texts of similar length batch together with little padding (what sentence-transformers
        # does within one encode call; here across the whole run).
        chunks = sorted(chunks, key=lambda c: len(c.text))
        bar = tqdm(total=len(chunks), unit="chunk", desc="embedding", disable=not self.progress)
        try:
            for i in range(0, len(chunks), bs):
                batch = chunks[i:i + bs]
                t = time.perf_counter()
                vectors = self.embedder.embed_texts([c.text for c in batch], batch_size=bs)
                summary.embed_seconds += time.perf_counter() - t
                gen.add(ids=[c.id for c in batch], documents=[c.text for c in batch],
                        metadatas=[c.metadata for c in batch], embeddings=vectors)
                bar.update(len(batch))
        finally:
            bar.close()
