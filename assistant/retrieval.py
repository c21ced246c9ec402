"""Hybrid retrieval: dense search in Chroma plus BM25 keyword search (bm25s), fused.

Dense search finds paraphrases; BM25 finds the exact names, numbers and code names ("TECELRA",
"HEPA", "18%") that a small embedding model blurs. The two ranked lists are fused with reciprocal
rank fusion by default (chosen by measurement, see README); a weighted sum of min-max normalised
scores is the alternative.

The BM25 index is derived from the active Chroma generation and rebuilt when the manifest points
at a new one, so an API process holds no state of its own that could go stale.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, Sequence

import bm25s
import numpy as np

from assistant.config import Settings
from assistant.embedding import Embedder
from assistant.store import ChunkStore, StoreError, iter_records
from assistant.text import terms

Mode = Literal["hybrid", "dense", "bm25"]


class EmptyIndexError(RuntimeError):
    """Nothing has been ingested yet."""


@dataclass
class Passage:
    id: str
    text: str
    source: str
    title: str
    section: str | None
    page: int | None
    sentences: list[tuple[int, int]]
    score: float = 0.0
    dense: float | None = None  # cosine similarity, when dense search found it
    bm25: float | None = None  # BM25 score, when keyword search found it
    rank: int = 0
    extra: dict = field(default_factory=dict)

    def sentence_texts(self) -> list[str]:
        return [self.text[a:b] for a, b in self.sentences]


@dataclass
class IndexSnapshot:
    """One generation of the index held in memory for keyword search."""

    name: str
    collection: object
    ids: list[str]
    texts: list[str]
    metadatas: list[dict]
    bm25: bm25s.BM25
    doc_freq: Counter
    sources: np.ndarray  # source of each position, for filtering
    position: dict[str, int]
    by_place: dict[tuple[str, int], int]  # (source, chunk_index) -> position

    @property
    def size(self) -> int:
        return len(self.ids)

    def passage_at(self, pos: int) -> Passage:
        return passage_from(self.ids[pos], self.texts[pos], self.metadatas[pos])

    def neighbor(self, passage: Passage, offset: int) -> Passage | None:
        pos = self.position.get(passage.id)
        if pos is None:
            return None
        index = self.metadatas[pos].get("chunk_index")
        if index is None:
            return None
        nxt = self.by_place.get((passage.source, int(index) + offset))
        return None if nxt is None else self.passage_at(nxt)

    def header(self, source: str) -> Passage | None:
        pos = self.by_place.get((source, 0))
        return None if pos is None else self.passage_at(pos)

    def idf(self, term: str) -> float:
        n = self.size
        df = self.doc_freq.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


def passage_from(id_: str, text: str, meta: dict) -> Passage:
    try:
        spans = [tuple(s) for s in json.loads(meta.get("sentences") or "[]")]
    except (TypeError, ValueError):
        spans = []
    if not spans:
        spans = [(0, len(text))]
    page = meta.get("page")
    return Passage(id=id_, text=text, source=meta.get("source", ""), title=meta.get("title", ""),
                   section=meta.get("section"), page=int(page) if page is not None else None,
                   sentences=spans)


def build_snapshot(collection) -> IndexSnapshot:
    ids, texts, metas = [], [], []
    for rec in iter_records(collection):
        ids.append(rec.id)
        texts.append(rec.text)
        metas.append(rec.metadata)
    tokenized = [terms(t) + terms(m.get("title", "")) for t, m in zip(texts, metas)]
    model = bm25s.BM25()
    if tokenized:
        model.index(tokenized, show_progress=False)
    df: Counter = Counter()
    for toks in tokenized:
        df.update(set(toks))
    return IndexSnapshot(
        name=collection.name, collection=collection, ids=ids, texts=texts, metadatas=metas, bm25=model, doc_freq=df,
        sources=np.array([m.get("source", "") for m in metas], dtype=object),
        position={id_: i for i, id_ in enumerate(ids)},
        by_place={(m.get("source", ""), int(m.get("chunk_index", -1))): i
                  for i, m in enumerate(metas)},
    )


class HybridRetriever:
    def __init__(self, store: ChunkStore, embedder: Embedder, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._snapshot: IndexSnapshot | None = None
        self._lock = threading.Lock()

    # --- index state ---
    def snapshot(self) -> IndexSnapshot:
        """The in-memory view of the active generation, refreshed when the manifest moves on."""
        name = self.store.active_name()
        if not name:
            raise EmptyIndexError("no index")
        snap = self._snapshot
        if snap is not None and snap.name == name:
            return snap
        with self._lock:
            if self._snapshot is None or self._snapshot.name != name:
                collection = self.store.active()
                meta = collection.metadata or {}
                if meta.get("embedder") not in (None, self.embedder.name):
                    raise StoreError(
                        f"the index was built with {meta.get('embedder')!r} but this process "
                        f"embeds with {self.embedder.name!r}; re-run ingestion"
                    )
                self._snapshot = build_snapshot(collection)
            snap = self._snapshot
        if snap.size == 0:
            raise EmptyIndexError("empty index")
        return snap

    def sources(self) -> dict[str, dict]:
        snap = self.snapshot()
        out: dict[str, dict] = {}
        for meta in snap.metadatas:
            s = out.setdefault(meta.get("source", ""), {"source": meta.get("source", ""),
                                                         "title": meta.get("title", ""),
                                                         "chunks": 0})
            s["chunks"] += 1
        return dict(sorted(out.items()))

    # --- search ---
    def retrieve(self, question: str, top_k: int | None = None,
                 sources: Sequence[str] | None = None, mode: Mode = "hybrid") -> list[Passage]:
        return self.search(question, top_k, sources, mode)[0]

    def search(self, question: str, top_k: int | None = None,
               sources: Sequence[str] | None = None,
               mode: Mode = "hybrid") -> tuple[list[Passage], IndexSnapshot]:
        """The passages and the index generation they came from (one manifest read)."""
        try:
            return self._retrieve(question, top_k, sources, mode)
        except EmptyIndexError:
            raise
        except Exception:
            # An ingest may have switched generations and dropped ours mid-query: retry once
            # against the new one; a second failure is real.
            if self._snapshot is not None and self.store.active_name() != self._snapshot.name:
                return self._retrieve(question, top_k, sources, mode)
            raise

    def _retrieve(self, question: str, top_k: int | None, sources: Sequence[str] | None,
                  mode: Mode) -> tuple[list[Passage], IndexSnapshot]:
        snap = self.snapshot()
        top_k = top_k or self.settings.top_k
        allowed = None
        if sources:
            allowed = np.isin(snap.sources, list(sources))
            if not allowed.any():
                return [], snap
        n_cand = max(self.settings.candidates, top_k)
        dense = self._dense(question, snap, n_cand, sources) if mode != "bm25" else []
        keyword = self._bm25(question, snap, n_cand, allowed) if mode != "dense" else []
        if mode == "dense":
            fused = [(i, s) for i, s in dense]
        elif mode == "bm25":
            fused = [(i, s) for i, s in keyword]
        else:
            fused = self._fuse(dense, keyword)
        dense_by = dict(dense)
        bm25_by = dict(keyword)
        out = []
        for rank, (pos, score) in enumerate(fused[:top_k], start=1):
            p = passage_from(snap.ids[pos], snap.texts[pos], snap.metadatas[pos])
            p.score, p.rank = float(score), rank
            p.dense, p.bm25 = dense_by.get(pos), bm25_by.get(pos)
            out.append(p)
        return out, snap

    def _dense(self, question: str, snap: IndexSnapshot, n: int,
               sources: Sequence[str] | None) -> list[tuple[int, float]]:
        vector = self.embedder.embed_query(question)
        collection = snap.collection
        where = {"source": {"$in": list(sources)}} if sources else None
        res = collection.query(query_embeddings=[vector], n_results=min(n, snap.size), where=where,
                               include=["distances"])
        out = []
        for id_, dist in zip(res["ids"][0], res["distances"][0]):
            pos = snap.position.get(id_)
            if pos is not None:
                out.append((pos, 1.0 - float(dist)))
        return out

    def _bm25(self, question: str, snap: IndexSnapshot, n: int,
              allowed: np.ndarray | None) -> list[tuple[int, float]]:
        q = terms(question)
        if not q:
            return []
        scores = snap.bm25.get_scores(q)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def _fuse(self, dense: list[tuple[int, float]],
              keyword: list[tuple[int, float]]) -> list[tuple[int, float]]:
        fused: dict[int, float] = {}
        if self.settings.fusion == "rrf":
            k = self.settings.rrf_k
            for ranked in (dense, keyword):
                for rank, (pos, _) in enumerate(ranked, start=1):
                    fused[pos] = fused.get(pos, 0.0) + 1.0 / (k + rank)
        else:
            w = self.settings.dense_weight
            for ranked, weight in ((dense, w), (keyword, 1.0 - w)):
                if not ranked:
                    continue
                vals = [s for _, s in ranked]
                lo, hi = min(vals), max(vals)
                for pos, s in ranked:
                    norm = (s - lo) / (hi - lo) if hi > lo else 1.0
                    fused[pos] = fused.get(pos, 0.0) + weight * norm
        return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
