"""Hybrid retrieval: dense search in Chroma plus BM25 keyword search, fused.

Dense search finds paraphrases; BM25 finds the exact names, numbers and code names ("TECELRA",
"HEPA", "18%") that a small embedding model blurs. The two ranked lists are fused with reciprocal
rank fusion or a weighted sum of min-max normalised scores (see README). An optional cross-encoder
(`ASSISTANT_RERANK_MODEL`, off by default) then re-orders the first fused candidates.

Nothing is rebuilt at start-up: the keyword index is a set of memory-mapped segments written by the
ingest job (`assistant.index.keyword`), the vectors are Chroma segment collections, and a process
keeps only the manifest (source -> active version) in memory. Each question reads one small
`__state__` record; when its sequence number moved on, the process applies the changed document
records and opens any new segments. Chunk texts and metadata are fetched by id for the top hits.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Literal, Protocol, Sequence, runtime_checkable

import numpy as np

from assistant.core.collections import collection_of, scope
from assistant.core.config import Settings
from assistant.core.text import terms
from assistant.index.errors import EmbedderMismatch, StoreError
from assistant.index.keyword import KeywordIndex, Segment
from assistant.index.protocols import IndexReader
from assistant.retrieval.anchors import question_alias_names
from assistant.retrieval.embedding import Embedder
from assistant.retrieval.rerank import CrossEncoderReranker, get_reranker
from assistant.retrieval.spelling import question_abbreviations

log = logging.getLogger(__name__)

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


def _lines(text: str, spans: list) -> list[tuple[int, int]]:
    """Spans split at line breaks: ingest keeps a run of short lines (a headline with its byline,
    bullet points) as one unit to quote together; an answer uses each line on its own, so that
    a list stays a list and a byline is never part of an answer sentence."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if "\n" not in text[a:b]:
            out.append((a, b))
            continue
        pos = a
        for line in text[a:b].split("\n"):
            stripped = line.strip()
            if stripped:
                start = pos + line.index(stripped[0])
                out.append((start, start + len(stripped)))
            pos += len(line) + 1
    return out


def passage_from(id_: str, text: str, meta: dict) -> Passage:
    try:
        spans = [tuple(s) for s in json.loads(meta.get("sentences") or "[]")]
    except (TypeError, ValueError):
        spans = []
    if not spans:
        spans = [(0, len(text))]
    spans = _lines(text, spans)
    page = meta.get("page")
    return Passage(id=id_, text=text, source=meta.get("source", ""), title=meta.get("title", ""),
                   section=meta.get("section"), page=int(page) if page is not None else None,
                   sentences=spans)




@dataclass
class _Seg:
    name: str
    collection: object
    keyword: Segment
    live: np.ndarray  # per chunk: does its document version answer?
    n_live: int


