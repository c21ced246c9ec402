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
                progress: bool = True, heldout_only: bool = True) -> dict:
    """Every article is ingested; the sampled questions come from the articles the learned
    answerer was not trained on (`eval.answer_data.split`), unless `heldout_only` is False.
    The product's answerer and the rules baseline answer the same questions in the same run."""
    from eval.answer_data import COVIDQA_HELDOUT_SHARE, covidqa_articles, split

    articles, questions = load_covidqa(path)
    if heldout_only:
        names = covidqa_articles(path)
        _, held = split(names, round(COVIDQA_HELDOUT_SHARE * len(names)))
        held_files = {f"{n}.txt" for n in held}
        questions = [q for q in questions if q["source"] in held_files]
    rng = random.Random(seed)
    chosen = rng.sample(questions, min(sample, len(questions)))

    with tempfile.TemporaryDirectory(prefix="covidqa-") as tmp:
        report = _run(Path(tmp), articles, chosen, embedder, settings, seed, progress)
    report["questions_from"] = "held-out articles" if heldout_only else "all articles"
    return report


def _run(tmp: Path, articles, chosen, embedder, settings, seed, progress) -> dict:

    from assistant.index.store import ChunkStore
    from assistant.service.assistant import Assistant
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
    from eval.baselines.rules_answerer import RulesGenerator

    report: dict = {"questions": len(chosen), "seed": seed, "articles": len(articles),
                    "chunks": summary.chunks_total, "ingest_seconds": ingest_s,
                    "ingest_failed": [f.__dict__ for f in summary.failed]}
    for name, generator in (("product", None), ("rules baseline", RulesGenerator(cfg))):
        assistant = Assistant(cfg, store, embedder, generator=generator)
        report[name] = _answer_all(assistant, chosen, progress, name)
    # The product's figures stay at the top level (earlier reports and `eval compare`).
    report.update(report["product"])
    return report


def _answer_all(assistant, chosen, progress: bool, name: str) -> dict:
    from tqdm import tqdm

    from assistant.service.responses import build_response
    from eval.answer_data import span_norm

    in_answer = in_strict = in_cited = in_retrieved = abstained = right_doc = 0
    latencies = []
    examples = []
    for q in tqdm(chosen, desc=f"covid-qa ({name})", disable=not progress):
        t = time.perf_counter()
        result = assistant.ask(q["question"])
        latencies.append((time.perf_counter() - t) * 1000)
        response = build_response(result)
        gold = [span_norm(a) for a in q["answers"]]
        answer = span_norm(response["answer"])
        cited = " ".join(span_norm(c["text"]) for c in response["citations"])
        retrieved = " ".join(span_norm(p.text) for p in result.passages)
        hit_answer = any(g in answer for g in gold)
        in_answer += hit_answer
        in_strict += any(_norm(g) in _norm(response["answer"]) for g in q["answers"])
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
        "answer_contains_gold": in_answer / n, "answer_contains_gold_strict": in_strict / n,
        "cited_passages_contain_gold": in_cited / n,
        "retrieved_passages_contain_gold": in_retrieved / n, "cites_gold_article": right_doc / n,
        "abstained": abstained / n,
        "latency_p50_ms": latencies[n // 2], "latency_p95_ms": latencies[int(0.95 * (n - 1))],
        "missed_examples": examples,
    }
