"""The answer gate's trade-press threshold (eval/gate.py, assistant/answers/data/gate.json):
the choice on small written rows (pure logic), and which threshold the answerer uses."""

from __future__ import annotations

import json

from assistant.answers.extractive import ExtractiveGenerator
from assistant.answers.model import GATE_PATH, gate_threshold, load_model
from assistant.core.config import Settings
from eval.gate import abstains, choose, rates


def _row(answerable: bool, p: float, other: bool = False, gated: bool = True, lead: float | None = None) -> dict:
    return {"set": "s", "id": "x", "answerable": answerable, "p": p, "lead": lead,
            "open_abstains": other, "closed_abstains": other or gated}


def test_a_question_abstains_by_the_other_checks_or_under_the_threshold():
    assert abstains(_row(True, 0.9, other=True), 0.1)  # the premise check declined it: always
    assert abstains(_row(True, 0.40), 0.48) and not abstains(_row(True, 0.50), 0.48)
    assert not abstains(_row(True, 0.10, gated=False), 0.48)  # a list question: never gated


def test_the_threshold_of_best_balanced_accuracy_is_chosen():
    rows = [_row(True, p) for p in (0.45, 0.50, 0.55, 0.60)] + [_row(False, p) for p in (0.40, 0.44)]
    t = choose(rows)
    a, u, b = rates(rows, t)
    assert (a, u, b) == (0.0, 1.0, 1.0) and 0.44 < t <= 0.45
    # more hedges never win a tie: the lowest threshold of the best
    assert choose([_row(True, 0.9), _row(False, 0.1)]) == 0.3  # the grid starts at 0.30


def test_the_gate_reads_either_signal():
    # the ranker's best score: a row without one is never gated on it
    assert abstains(_row(True, 0.9, lead=0.10), 0.2, key="lead") and not abstains(_row(True, 0.1, lead=0.3), 0.2, key="lead")
    assert not abstains(_row(True, 0.1, lead=None), 0.2, key="lead")
    rows = [_row(True, 0.4, lead=x) for x in (0.30, 0.35)] + [_row(False, 0.6, lead=x) for x in (0.10, 0.12)]
    t = choose(rows, key="lead")
    assert rates(rows, t, key="lead") == (0.0, 1.0, 1.0) and 0.12 < t <= 0.30
    assert rates(rows, choose(rows), key="p")[2] < 1.0  # P(answerable) does not separate these


def test_the_answerer_uses_the_shipped_thresholds_with_the_cross_encoder_only():
    shipped = json.loads(GATE_PATH.read_text(encoding="utf-8"))
    assert gate_threshold() == shipped["answer_threshold"]
    assert gate_threshold(key="lead_threshold") == shipped["lead_threshold"]
    assert shipped["questions"] >= 200
    assert all(set(v) == set(shipped["sets"]) for v in shipped["leave_one_set_out"].values())
    assert ExtractiveGenerator(Settings()).answer_threshold == shipped["answer_threshold"]
    # without the cross-encoder, the threshold learned with the sentence model
    assert ExtractiveGenerator(Settings(cross_encoder=False)).answer_threshold == load_model().answer_threshold
    # the ranker's threshold only with the ranker
    assert ExtractiveGenerator(Settings()).lead_threshold == shipped["lead_threshold"]
    assert ExtractiveGenerator(Settings(sentence_ranker=False)).lead_threshold is None


def test_a_missing_or_broken_gate_file_falls_back(tmp_path):
    assert gate_threshold(tmp_path / "none.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert gate_threshold(bad) is None