class IndexView:
    """One consistent state of the index (the answerer's `CorpusStats`): the segments a manifest
    state lists and the live document versions. Immutable once built.

    `scoped(collections)` is the same state seen by a key that sees only those collections
    (`ScopedView`); `collections` is None here: every collection."""

    collections: tuple[str, ...] | None = None

    def __init__(self, seq: int, docs: dict[str, dict], segments: list[_Seg],
                 store: IndexReader, current: Callable[[], IndexView] | None = None) -> None:
        self.seq = seq
        self.name = f"seq-{seq}"
        self.docs = docs
        self.segments = segments
        self.store = store
        # The retriever's current view: where a chunk is read when a segment this view holds
        # was merged away and dropped meanwhile (a question that outlived the grace period).
        self._current = current
        self.keyword = KeywordIndex([s.keyword for s in segments])
        self.live_versions = {d["version"]: src for src, d in docs.items()}
        self.segment_of: dict[str, _Seg] = {}
        for seg in segments:
            for src, ver in seg.keyword.docs:
                if ver in self.live_versions:
                    self.segment_of[ver] = seg
        self.size = sum(int(d.get("chunks", 0)) for d in docs.values())
        self._cache: OrderedDict[str, Passage | None] = OrderedDict()
        self._lock = threading.Lock()
        self._scoped: dict[tuple[str, ...], IndexView] = {}
        self._present: frozenset[str] | None = None

    def scoped(self, collections: Sequence[str] | None) -> IndexView:
        """This state restricted to documents of `collections` (None: all). The view itself
        when every live document is in them; one ScopedView per scope, kept with this view."""
        wanted = scope(collections)
        if wanted is None or self.collections is not None and set(self.collections) <= set(wanted):
            return self
        if self.collections is not None:  # narrower than this scope: a scope of the whole
            return self.base.scoped(tuple(sorted(set(wanted) & set(self.collections))))
        with self._lock:
            if self._present is None:  # the collections this state holds, counted once
                self._present = frozenset(collection_of(d) for d in self.docs.values())
        if self._present <= set(wanted):
            return self
        with self._lock:
            view = self._scoped.get(wanted)
            if view is None:
                if len(self._scoped) >= 64:
                    self._scoped.pop(next(iter(self._scoped)))
                view = self._scoped[wanted] = ScopedView(self, wanted)
            return view

    # --- CorpusStats ---
    def idf(self, term: str) -> float:
        return self.keyword.idf(term)

    def doc_freq(self, term: str) -> int:
        return self.keyword.doc_freq(term)

    def vocabulary(self) -> Iterable[str]:
        return self.keyword.vocabulary()

    def fetch(self, ids: Sequence[str]) -> dict[str, Passage]:
        """Passages by record id (`<version>:<chunk index>`), live versions only."""
        by_seg: dict[str, list[str]] = {}
        segs: dict[str, _Seg] = {}
        for id_ in ids:
            seg = self.segment_of.get(id_.split(":", 1)[0])
            if seg is not None:
                by_seg.setdefault(seg.name, []).append(id_)
                segs[seg.name] = seg
        out: dict[str, Passage] = {}
        for name, wanted in by_seg.items():
            try:
                got = segs[name].collection.get(ids=wanted, include=["documents", "metadatas"])
            except Exception as exc:
                # A merge rewrote the segment's live chunks under the same ids and the old
                # collection is gone: read them where the current state keeps them.
                current = self._current() if self._current is not None else None
                if current is None or current.seq == self.seq:
                    raise
                log.info("segment %s is gone (%s); reading %d chunk(s) from seq %d", name, exc,
                         len(wanted), current.seq)
                out.update(current.fetch(wanted))
                continue
            for id_, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                out[id_] = passage_from(id_, text, meta or {})
        return out

    def _one(self, id_: str) -> Passage | None:
        with self._lock:
            if id_ in self._cache:
                self._cache.move_to_end(id_)
                return self._cache[id_]
        p = self.fetch([id_]).get(id_)
        with self._lock:
            self._cache[id_] = p
            while len(self._cache) > 2048:
                self._cache.popitem(last=False)
        return p

    def neighbor(self, passage: Passage, offset: int) -> Passage | None:
        version, _, index = passage.id.partition(":")
        if version not in self.live_versions or not index.isdigit():
            return None
        target = int(index) + offset
        if target < 0:
            return None
        return self._one(f"{version}:{target}")

    def header(self, source: str) -> Passage | None:
        doc = self.docs.get(source)
        return None if doc is None else self._one(f"{doc['version']}:0")


@runtime_checkable
class Retriever(Protocol):
    """What the service asks of retrieval: a view of the index as it is now (taken once per
    question) and the passages for a question within it. `HybridRetriever` is the implementation."""

    def snapshot(self, refresh: bool = False) -> "IndexView": ...

    def search(self, question: str, top_k: int | None = None,
               sources: Sequence[str] | None = None, mode: str = "hybrid",
               view: "IndexView | None" = None,
               collections: Sequence[str] | None = None) -> tuple[list["Passage"], "IndexView"]: ...


