"""Answer-quality eval through the same code path as `/v1/chat` (`assistant.service.responses.build_response`)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from eval import scoring
from eval.dataset import EvalQuestion


@dataclass
class AnswerRecord:
    id: str
    category: str
    answerable: bool
    question: str
    answer: str
    abstained: bool
    citations: list[dict]
    fact_recall: float | None
    all_facts: bool | None
    cited_ok: int
    cited_total: int
    citation_hit: bool | None
    numbers_ok: bool
    latency_ms: float
    extra: dict = field(default_factory=dict)


def score_one(q: EvalQuestion, response: dict, latency_ms: float) -> AnswerRecord:
    answer = response["answer"]
    citations = response["citations"]
    passages = {c["n"]: c["text"] for c in citations}
    good, total = scoring.citation_precision(answer, passages)
    fact = scoring.key_fact_recall(answer, q.key_facts) if q.answerable else None
    hit = any(c["source"] in q.gold_sources for c in citations) if q.answerable else None
    return AnswerRecord(
        id=q.id, category=q.category, answerable=q.answerable, question=q.question,
        answer=answer, abstained=bool(response["abstained"]), citations=citations,
        fact_recall=fact, all_facts=(fact == 1.0) if fact is not None else None,
        cited_ok=good, cited_total=total, citation_hit=hit,
        numbers_ok=scoring.numbers_faithful(answer, passages), latency_ms=latency_ms,
        extra={k: v for k, v in response.items() if k not in ("answer", "citations", "abstained")},
    )


def run(questions: Sequence[EvalQuestion], ask: Callable[[str], dict],
        progress: bool = True) -> list[AnswerRecord]:
    from tqdm import tqdm

    out = []
    for q in tqdm(questions, desc="answers", unit="q", disable=not progress):
        t = time.perf_counter()
        try:
            response = ask(q.question)
        except Exception as exc:  # e.g. an LLM timing out: recorded, the run goes on
            response = {"answer": "", "citations": [], "abstained": False,
                        "error": getattr(exc, "public", None) or f"{type(exc).__name__}: {exc}"}
        out.append(score_one(q, response, (time.perf_counter() - t) * 1000))
    return out


def _kind(r: AnswerRecord) -> str:
    """answered / hedged / abstained: the response's `answer_type`, else from `abstained`."""
    return str(r.extra.get("answer_type") or ("abstained" if r.abstained else "answered"))


def summarize(records: Sequence[AnswerRecord]) -> dict:
    answerable = [r for r in records if r.answerable]
    unanswerable = [r for r in records if not r.answerable]
    abstained = [r for r in records if r.abstained]
    cited_ok = sum(r.cited_ok for r in records)
    cited_total = sum(r.cited_total for r in records)
    lat = np.array([r.latency_ms for r in records]) if records else np.zeros(1)
    by_cat: dict[str, dict] = {}
    for cat in sorted({r.category for r in records}):
        rs = [r for r in records if r.category == cat]
        if cat == "unanswerable":
            by_cat[cat] = {"n": len(rs), "abstained": sum(r.abstained for r in rs) / len(rs)}
        else:
            by_cat[cat] = {"n": len(rs),
                           "key_fact_recall": float(np.mean([r.fact_recall for r in rs])),
                           "all_facts": float(np.mean([r.all_facts for r in rs]))}
    return {
        "questions": len(records),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "key_fact_recall": float(np.mean([r.fact_recall for r in answerable])) if answerable else None,
        "all_facts": float(np.mean([r.all_facts for r in answerable])) if answerable else None,
        "citation_precision": cited_ok / cited_total if cited_total else None,
        "citation_hit": float(np.mean([r.citation_hit for r in answerable])) if answerable else None,
        # over answers given: an abstention states no figures of its own
        "number_faithfulness": (float(np.mean([r.numbers_ok for r in records if not r.abstained]))
                                if any(not r.abstained for r in records) else None),
        "abstention_precision": (sum(not r.answerable for r in abstained) / len(abstained)) if abstained else None,
        "abstention_recall": (sum(r.abstained for r in unanswerable) / len(unanswerable)) if unanswerable else None,
        "false_abstentions": sum(r.abstained for r in answerable),
        "false_abstention_rate": (sum(r.abstained for r in answerable) / len(answerable)) if answerable else None,
        # A hedge (the closest cited sentences, said to fall short) is counted as not answering
        # above; split out here: declined outright, hedged.
        "answerable_declined": sum(_kind(r) == "abstained" for r in answerable),
        "answerable_hedged": sum(_kind(r) == "hedged" for r in answerable),
        "unanswerable_declined_strict": (sum(_kind(r) == "abstained" for r in unanswerable) / len(unanswerable))
                                        if unanswerable else None,
        # what the response says it is (answered / hedged / abstained), where it says
        "answer_types": dict(sorted(Counter(str(r.extra.get("answer_type", "-")) for r in records).items())),
        "errors": sum(1 for r in records if r.extra.get("error")),
        "sentences_removed_by_verification": sum(len(r.extra.get("unsupported") or []) for r in records),
        "answers_replaced_by_fallback": sum(1 for r in records if r.extra.get("fallback")),
        "generators": dict(sorted(Counter(r.extra.get("generator", "?") for r in records).items())),
        "answer_words_p50": (float(np.median([len(r.answer.split()) for r in answerable if not r.abstained]))
                             if any(not r.abstained for r in answerable) else None),
        "answer_chars_p50": (float(np.median([len(r.answer) for r in answerable if not r.abstained]))
                             if any(not r.abstained for r in answerable) else None),
        "latency_p50_ms": float(np.percentile(lat, 50)),
        "latency_p95_ms": float(np.percentile(lat, 95)),
        "by_category": by_cat,
    }
