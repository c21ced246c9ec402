"""The keyword (BM25) index as immutable on-disk segments, memory-mapped by every reader.

Each ingest run that adds chunks writes one segment next to its vector segment (same name). A
segment is a folder of numpy arrays in compressed-sparse-row form:

    terms.bin + term_off.npy   the sorted vocabulary (UTF-8, concatenated) and its offsets
    indptr.npy                 postings of term t are [indptr[t], indptr[t+1])
    post_doc.npy, post_tf.npy  the chunk (int32, local position) and term frequency (uint16)
    doclen.npy                 tokens per chunk (int32)
    chunk_doc.npy              the document (row of docs.json) each chunk belongs to
    chunk_index.npy            the chunk's position in its document
    docs.json                  [[source, version], ...]
    meta.json                  sizes and total length

Every file is written into a temporary folder that is renamed into place when complete, so a
reader never opens a half-written segment, and the folder is only *used* once the store's manifest
lists it. Readers open the arrays with `np.load(mmap_mode="r")`: N API workers share one copy in
the page cache, and start-up reads no postings at all.

Scores use global statistics over all listed segments (document frequency summed, one average
length), so a small fresh segment scores on the same scale as the big one. BM25 is Lucene's
variant (k1=1.5, b=0.75, idf = ln(1 + (N - df + 0.5) / (df + 0.5))), the default of bm25s.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

K1 = 1.5
B = 0.75
_FILES = ("term_off.npy", "indptr.npy", "post_doc.npy", "post_tf.npy", "doclen.npy",
          "chunk_doc.npy", "chunk_index.npy")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_segment(folder: Path, docs: Sequence[tuple[str, str]],
                  chunks: Iterable[tuple[int, int, list[str]]], meta: dict | None = None) -> int:
    """Write a segment atomically; `chunks` yields (doc row, chunk index, terms); `meta`: extra
    fields for meta.json (`collections`: every chunk of the vector segment of the same name
    carries a `collection` field). Returns bytes."""
    extra_meta = dict(meta or {})
    folder = Path(folder)
    tmp = folder.parent / f".tmp-{folder.name}-{uuid.uuid4().hex[:6]}"
    tmp.mkdir(parents=True)
    try:
        vocab: dict[str, int] = {}
        rows_doc, rows_idx, lens = [], [], []
        post_term: list[np.ndarray] = []
        post_doc: list[np.ndarray] = []
        post_tf: list[np.ndarray] = []
        for pos, (doc_row, chunk_index, toks) in enumerate(chunks):
            rows_doc.append(doc_row)
            rows_idx.append(chunk_index)
            lens.append(len(toks))
            if not toks:
                continue
            counts = Counter(toks)
            ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in counts), dtype=np.int64,
                              count=len(counts))
            post_term.append(ids)
            post_doc.append(np.full(len(ids), pos, dtype=np.int32))
            post_tf.append(np.fromiter(counts.values(), dtype=np.int64, count=len(counts)))
        n_chunks = len(lens)
        terms_sorted = sorted(vocab)
        remap = np.empty(len(vocab), dtype=np.int64)
        for new, t in enumerate(terms_sorted):
            remap[vocab[t]] = new
        if post_term:
            t_all = remap[np.concatenate(post_term)]
            d_all = np.concatenate(post_doc)
            f_all = np.minimum(np.concatenate(post_tf), 65535).astype(np.uint16)
        else:
            t_all = np.zeros(0, np.int64)
            d_all = np.zeros(0, np.int32)
            f_all = np.zeros(0, np.uint16)
        order = np.lexsort((d_all, t_all))
        t_all, d_all, f_all = t_all[order], d_all[order], f_all[order]
        indptr = np.zeros(len(terms_sorted) + 1, dtype=np.int64)
        np.cumsum(np.bincount(t_all, minlength=len(terms_sorted)), out=indptr[1:])
        encoded = [t.encode("utf-8") for t in terms_sorted]
        term_off = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=term_off[1:])
        (tmp / "terms.bin").write_bytes(b"".join(encoded))
        arrays = {
            "term_off.npy": term_off, "indptr.npy": indptr, "post_doc.npy": d_all,
            "post_tf.npy": f_all, "doclen.npy": np.asarray(lens, dtype=np.int32),
            "chunk_doc.npy": np.asarray(rows_doc, dtype=np.int32),
            "chunk_index.npy": np.asarray(rows_idx, dtype=np.int32),
        }
        for name, arr in arrays.items():
            np.save(tmp / name, arr)
        (tmp / "docs.json").write_text(json.dumps([list(d) for d in docs]), encoding="utf-8")
        meta = {"chunks": n_chunks, "total_len": int(sum(lens)), "terms": len(terms_sorted),
                "postings": int(len(d_all)), "format": 1, **extra_meta}
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        for f in tmp.iterdir():
            with open(f, "rb+") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(tmp)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
        _fsync_dir(folder.parent)
        return sum(f.stat().st_size for f in folder.iterdir())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise



def bm25_idf(n: int, df: int) -> float:
    """BM25's idf for a term in `df` of `n` documents (the Lucene variant, as bm25s)."""
    return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))


