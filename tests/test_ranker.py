"""The trade-press sentence ranker (assistant/answers/ranker.py) and its trainer
(eval/train_ranker.py): pure logic on small hand-made candidates, the shipped file, the switch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.answers.features import SENTENCE_FEATURES, Candidate
from assistant.answers.model import Logistic
from assistant.answers.ranker import (
    ITEMS_PATH,
    RANKER_FEATURES,
    RANKER_PATH,
    Ranker,
    load_ranker,
    ranker_features,
)
from assistant.retrieval.hybrid import Passage
from eval.gate import OUT as GATE_PATH
from eval.train_ranker import RESULTS, _fit, leave_one_set_out, top1

PASSAGE = Passage(id="p1", text="x", source="a.txt", title="a", section=None, page=None, sentences=[(0, 1)])


def cand(text: str, prob: float, index: int = 1, ce: float = 0.5) -> Candidate:
    return Candidate(PASSAGE, index, text, features=np.zeros(len(SENTENCE_FEATURES)), prob=prob,
                     p_model=prob, ce=ce)


def ranker_on(feature: str, weight: float = 3.0) -> Ranker:
    coef = np.zeros(len(RANKER_FEATURES))
    coef[RANKER_FEATURES.index(feature)] = weight
    n = len(RANKER_FEATURES)
    return Ranker(Logistic(tuple(RANKER_FEATURES), np.zeros(n), np.ones(n), coef, 0.0), {})


def test_features_describe_the_sentence_form():
    cands = [cand('"We are delighted," said the CEO.', 0.5), cand("Key Asset: LMX-417, an oral drug.", 0.4),
             cand("Upfront | $41 per share | cash", 0.3), cand("Corvel buys Lumatrix.", 0.2, index=0)]
    X = ranker_features(cands)
    assert X.shape == (4, len(RANKER_FEATURES))
    col = {f: X[:, RANKER_FEATURES.index(f)].tolist() for f in ("quote", "labelled", "table_row", "passage_first")}
    assert col == {"quote": [1, 0, 0, 0], "labelled": [0, 1, 0, 0], "table_row": [0, 0, 1, 0],
                   "passage_first": [0, 0, 0, 1]}
    # the two models' scores enter as logits
    assert X[0, RANKER_FEATURES.index("logit_sentence_model")] == pytest.approx(0.0)


def test_order_moves_the_ranked_sentence_first_and_hands_the_probabilities_out_again():
    headline = cand("Corvel Therapeutics acquires Lumatrix Bio for $2.3B", 0.6, index=0)
    quote = cand('"Lumatrix gives us the best APOL1 medicine," said the CEO.', 0.3)
    labelled = cand("Key Asset: LMX-417, an oral APOL1 inhibitor.", 0.1)
    out = ranker_on("labelled").order([headline, quote, labelled])
    assert out[0] is labelled
    # the same probabilities, best first: whether to answer and how many sentences are unchanged
    assert [c.prob for c in out] == [0.6, 0.3, 0.1]
    assert sorted(c.prob for c in out) == sorted([0.6, 0.3, 0.1])
    # each keeps the ranker's own score: the gate reads the best one
    assert all(c.lead is not None for c in out) and out[0].lead == max(c.lead for c in out)


def test_order_keeps_the_models_order_on_a_tie():
    a, b = cand("First sentence here.", 0.5), cand("Second sentence here.", 0.4)
    assert ranker_on("quote").order([a, b]) == [a, b]


def test_a_ranker_file_with_other_features_is_refused(tmp_path):
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps({"model": {"features": ["coverage"], "mean": [0], "scale": [1], "coef": [1],
                                          "intercept": 0}}), encoding="utf-8")
    with pytest.raises(ValueError, match="RANKER_FEATURES"):
        load_ranker(path)
    assert load_ranker(tmp_path / "absent.json") is None


def test_the_shipped_ranker_loads_and_records_how_it_was_checked():
    ranker = load_ranker(RANKER_PATH)
    assert ranker is not None and list(ranker.model.features) == RANKER_FEATURES
    meta = ranker.meta
    # fitted on spent sets only: never a frozen one still in use (a held-out set is spent once
    # its run after a session is in eval/results; heldout23 is frozen)
    assert "heldout23" not in meta["sets"]
    assert all(name == "tradepress" or (RESULTS / f"{name}-after").is_dir() for name in meta["sets"]), meta["sets"]
    assert set(meta["leave_one_set_out"]) <= set(meta["sets"])


def test_the_list_item_model_and_the_gate_learned_on_spent_sets_only():
    items = json.loads(ITEMS_PATH.read_text(encoding="utf-8"))["meta"]
    gate = json.loads(GATE_PATH.read_text(encoding="utf-8"))
    from eval.train_ranker import SETS  # (what train-ranker, the gate and eval.spent run on)
    for sets in (items["sets"], gate["sets"], SETS):
        assert all(name == "tradepress" or (RESULTS / f"{name}-after").is_dir() for name in sets), sets


def test_the_switch_turns_it_off(tmp_path):
    from assistant.answers.extractive import ExtractiveGenerator
    from tests.conftest import make_settings

    on = ExtractiveGenerator(make_settings(tmp_path, tmp_path))
    off = ExtractiveGenerator(make_settings(tmp_path, tmp_path).model_copy(update={"sentence_ranker": False}))
    assert on.ranker is not None and off.ranker is None


# --- the trainer ------------------------------------------------------------------------------------

def _rows(seed: int, sets=("s1", "s2", "s3")) -> list[dict]:
    """Questions whose answering candidate is the labelled line, never the models' first."""
    rng = np.random.default_rng(seed)
    rows = []
    lab = RANKER_FEATURES.index("labelled")
    for s in sets:
        for _ in range(20):
            X = rng.normal(size=(5, len(RANKER_FEATURES)))
            X[:, lab] = 0
            k = int(rng.integers(1, 5))
            X[k, lab] = 1
            y = np.zeros(5, bool)
            y[k] = True
            rows.append({"set": s, "X": X, "y": y})
    return rows


