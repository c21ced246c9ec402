"""The keyword half of hybrid retrieval at a size not built: `make scale`'s 100k-chunk keyword
segment tiled k times (every posting list k times longer, the same terms, document frequencies
k times higher: what k times as many chunks of the same text would give), then the product's
BM25 search (`HybridRetriever._bm25`, 30 candidates) timed over the same questions at 1x and kx.

    python -m eval.scale_bm25 /tmp/scale/scale-100000 --factor 10

Needs an index kept by `python -m eval.scale --keep`. Not a substitute for building 1M chunks:
it measures BM25 scoring only (no Chroma, no HNSW), on one segment. Also times scoring alone:
the product's dense per-chunk accumulator (`Segment.score`, since 2026-12-03) against the
gather-and-`np.unique` it replaced.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import typer

from assistant.index.keyword import K1, B, KeywordIndex, Segment
from eval.scale import DEFAULT_EVAL_DATA, _proc_status, load_pool, pct, pick_queries


def tile(src: Path, dst: Path, k: int) -> Path:
    """A segment folder whose postings are `src`'s repeated k times (chunk ids offset by n)."""
    seg = Segment(src)
    n = seg.n_chunks
    indptr = np.asarray(seg.indptr, dtype=np.int64)
    lengths = np.diff(indptr)
    post_doc = np.asarray(seg.post_doc)
    post_tf = np.asarray(seg.post_tf)
    term_of = np.repeat(np.arange(len(lengths)), lengths)
    within = np.arange(len(post_doc), dtype=np.int64) - indptr[term_of]
    new_doc = np.empty(len(post_doc) * k, dtype=np.int32)
    new_tf = np.empty(len(post_tf) * k, dtype=post_tf.dtype)
    for r in range(k):
        pos = k * indptr[term_of] + r * lengths[term_of] + within
        new_doc[pos] = post_doc + r * n
        new_tf[pos] = post_tf
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    shutil.copy(src / "terms.bin", dst / "terms.bin")
    np.save(dst / "term_off.npy", np.asarray(seg.term_off))
    np.save(dst / "indptr.npy", indptr * k)
    np.save(dst / "post_doc.npy", new_doc)
    np.save(dst / "post_tf.npy", new_tf)
    np.save(dst / "doclen.npy", np.tile(np.asarray(seg.doclen), k))
    n_docs = len(seg.docs)
    np.save(dst / "chunk_doc.npy", np.concatenate([np.asarray(seg.chunk_doc) + r * n_docs
                                                   for r in range(k)]).astype(np.int32))
    np.save(dst / "chunk_index.npy", np.tile(np.asarray(seg.chunk_index), k))
    docs = [[f"{s}#{r}", f"{v}{r}"] for r in range(k) for s, v in seg.docs]
    (dst / "docs.json").write_text(json.dumps(docs), encoding="utf-8")
    meta = json.loads((src / "meta.json").read_text(encoding="utf-8"))
    meta.update(chunks=n * k, total_len=meta["total_len"] * k, postings=len(new_doc))
    (dst / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return dst


def time_bm25(folder: Path, queries: list[str]) -> dict:
    from assistant.retrieval.hybrid import HybridRetriever, _Seg

    rss0 = _proc_status("self", "VmRSS")
    seg = Segment(folder)
    live = np.ones(seg.n_chunks, dtype=bool)
    view = SimpleNamespace(keyword=KeywordIndex([seg]),
                           segments=[_Seg(seg.name, None, seg, live, seg.n_chunks)])
    lat, cpu, hits = [], [], []
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        found = HybridRetriever._bm25(None, q, view, 30, None)
        lat.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        hits.append(len(found))
    return {"chunks": seg.n_chunks, "postings": int(len(seg.post_doc)),
            "p50_ms": round(statistics.median(lat), 1), "p95_ms": round(pct(lat, 95), 1),
            "max_ms": round(max(lat), 1), "cpu_p50_ms": round(statistics.median(cpu), 1),
            "cpu_p95_ms": round(pct(cpu, 95), 1), "min_candidates": min(hits),
            "rss_growth_mb": round(_proc_status("self", "VmRSS") - rss0),
            "load_average": round(os.getloadavg()[0], 2)}


def accumulator_probe(folder: Path, queries: list[str], n: int = 30) -> dict:
    """CPU of scoring alone, top `n` chosen: the product's `Segment.score` (a dense per-chunk
    accumulator) against the gather-and-`np.unique` it replaced (kept here for comparison)."""
    from assistant.core.text import terms

    seg = Segment(folder)
    index = KeywordIndex([seg])
    doclen = np.asarray(seg.doclen, dtype=np.float32)
    out = {}
    for name in ("gather_unique_before", "product_accumulator"):
        cpu = []
        for q in queries:
            weights = index.weights(terms(q))
            c = time.process_time()
            if name == "product_accumulator":
                docs, scores = seg.score(weights, index.avgdl)
            else:
                parts_doc, parts_score = [], []
                for term, idf in weights.items():
                    t = seg.term_id(term)
                    if t < 0:
                        continue
                    a, b = int(seg.indptr[t]), int(seg.indptr[t + 1])
                    d = np.asarray(seg.post_doc[a:b])
                    tf = seg.post_tf[a:b].astype(np.float32)
                    parts_doc.append(d)
                    parts_score.append(idf * tf * (K1 + 1) / (
                        tf + K1 * (1 - B + B * doclen[d] / index.avgdl)))
                if not parts_doc:
                    continue
                uniq, inv = np.unique(np.concatenate(parts_doc), return_inverse=True)
                docs, scores = uniq, np.bincount(inv, weights=np.concatenate(parts_score))
            if len(docs) > n:
                np.argpartition(-scores, n - 1)[:n]
            cpu.append((time.process_time() - c) * 1000)
        out[name] = {"cpu_p50_ms": round(statistics.median(cpu), 1),
                     "cpu_p95_ms": round(pct(cpu, 95), 1)}
    return out


def main(index: Path = typer.Argument(..., help="A kept `make scale` index folder (scale-N)."),
         factor: int = typer.Option(10, min=2), queries: int = typer.Option(200),
         seed: int = typer.Option(11),
         out: Path = typer.Option(None, help="JSON file to write (default: print only).")) -> None:
    kw = index / "chroma-keyword" / "chunks"
    state = json.loads((kw.parent.parent / "build.json").read_text(encoding="utf-8"))
    names = sorted(p for p in kw.iterdir() if p.is_dir() and not p.name.startswith("."))
    src = max(names, key=lambda p: json.loads((p / "meta.json").read_text())["chunks"])
    _, _, questions = load_pool(DEFAULT_EVAL_DATA)
    qs = pick_queries(questions, queries, seed)
    base = time_bm25(src, qs)
    t = time.perf_counter()
    tiled = tile(src, index / f"bm25-x{factor}", factor)
    tile_s = time.perf_counter() - t
    big = time_bm25(tiled, qs)
    scoring = accumulator_probe(tiled, qs)
    shutil.rmtree(tiled, ignore_errors=True)
    result = {"index_chunks": state["build"]["chunks"], "factor": factor, "queries": len(qs),
              "base": base, "tiled": big, "tile_seconds": round(tile_s, 1),
              "scoring_only_tiled": scoring}
    print(json.dumps(result, indent=2))
    if out:
        out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