class HybridRetriever:
    def __init__(self, store: IndexReader, embedder: Embedder, settings: Settings,
                 reranker: CrossEncoderReranker | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        # ASSISTANT_RERANK_MODEL (off by default): loaded now, so a bad path fails at start-up.
        self.reranker = reranker if reranker is not None else get_reranker(settings)
        self._view: IndexView | None = None
        self._docs: dict[str, dict] = {}
        self._seq = 0
        self._open: dict[str, tuple[object, Segment]] = {}
        self._lock = threading.Lock()

    # --- index state ---
    def snapshot(self, refresh: bool = False) -> IndexView:
        """The current view of the index; one small read of the manifest's state record, and
        more work only when an ingest switched something since the last question."""
        state = self.store.state()
        view = self._view
        if view is None or view.seq != state["seq"] or refresh:
            with self._lock:
                if self._view is None or self._view.seq != state["seq"] or refresh:
                    self._view = self._load_current(state)
                view = self._view
        if view.size == 0:
            if not state["segments"] and self.store.legacy_layout():
                raise EmptyIndexError("the index uses the old layout; run `python -m ingest` "
                                      "(make run does) to rebuild it")
            raise EmptyIndexError("no index")
        return view

    def _load_current(self, state: dict, attempts: int = 3) -> IndexView:
        """`_load`, again from the manifest as it is now when a segment it listed is gone: an
        ingest that merged segments deletes the old ones once its manifest is written, and a
        question may have read the manifest just before. A segment missing from a manifest that
        has not moved on is an error (another process cannot see the folders)."""
        for attempt in range(attempts):
            try:
                return self._load(state)
            except StoreError:
                fresh = self.store.state()
                if fresh["seq"] == state["seq"] or attempt == attempts - 1:
                    raise
                state = fresh
        raise AssertionError("unreachable")

    def _load(self, state: dict) -> IndexView:
        if state["embedder"] not in (None, self.embedder.name) and state["segments"]:
            raise EmbedderMismatch(
                f"the index was built with the embedding model {state['embedder']!r} but this "
                f"process embeds questions with {self.embedder.name!r} (ASSISTANT_EMBED_MODEL); "
                f"its vectors cannot be compared. Start it with ASSISTANT_EMBED_MODEL="
                f"{state['embedder']}, or re-embed the index with `python -m ingest --reembed`")
        # Apply the document records written since the last load (tombstones remove).
        for rec in self.store.docs(since_seq=self._seq if state["seq"] >= self._seq else 0):
            if rec.get("version"):
                self._docs[rec["source"]] = rec
            else:
                self._docs.pop(rec["source"], None)
        self._seq = state["seq"]
        docs = dict(self._docs)
        segs = []
        opened = {}
        for name in state["segments"]:
            if name in self._open:
                collection, keyword = self._open[name]
            else:
                try:
                    collection = self.store.segment(name)
                    keyword = Segment(self.store.keyword_dir / name)
                except FileNotFoundError as exc:
                    raise StoreError(
                        f"keyword segment {name} is missing under {self.store.keyword_dir}: "
                        f"every API process must see the folder the ingest job writes "
                        f"(ASSISTANT_KEYWORD_PATH)") from exc
                except Exception as exc:
                    raise StoreError(f"segment {name} listed by the manifest is missing: {exc}") from exc
            opened[name] = (collection, keyword)
            rows = np.fromiter((docs.get(src, {}).get("version") == ver for src, ver in keyword.docs),
                               dtype=bool, count=len(keyword.docs))
            live = rows[np.asarray(keyword.chunk_doc)] if keyword.n_chunks else np.zeros(0, bool)
            segs.append(_Seg(name, collection, keyword, live, int(live.sum())))
        self._open = opened
        return IndexView(state["seq"], docs, segs, self.store, current=self.snapshot)

    def sources(self, collections: Sequence[str] | None = None) -> dict[str, dict]:
        """The live documents of `collections` (None: all)."""
        view = self.snapshot().scoped(collections)
        return {src: {"source": src, "title": d.get("title", ""), "chunks": int(d.get("chunks", 0))}
                for src, d in sorted(view.docs.items())}

    # --- search ---
    def retrieve(self, question: str, top_k: int | None = None,
                 sources: Sequence[str] | None = None, mode: Mode = "hybrid",
                 collections: Sequence[str] | None = None) -> list[Passage]:
        return self.search(question, top_k, sources, mode, collections=collections)[0]

    def search(self, question: str, top_k: int | None = None,
               sources: Sequence[str] | None = None, mode: Mode = "hybrid",
               view: IndexView | None = None,
               collections: Sequence[str] | None = None) -> tuple[list[Passage], IndexView]:
        """The passages and the index view they came from (`view`: one the caller already took
        with `snapshot()` for this question, so the state is read once). `collections`: search
        only documents of these collections (None: all); a scoped `view` already says so."""
        if view is not None and view.collections is not None:
            collections = view.collections if collections is None else \
                tuple(set(collections) & set(view.collections))
        try:
            return self._retrieve(question, top_k, sources, mode, refresh=False, view=view,
                                  collections=collections)
        except EmptyIndexError:
            raise
        except Exception as exc:
            # A segment we hold may have been merged away and dropped after its grace period:
            # reload the state once and retry; a second failure is real.
            log.info("retrying a search against a fresh view: %s", exc)
            return self._retrieve(question, top_k, sources, mode, refresh=True,
                                  collections=collections)

    def _retrieve(self, question: str, top_k: int | None, sources: Sequence[str] | None,
                  mode: Mode, refresh: bool, view: IndexView | None = None,
                  collections: Sequence[str] | None = None) -> tuple[list[Passage], IndexView]:
        if view is None or refresh:
            view = self.snapshot(refresh=refresh)
        view = view.scoped(collections)
        top_k = top_k or self.settings.top_k
        if sources:
            if not any(s in view.docs for s in sources):
                return [], view
        n_cand = max(self.settings.candidates, top_k)
        if self.reranker is not None:
            n_cand = max(n_cand, self.settings.rerank_candidates)
        dense = self._dense(question, view, n_cand, sources) if mode != "bm25" else []
        keyword = self._bm25(question, view, n_cand, sources) if mode != "dense" else []
        if mode == "dense":
            fused = dense
        elif mode == "bm25":
            fused = keyword
        else:
            fused = self._fuse(dense, keyword)
        reranked: dict[str, float] = {}
        if self.reranker is not None and fused:
            fused, found, reranked = self._rerank(question, view, fused, top_k)
        else:
            fused = fused[:top_k]
            found = view.fetch([id_ for id_, _ in fused])
        dense_by, bm25_by = dict(dense), dict(keyword)
        out = []
        for id_, score in fused:
            p = found.get(id_)
            if p is None:
                continue
            p.score, p.rank = float(score), len(out) + 1
            p.dense, p.bm25 = dense_by.get(id_), bm25_by.get(id_)
            if id_ in reranked:
                p.extra["rerank"] = reranked[id_]
            out.append(p)
        return out, view

    def _rerank(self, question: str, view: IndexView, fused: list[tuple[str, float]],
                top_k: int) -> tuple[list[tuple[str, float]], dict[str, Passage], dict[str, float]]:
        """The cross-encoder re-orders the first `rerank_candidates` fused candidates; the top
        `top_k` of its order are kept (each keeps its fused score; its rank is the new order)."""
        head = fused[:max(self.settings.rerank_candidates, top_k)]
        found = view.fetch([id_ for id_, _ in head])
        head = [h for h in head if h[0] in found]
        scores = self.reranker.scores(question, [found[id_].text for id_, _ in head])
        order = sorted(range(len(head)), key=lambda j: (-float(scores[j]), j))
        kept = [head[j] for j in order[:top_k]]
        return kept, found, {head[j][0]: float(scores[j]) for j in order[:top_k]}

    def _dense(self, question: str, view: IndexView, n: int,
               sources: Sequence[str] | None) -> list[tuple[str, float]]:
        vector = self.embedder.embed_query(question)
        hits: list[tuple[str, float]] = []
        for seg in view.segments:
            if seg.n_live == 0:
                continue
            dead = seg.keyword.n_chunks - seg.n_live
            k = min(seg.keyword.n_chunks, n + min(dead, 3 * n))
            res = seg.collection.query(query_embeddings=[vector], n_results=k,
                                       where=self._where(view, seg, sources),
                                       include=["distances"])
            for id_, dist in zip(res["ids"][0], res["distances"][0]):
                if id_.split(":", 1)[0] in view.live_versions:
                    hits.append((id_, 1.0 - float(dist)))
        hits.sort(key=lambda h: -h[1])
        return hits[:n]

    @staticmethod
    def _where(view: IndexView, seg: _Seg, sources: Sequence[str] | None) -> dict | None:
        """The Chroma filter of a dense query: the source filter and the view's collections,
        so that the store itself never returns a chunk of another collection. Segments written
        before chunks carried `collection` (all `default`) are filtered by document names."""
        parts = []
        if sources:
            parts.append({"source": {"$in": list(sources)}})
        if view.collections is not None:
            if seg.keyword.has_collections:
                parts.append({"collection": {"$in": list(view.collections)}})
            else:
                names = sorted({src for src, ver in seg.keyword.docs
                                if view.live_versions.get(ver) == src})
                parts.append({"source": {"$in": names or [""]}})
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def _bm25(self, question: str, view: IndexView, n: int,
              sources: Sequence[str] | None) -> list[tuple[str, float]]:
        q = terms(question)
        if not q:
            return []
        weights = view.keyword.weights(q)
        # "BMS" also finds "Bristol-Myers Squibb" (and back), "CRL" "complete response letter":
        # each other name the index holds
        # weighs as much as one query word, shared among its words and among the names.
        found = [n for n in question_alias_names(question) + question_abbreviations(question)
                 if all(view.doc_freq(t) > 0 for t in n)]
        for name in found:
            for t in name:
                weights[t] = weights.get(t, 0.0) + view.keyword.idf(t) / len(name) / len(found)
        wanted = set(sources) if sources else None
        best_ids: list[str] = []
        best_scores: list[np.ndarray] = []
        for seg in view.segments:
            if seg.n_live == 0:
                continue
            docs, scores = seg.keyword.score(weights, view.keyword.avgdl)
            if not len(docs):
                continue
            keep = seg.live[docs]
            if wanted is not None:
                rows = np.fromiter((src in wanted for src, _ in seg.keyword.docs), dtype=bool,
                                   count=len(seg.keyword.docs))
                keep &= rows[np.asarray(seg.keyword.chunk_doc)[docs]]
            docs, scores = docs[keep], scores[keep]
            if len(docs) > n:
                top = np.argpartition(-scores, n - 1)[:n]
                docs, scores = docs[top], scores[top]
            chunk_doc = seg.keyword.chunk_doc
            chunk_index = seg.keyword.chunk_index
            for d, s in zip(docs.tolist(), scores.tolist()):
                ver = seg.keyword.docs[int(chunk_doc[d])][1]
                best_ids.append(f"{ver}:{int(chunk_index[d])}")
                best_scores.append(s)
        ranked = sorted(zip(best_ids, best_scores), key=lambda kv: (-kv[1], kv[0]))
        return [(i, float(s)) for i, s in ranked[:n] if s > 0]

    def _fuse(self, dense: list[tuple[str, float]],
              keyword: list[tuple[str, float]]) -> list[tuple[str, float]]:
        fused: dict[str, float] = {}
        if self.settings.fusion == "rrf":
            k = self.settings.rrf_k
            for ranked in (dense, keyword):
                for rank, (id_, _) in enumerate(ranked, start=1):
                    fused[id_] = fused.get(id_, 0.0) + 1.0 / (k + rank)
        else:
            w = self.settings.dense_weight
            for ranked, weight in ((dense, w), (keyword, 1.0 - w)):
                if not ranked:
                    continue
                vals = [s for _, s in ranked]
                lo, hi = min(vals), max(vals)
                for id_, s in ranked:
                    norm = (s - lo) / (hi - lo) if hi > lo else 1.0
                    fused[id_] = fused.get(id_, 0.0) + weight * norm
        return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


class ScopedView(IndexView):
    """An index state as a key that sees only some collections sees it. Everything that reads
    chunks goes through the restricted document list: the segments' live masks (the keyword
    search masks with them before its top-k), the live versions (dense hits, `fetch`, `neighbor`),
    `docs` (`header`, source filters), and the speller's vocabulary and document frequencies
    (a name found only in another collection is never suggested). The BM25 weights (idf) and
    average length stay those of the whole index, so scores do not depend on who asks (idf of
    a word is a number over all chunks, never a passage or a name)."""

    def __init__(self, base: IndexView, collections: tuple[str, ...]) -> None:
        allowed = set(collections)
        docs = {src: d for src, d in base.docs.items() if collection_of(d) in allowed}
        versions = {d["version"] for d in docs.values()}
        segments = []
        for seg in base.segments:
            rows = np.fromiter((ver in versions for _, ver in seg.keyword.docs), dtype=bool,
                               count=len(seg.keyword.docs))
            mask = rows[np.asarray(seg.keyword.chunk_doc)] if seg.keyword.n_chunks else \
                np.zeros(0, bool)
            live = seg.live & mask
            segments.append(_Seg(seg.name, seg.collection, seg.keyword, live, int(live.sum())))
        super().__init__(base.seq, docs, segments, base.store, base._current)
        self.base = base
        self.collections = collections
        self.name = f"{base.name}:{','.join(collections)}"
        self.keyword = base.keyword  # global statistics (see above), and their cache
        self._df: dict[str, int] = {}

    def doc_freq(self, term: str) -> int:
        """Chunks of the visible documents that hold `term` (the speller's "is it known?")."""
        df = self._df.get(term)
        if df is None:
            df = 0
            for seg in self.segments:
                if seg.n_live == 0:
                    continue
                t = seg.keyword.term_id(term)
                if t >= 0:
                    a, b = int(seg.keyword.indptr[t]), int(seg.keyword.indptr[t + 1])
                    df += int(seg.live[np.asarray(seg.keyword.post_doc[a:b])].sum())
            if len(self._df) < 200_000:
                self._df[term] = df
        return df

    def vocabulary(self) -> Iterable[str]:
        """The terms of the visible documents only."""
        seen: set[str] = set()
        for seg in self.segments:
            kw = seg.keyword
            if seg.n_live == 0 or kw.n_terms == 0:
                continue
            hits = seg.live[np.asarray(kw.post_doc)].astype(np.int64)
            counts = np.concatenate([[0], np.cumsum(hits)])
            indptr = np.asarray(kw.indptr)
            present = np.flatnonzero(counts[indptr[1:]] - counts[indptr[:-1]] > 0)
            blob, off = bytes(kw.terms), kw.term_off
            for i in present.tolist():
                t = blob[off[i]:off[i + 1]].decode("utf-8")
                if t not in seen:
                    seen.add(t)
                    yield t


# The old name, kept for code that imports it.
IndexSnapshot = IndexView