def test_trainer_learns_what_leads_and_reports_it_per_left_out_set():
    rows = _rows(0)
    assert top1(rows, None) == 0.0  # the models' own order: the first candidate never answers
    model = _fit(rows, C=1.0)
    assert top1(rows, model) == 1.0
    assert model.coef[RANKER_FEATURES.index("labelled")] > 0
    res = leave_one_set_out(rows, C=1.0)
    assert set(res) == {"s1", "s2", "s3"}
    assert all(v["questions"] == 20 and v["top1_models"] == 0.0 and v["top1_ranker"] == 1.0
               for v in res.values())


# --- on a term sheet of our own (tests/data/termsheet): labelled lines and table rows answer --------

@pytest.fixture(scope="module")
def termsheet(tmp_path_factory, embedder):
    from pathlib import Path

    from tests.conftest import index_copy
    *_, assistant = index_copy(tmp_path_factory.mktemp("termsheet"),
                               Path(__file__).parent / "data" / "termsheet", embedder)
    return assistant


@pytest.mark.parametrize("question, starts", [
    ("What's the key asset in Corvel's Lumatrix buy?", "Key Asset: LMX-417"),
    ("When is Corvel-Lumatrix expected to close?", "Expected close: second quarter of 2025"),
])
def test_a_labelled_line_of_a_term_sheet_is_the_answer(termsheet, question, starts):
    a = termsheet.ask(question).answer
    assert a.kind == "answered" and a.answer.startswith(starts), a.answer
    assert {c.source for c in a.citations} == {"weekly-term-sheet-corvel-lumatrix-2025.txt"}
    assert 0.0 <= a.extra["lead"] <= 1.0  # the gate's signal travels with the answer
