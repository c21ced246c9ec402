"""The eval tool's pieces: dataset validation, span judging, report comparison, feedback export."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assistant.service.feedback import Feedback, FeedbackStore
from eval import scoring
from eval.dataset import DatasetError, EvalQuestion, Gold, load
from eval.report import compare
from eval.retrieval import build_run, finds
from tests.conftest import ROOT


def test_dataset_errors_are_specific(tmp_path):
    bad = tmp_path / "set.jsonl"
    bad.write_text(json.dumps({"id": "x", "question": "q", "category": "trivia", "answerable": True,
                               "reference_answer": "a", "key_facts": [["a"]], "gold": []}) + "\n")
    with pytest.raises(DatasetError, match="unknown category 'trivia'"):
        load(bad)
    bad.write_text("{not json\n")
    with pytest.raises(DatasetError, match=":1: malformed"):
        load(bad)


def test_gold_span_judging_and_run_order():
    q = EvalQuestion("q1", "?", "factoid", True, "", [["x"]],
                     [Gold("a.txt", "Novartis set aside $500 million"), Gold("b.txt", "seven approvals")])
    assert finds("Late last month, Novartis set aside  $500 million to scale up.", "a.txt", q) == [0]
    assert finds("Novartis set aside $500 million", "b.txt", q) == []  # wrong document
    run = build_run([q], lambda question, k: [("p1", "b.txt", "nothing"),
                                              ("p2", "b.txt", "with seven approvals in 2023")])
    ranked = sorted(run["q1"].items(), key=lambda kv: -kv[1])
    assert [k for k, _ in ranked] == ["passage:p1", "q1/gold1"]


def test_key_facts_and_citation_scoring():
    assert scoring.key_fact_recall("AstraZeneca paid $1.2 billion [1].", [["1.2bn", "$1.2 billion"], ["Gracell"]]) == 0.5
    good, total = scoring.citation_precision("Paid $1.2 billion [1]. Unrelated claim [2].",
                                             {1: "AstraZeneca paid $1.2 billion.", 2: "Other text."})
    assert (good, total) == (1, 2)
    assert not scoring.numbers_faithful("Paid $1.5 billion [1].", {1: "Paid $1.2 billion."})


def test_compare_reports_lists_changes():
    rows = compare({"answers": {"key_fact_recall": 0.9, "x": 1}}, {"answers": {"key_fact_recall": 0.95, "x": 1}})
    changed = {r[0]: r[3] for r in rows}
    assert changed["answers.key_fact_recall"] == pytest.approx(0.05)
    assert changed["answers.x"] == 0


def test_compare_and_feedback_commands(tmp_path, indexed):
    settings, store, _ = indexed
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"kind": "corpus", "answers": {"key_fact_recall": 0.90}}))
    b.write_text(json.dumps({"kind": "corpus", "answers": {"key_fact_recall": 0.96}}))
    env = {"ASSISTANT_CORPUS_DIR": str(settings.corpus_dir), "PATH": "/usr/bin:/bin",
           "ASSISTANT_CHROMA_PATH": str(settings.chroma_path), "HF_HUB_OFFLINE": "1"}
    r = subprocess.run([sys.executable, "-m", "eval", "compare", str(a), str(b)], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "answers.key_fact_recall" in r.stdout and "0.060" in r.stdout

    FeedbackStore(store.client, settings.collection_prefix).add(Feedback(
        helpful=False, question="Who makes TECELRA?", answer="...", citations=[], channel="slack"))
    out = tmp_path / "fb.jsonl"
    r = subprocess.run([sys.executable, "-m", "eval", "feedback", "--export", str(out)], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Who makes TECELRA?" in r.stdout
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert any(x["question"] == "Who makes TECELRA?" and x["helpful"] is False for x in rows)
