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


# The learned gate (assistant/answers/gate.py): fitted on the questions the gate decides, its
# threshold chosen like the others, checked leaving one set out.

def _xrow(set_: str, answerable: bool, asked: float, other: bool = False) -> dict:
    from assistant.answers.gate import GATE_FEATURES

    x = [0.0] * len(GATE_FEATURES)
    x[GATE_FEATURES.index("asked_top")] = asked  # how much of the asked detail the sentences say
    return {**_row(answerable, 0.5, other=other), "set": set_, "x": x}


def test_the_learned_gate_learns_the_asked_detail_and_is_checked_leaving_sets_out():
    from eval.gate import fit_gate, learned_gate, loso_gate, with_gate

    rows = [_xrow(s, True, a) for s in "abc" for a in (0.8, 0.9, 1.0)] + \
           [_xrow(s, False, a) for s in "abc" for a in (0.0, 0.2)] + [_xrow("a", False, 1.0, other=True)]
    model = fit_gate(rows, 1.0)
    scored = with_gate(rows, model)
    # it says less of the asked detail: less likely answerable
    assert scored[0]["g"] > scored[-2]["g"]
    # fitted only on the questions the gate decides: a row already declined by another check is not one
    from assistant.answers.gate import GATE_FEATURES
    assert abs(model.mean[GATE_FEATURES.index("asked_top")] - (2.7 * 3 + 0.2 * 3) / 15) < 1e-9
    loso, left_out = loso_gate(rows, 1.0)
    assert set(loso) == {"a", "b", "c"} and len(left_out) == len(rows)
    assert all(v["balanced"] == 1.0 for v in loso.values())  # separable: every set left out is right
    gate, _, _ = learned_gate(rows)
    assert gate["C"] in (0.03, 0.1, 0.3, 1.0) and 0.05 <= gate["threshold"] <= 0.95
    t = gate["threshold"]
    assert rates(with_gate(rows, fit_gate(rows, gate["C"])), t, "g") == (0.0, 1.0, 1.0)


def test_a_learned_gate_is_loaded_only_for_its_own_features(tmp_path):
    from assistant.answers.gate import GATE_FEATURES, load_gate
    from assistant.answers.model import Logistic
    import numpy as np

    n = len(GATE_FEATURES)
    model = Logistic(tuple(GATE_FEATURES), np.zeros(n), np.ones(n), np.ones(n), 0.0)
    good = tmp_path / "gate.json"
    good.write_text(json.dumps({"learned": {"model": model.to_dict(), "threshold": 0.4}}), encoding="utf-8")
    loaded = load_gate(good)
    assert loaded is not None and loaded[1] == 0.4 and loaded[0].features == tuple(GATE_FEATURES)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"learned": {"model": {**model.to_dict(), "features": ["x"] * n},
                                             "threshold": 0.4}}), encoding="utf-8")
    assert load_gate(other) is None  # written for other features
    none = tmp_path / "none.json"
    none.write_text(json.dumps({"learned": None}), encoding="utf-8")
    assert load_gate(none) is None and load_gate(tmp_path / "missing.json") is None
