"""BEIR-format benchmarks (SciFact): the product's BM25, dense and hybrid retrievers side by side.

Each document (title and abstract) is stored as one chunk in a temporary Chroma generation with
its cached embedding; the queries go through `HybridRetriever`, the same class `/v1/chat` uses.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

# Published figures, from the eval-data README (nDCG@10, Recall@100).
SCIFACT_PUBLISHED = {
    "BM25, title and text as separate fields (BEIR paper)": (0.665, 0.908),
    "BM25, title+text as one field (Anserini)": (0.679, 0.925),
    "all-MiniLM-L6-v2 dense (MTEB)": (0.645, 0.925),
    "BM25 top-100 + MiniLM-L6 cross-encoder (BEIR paper)": (0.688, None),
}


@dataclass
class BeirData:
    corpus: dict[str, dict]  # id -> {"title", "text"}
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_beir(folder: Path, split: str = "test") -> BeirData:
    def jsonl(path: Path):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)

    corpus = {str(d["_id"]): {"title": d.get("title", ""), "text": d.get("text", "")}
              for d in jsonl(folder / "corpus.jsonl")}
    queries = {str(q["_id"]): q["text"] for q in jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / f"{split}.tsv").open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader)  # header
        for row in reader:
            if len(row) >= 3 and int(row[2]) > 0:
                qrels.setdefault(row[0].strip(), {})[row[1].strip()] = int(row[2])
    queries = {qid: queries[qid] for qid in qrels if qid in queries}
    return BeirData(corpus, queries, qrels)


def run_scifact(folder: Path, embedder, settings, fusions: dict[str, dict],
                progress: bool = True) -> dict:
    """nDCG@10, Recall@10/100 and MRR@10 for BM25, dense and each hybrid variant."""
    from ranx import Qrels, Run
    from ranx import evaluate as ranx_evaluate
    from tqdm import tqdm

    from assistant.index.store import ChunkStore
    from assistant.retrieval.hybrid import HybridRetriever

    data = load_beir(folder)
    ids = list(data.corpus)
    texts = [f"{data.corpus[i]['title']}\n\n{data.corpus[i]['text']}".strip() for i in ids]
    vectors = embedder.embed_texts(texts, batch_size=settings.embed_batch_size,
                                   show_progress=progress)

    tmp = Path(tempfile.mkdtemp(prefix="beir-"))
    cfg = settings.model_copy(update={"chroma_path": tmp / "db", "chroma_host": None,
                                      "collection_prefix": "scifact"})
    store = ChunkStore(cfg)
    from assistant.index.writer import IndexWriter, NewChunk

    writer = IndexWriter(store, embedder.name, embedder.dimension)
    for d, text, vec in zip(ids, texts, vectors):
        writer.add({"source": d, "title": ""},
                   [NewChunk(text=text, metadata={"title": "", "chunk_index": 0}, embedding=vec)])
    writer.commit()

    qrels = Qrels(data.qrels)
    variants = {"bm25": ("bm25", {}), "dense": ("dense", {})}
    variants.update({name: ("hybrid", cfg_) for name, cfg_ in fusions.items()})
    results = {}
    for name, (mode, overrides) in variants.items():
        retriever = HybridRetriever(store, embedder, cfg.model_copy(update={"candidates": 100, **overrides}))
        run: dict[str, dict[str, float]] = {}
        for qid, query in tqdm(data.queries.items(), desc=f"scifact {name}", disable=not progress):
            hits = retriever.retrieve(query, top_k=100, mode=mode)
            run[qid] = {p.source: float(100 - k) for k, p in enumerate(hits)} or {"none": 0.0}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = ranx_evaluate(qrels, Run(run), ["ndcg@10", "recall@10", "recall@100", "mrr@10"],
                                   make_comparable=True)
        results[name] = {k: float(v) for k, v in scores.items()}
    shutil.rmtree(tmp, ignore_errors=True)
    return {"queries": len(data.queries), "documents": len(ids), "retrievers": results,
            "published": {k: {"ndcg@10": v[0], "recall@100": v[1]} for k, v in SCIFACT_PUBLISHED.items()}}
