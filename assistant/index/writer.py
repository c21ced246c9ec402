"""The segment writer: stages document additions and removals, writes them into one new immutable
segment (vectors and keyword postings), switches the manifest in one write, and merges segments
(see `assistant.index.store` for the design)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.core.collections import collection_of
from assistant.index.errors import DiskFullError, StoreError, is_disk_full
from assistant.index.reserve import Reserve, reserve
from assistant.index.store import (
    ChunkStore,
    Record,
    hinted_segment,
    iter_records,
    locate_versions,
    new_version,
    segment_docs,
)

log = logging.getLogger(__name__)

# Rows per Chroma `add` when writing a segment (an ingest's commit and a merge's copy). Each add is
# one guarded store call, limited by ASSISTANT_STORE_TIMEOUT_SECONDS (10 s by default); one add of
# 5,000 rows (text, metadata, a 384-d vector each) timed out at that limit on a loaded two-core
# machine, so a segment is written in adds of 1,000 rows: about a fifth of the time per call, the
# same limit for every store call, and no setting to add. (Per-row cost is unchanged.)
ADD_BATCH = 1000


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
        # disk set aside while the segment is written, freed before a half-written one is dropped
        # and after the switch (`assistant.index.reserve`)
        with reserve(store.settings) if n_chunks else Reserve(None) as room:
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
                room.release()  # (deleting the half-written segment needs free space)
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
                    room.release()
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
            with reserve(store.settings) as room:  # (disk set aside, as in `commit`)
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
                    room.release()  # (deleting the half-written segment needs free space)
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
