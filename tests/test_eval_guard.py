"""CI guard: the corpus eval must stay at today's level (eval/thresholds.json)."""

from __future__ import annotations

from eval.corpus import check_thresholds, run_corpus_eval
from eval.dataset import load
from tests.conftest import CORPUS, make_settings


def test_eval_set_is_well_formed():
    items = load()
    assert len(items) >= 60
    assert sum(not q.answerable for q in items) >= 10
    for q in items:
        for g in q.gold:
            text = " ".join((CORPUS / g.source).read_text(encoding="utf-8").split())
            assert " ".join(g.quote.split()) in text, (q.id, g.quote)


def test_answer_and_retrieval_quality_do_not_drop(tmp_path, embedder):
    settings = make_settings(tmp_path, CORPUS)
    report = run_corpus_eval(settings, embedder, naive=False, progress=False)
    failures = check_thresholds(report)
    assert not failures, failures
