"""The corpus eval: retrieval side by side with baselines, then answer quality, in one run.

The corpus is ingested with the current settings into a temporary store, so a run measures the
code and settings as they are, whatever the local index holds.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from assistant.core.config import Settings
from eval import answers, retrieval
from eval.dataset import DEFAULT_SET, load

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.json"


def config_of(settings: Settings, embedder_name: str) -> dict:
    return {
        "embedder": embedder_name,
        "chunking": {"max_chars": settings.chunk_max_chars,
                     "new_after_chars": settings.chunk_new_after_chars,
                     "combine_under_chars": settings.chunk_combine_under_chars},
        "retriever": {"top_k": settings.top_k, "candidates": settings.candidates,
                      "fusion": settings.fusion, "dense_weight": settings.dense_weight,
                      "rrf_k": settings.rrf_k},
        "generator": settings.generator,
        "thresholds": {"abstain_threshold": settings.abstain_threshold,
                       "sentence_keep_ratio": settings.sentence_keep_ratio,
                       "max_answer_sentences": settings.max_answer_sentences},
    }


def run_corpus_eval(settings: Settings, embedder, dataset: Path = DEFAULT_SET,
                    naive: bool = True, progress: bool = True, answers_only: bool = False,
                    docs: Path | None = None) -> dict:
    """`docs`: the folder ingested into the temporary store (default: the corpus folder); the
    eval set's gold `source` paths are relative to it."""
    questions = load(dataset)
    if docs is not None:
        docs = Path(docs).resolve()
        if not docs.is_dir():
            raise ValueError(f"--docs {docs}: not a folder")
        settings = settings.model_copy(update={"corpus_dir": docs})
        missing = sorted({g.source for q in questions for g in q.gold
                          if not (docs / g.source).is_file()})
        if missing:
            raise ValueError(f"{dataset}: gold sources not found under {docs}: {', '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="eval-") as tmp:
        return _run(settings, embedder, dataset, questions, Path(tmp), naive, progress, answers_only)


def _run(settings, embedder, dataset, questions, tmp: Path, naive, progress, answers_only) -> dict:
    from assistant.index.store import ChunkStore
    from assistant.service.assistant import Assistant
    from assistant.service.responses import build_response
    from ingest.pipeline import Ingestor

    cfg = settings.model_copy(update={"chroma_path": tmp / "db", "chroma_host": None,
                                      "collection_prefix": "eval"})
    store = ChunkStore(cfg)
    summary = Ingestor(cfg, store, embedder, progress=False).run([cfg.corpus_dir])
    assistant = Assistant(cfg, store, embedder)

    if summary.failed:
        bad = "; ".join(f"{f.path}: {f.reason}" for f in summary.failed)
        raise RuntimeError(f"documents failed to ingest, the eval would be wrong: {bad}")
    report: dict = {"config": config_of(cfg, embedder.name), "dataset": str(dataset),
                    "docs": str(cfg.corpus_dir), "chunks": summary.chunks_total}
    if not answers_only:
        retrievers = {
            "bm25": retrieval.product_retriever(assistant, "bm25"),
            "dense": retrieval.product_retriever(assistant, "dense"),
            "hybrid": retrieval.product_retriever(assistant, "hybrid"),
        }
        if naive:
            retrievers["naive-langchain"] = retrieval.naive_baseline(cfg.corpus_dir, embedder)
        report["retrieval"] = retrieval.evaluate(questions, retrievers, progress=progress)

    records = answers.run(questions, lambda q: build_response(assistant.ask(q)), progress=progress)
    report["answers"] = answers.summarize(records)
    report["per_question"] = [r.__dict__ for r in records]
    return report


def check_thresholds(report: dict, path: Path = THRESHOLDS) -> list[str]:
    """Failures against the versioned thresholds (today's level minus a small margin)."""
    limits = json.loads(path.read_text(encoding="utf-8"))
    failures = []
    for key, rule in limits["answers"].items():
        value = report["answers"].get(key)
        failures += _check(f"answers.{key}", value, rule)
    for name, metrics in limits.get("retrieval", {}).items():
        for key, rule in metrics.items():
            value = report.get("retrieval", {}).get(name, {}).get(key)
            if "retrieval" in report:
                failures += _check(f"retrieval.{name}.{key}", value, rule)
    return failures


def _check(name: str, value, rule: dict) -> list[str]:
    if value is None:
        return [f"{name}: missing"]
    if "min" in rule and value < rule["min"]:
        return [f"{name} = {value:.3f} is below the floor {rule['min']}"]
    if "max" in rule and value > rule["max"]:
        return [f"{name} = {value:.3f} is above the ceiling {rule['max']}"]
    return []
