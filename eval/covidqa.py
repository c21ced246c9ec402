"""COVID-QA (SQuAD format): the product answers questions over 98 scientific articles.

The articles are written out as text files and ingested by the product's own pipeline into a
temporary store; a fixed, seeded sample of questions goes through the same code path as
`/v1/chat`. Measured: the share of answers that contain the gold answer span, the share whose
cited passages contain it, the share whose retrieved passages contain it, and abstentions.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
import time
from pathlib import Path


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip().lower()


def load_covidqa(path: Path) -> tuple[list[tuple[str, str]], list[dict]]:
    """(article file name, text) pairs and the questions with their article and gold spans."""
    data = json.loads(path.read_text(encoding="utf-8"))
    articles, questions = [], []
    for i, article in enumerate(data["data"]):
        name = f"covidqa-{i:03d}.txt"
        for para in article["paragraphs"]:
            articles.append((name, para["context"]))
            for qa in para["qas"]:
                spans = [a["text"] for a in qa.get("answers", []) if a.get("text", "").strip()]
                if spans and not qa.get("is_impossible"):
                    questions.append({"id": str(qa["id"]), "question": qa["question"],
                                      "source": name, "answers": spans})
            break  # one context per article in this release
    return articles, questions


def run_covidqa(path: Path, embedder, settings, sample: int = 300, seed: int = 13,
                progress: bool = True) -> dict:
    articles, questions = load_covidqa(path)
    rng = random.Random(seed)
    chosen = rng.sample(questions, min(sample, len(questions)))

    with tempfile.TemporaryDirectory(prefix="covidqa-") as tmp:
        return _run(Path(tmp), articles, chosen, embedder, settings, seed, progress)


def _run(tmp: Path, articles, chosen, embedder, settings, seed, progress) -> dict:
    from tqdm import tqdm

    from assistant.responses import build_response
    from assistant.service import Assistant
    from assistant.store import ChunkStore
    from ingest.pipeline import Ingestor

    docs = tmp / "docs"
    docs.mkdir()
    for name, text in articles:
        (docs / name).write_text(text, encoding="utf-8")
    cfg = settings.model_copy(update={"corpus_dir": docs, "chroma_path": tmp / "db",
                                      "chroma_host": None, "collection_prefix": "covidqa"})
    store = ChunkStore(cfg)
    t = time.perf_counter()
    summary = Ingestor(cfg, store, embedder, progress=progress).run([docs])
    ingest_s = time.perf_counter() - t
    assistant = Assistant(cfg, store, embedder)

    in_answer = in_cited = in_retrieved = abstained = right_doc = 0
    latencies = []
    examples = []
    for q in tqdm(chosen, desc="covid-qa", disable=not progress):
        t = time.perf_counter()
        result = assistant.ask(q["question"])
        latencies.append((time.perf_counter() - t) * 1000)
        response = build_response(result)
        gold = [_norm(a) for a in q["answers"]]
        answer = _norm(response["answer"])
        cited = " ".join(_norm(c["text"]) for c in response["citations"])
        retrieved = " ".join(_norm(p.text) for p in result.passages)
        hit_answer = any(g in answer for g in gold)
        in_answer += hit_answer
        in_cited += any(g in cited for g in gold)
        in_retrieved += any(g in retrieved for g in gold)
        abstained += response["abstained"]
        right_doc += any(c["source"] == q["source"] for c in response["citations"])
        if len(examples) < 5 and not hit_answer:
            examples.append({"question": q["question"], "gold": q["answers"][0],
                             "answer": response["answer"][:400]})
    n = len(chosen)
    latencies.sort()
    return {
        "questions": n, "seed": seed, "articles": len(articles), "chunks": summary.chunks_total,
        "ingest_seconds": ingest_s, "ingest_failed": [f.__dict__ for f in summary.failed],
        "answer_contains_gold": in_answer / n, "cited_passages_contain_gold": in_cited / n,
        "retrieved_passages_contain_gold": in_retrieved / n, "cites_gold_article": right_doc / n,
        "abstained": abstained / n,
        "latency_p50_ms": latencies[n // 2], "latency_p95_ms": latencies[int(0.95 * (n - 1))],
        "missed_examples": examples,
    }