def bm25_scores(idf, query: Sequence[str], docs: Sequence[Sequence[str]], k1: float = 1.5,
                b: float = 0.75) -> np.ndarray:
    """BM25 of each small in-memory document (a list of terms) for the query's terms, each
    counted once; `idf(term)` gives the weights. For a handful of passages or sentences; the
    index itself scores through its segments."""
    from collections import Counter

    avg = (sum(len(d) for d in docs) / len(docs)) if docs else 0.0
    avg = avg or 1.0
    out = np.zeros(len(docs))
    terms_once = list(dict.fromkeys(query))
    for i, d in enumerate(docs):
        tf = Counter(d)
        for t in terms_once:
            f = tf.get(t, 0)
            if f:
                out[i] += idf(t) * f * (k1 + 1) / (f + k1 * (1 - b + b * len(d) / avg))
    return out

class Segment:
    """One memory-mapped keyword segment."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.name = self.folder.name
        meta = json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))
        self.meta = meta
        self.n_chunks = int(meta["chunks"])
        # Do the chunks of this segment's vectors carry `collection`? (Not in segments written
        # before collections existed: their documents are all `default`.)
        self.has_collections = bool(meta.get("collections"))
        self.total_len = int(meta["total_len"])
        load = lambda n: np.load(self.folder / n, mmap_mode="r")  # noqa: E731
        self.term_off = load("term_off.npy")
        self.indptr = load("indptr.npy")
        self.post_doc = load("post_doc.npy")
        self.post_tf = load("post_tf.npy")
        self.doclen = load("doclen.npy")
        self.chunk_doc = load("chunk_doc.npy")
        self.chunk_index = load("chunk_index.npy")
        size = (self.folder / "terms.bin").stat().st_size
        self.terms = (np.memmap(self.folder / "terms.bin", dtype=np.uint8, mode="r")
                      if size else np.zeros(0, np.uint8))
        self.docs: list[tuple[str, str]] = [tuple(d) for d in json.loads(
            (self.folder / "docs.json").read_text(encoding="utf-8"))]

    @property
    def n_terms(self) -> int:
        return len(self.term_off) - 1

    def _term(self, i: int) -> str:
        return bytes(self.terms[self.term_off[i]:self.term_off[i + 1]]).decode("utf-8")

    def term_id(self, term: str) -> int:
        """Binary search of the sorted vocabulary; -1 when absent."""
        lo, hi = 0, self.n_terms
        while lo < hi:
            mid = (lo + hi) // 2
            if self._term(mid) < term:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < self.n_terms and self._term(lo) == term else -1

    def doc_freq(self, term: str) -> int:
        t = self.term_id(term)
        return 0 if t < 0 else int(self.indptr[t + 1] - self.indptr[t])

    def vocabulary(self) -> Iterable[str]:
        blob = bytes(self.terms)
        off = self.term_off
        for i in range(self.n_terms):
            yield blob[off[i]:off[i + 1]].decode("utf-8")

    def score(self, weights: dict[str, float], avgdl: float) -> tuple[np.ndarray, np.ndarray]:
        """Chunks with a positive score and their scores (weights: term -> idf).

        Term scores are added into one array the size of the segment: a term's postings name
        distinct chunks, so `acc[docs] += s` is exact. `make scale` measured this against
        gathering the postings and summing them with `np.unique`: BM25 CPU p95 146 -> 30 ms on a
        million-chunk segment (`eval/scale_bm25.py`)."""
        acc: np.ndarray | None = None
        for term, idf in weights.items():
            t = self.term_id(term)
            if t < 0:
                continue
            a, b = int(self.indptr[t]), int(self.indptr[t + 1])
            docs = np.asarray(self.post_doc[a:b])
            tf = np.asarray(self.post_tf[a:b], dtype=np.float32)
            dl = np.asarray(self.doclen[docs], dtype=np.float32)
            s = (idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))).astype(np.float32)
            if acc is None:
                acc = np.zeros(self.n_chunks, np.float32)
            acc[docs] += s
        if acc is None:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        docs = np.flatnonzero(acc > 0).astype(np.int32)
        return docs, acc[docs]


class KeywordIndex:
    """The listed segments together, with global statistics."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self.segments = list(segments)
        self.n = sum(s.n_chunks for s in self.segments)
        total = sum(s.total_len for s in self.segments)
        self.avgdl = total / self.n if self.n else 1.0
        self._df: dict[str, int] = {}

    def doc_freq(self, term: str) -> int:
        df = self._df.get(term)
        if df is None:
            df = sum(s.doc_freq(term) for s in self.segments)
            if len(self._df) < 200_000:
                self._df[term] = df
        return df

    def idf(self, term: str) -> float:
        return bm25_idf(self.n, self.doc_freq(term))

    def vocabulary(self) -> Iterable[str]:
        if len(self.segments) == 1:
            yield from self.segments[0].vocabulary()
            return
        seen: set[str] = set()
        for s in self.segments:
            for t in s.vocabulary():
                if t not in seen:
                    seen.add(t)
                    yield t

    def weights(self, query_terms: Sequence[str]) -> dict[str, float]:
        """Query term -> idf x its count in the query (bm25s scores repeated terms again)."""
        counts = Counter(query_terms)
        return {t: self.idf(t) * c for t, c in counts.items()}
