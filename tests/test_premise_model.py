"""The learned premise decision (`assistant.answers.premise`, `python -m eval train-premise`):
what it reads, the shipped file, and that it lifts the hedge only where it learned to.

Whole answers where the premise must stand (a regulator that did not act, a company no passage
names) are asked in tests/test_answering.py and tests/test_failure_kinds.py with the shipped
model on; they pass with it.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from assistant.answers.model import Logistic
from assistant.answers.premise import (
    PREMISE_FEATURES,
    PREMISE_PATH,
    Premise,
    load_premise,
    premise_features,
)
from assistant.retrieval.anchors import question_anchors


class _Stats:
    def idf(self, term: str) -> float:
        return {"fda": 1.0}.get(term, 5.0)


def _row(question: str, unreported_surfaces: set[str], everywhere: set[str], regulator=False):
    anchors = question_anchors(question)
    q = SimpleNamespace(anchors=anchors, wanted=("date",), slot=None)
    unreported = [a for a in anchors if a.surface in unreported_surfaces]
    chosen = [SimpleNamespace(prob=0.8)]
    return premise_features(q, unreported, [regulator] * len(unreported), chosen, 0.6, 0.4,
                            everywhere, _Stats())


def test_the_features_say_what_the_check_saw():
    x = dict(zip(PREMISE_FEATURES, _row("When did the FDA approve BAT1806?", {"FDA"}, set(), regulator=True)))
    assert x["regulator"] == 1.0 and x["numeric"] == 0.0 and x["retrieved"] == 0.0
    assert x["max_idf"] == 1.0 and x["wanted"] == 1.0 and x["slot"] == 0.0
    assert 0 < x["share_unreported"] < 1
    y = dict(zip(PREMISE_FEATURES, _row("What did Zenas pay in 2024?", {"2024"}, {"2024"})))
    assert y["numeric"] == 1.0 and y["retrieved"] == 1.0 and y["regulator"] == 0.0


def test_the_threshold_decides():
    model = Logistic(tuple(PREMISE_FEATURES), np.zeros(len(PREMISE_FEATURES)), np.ones(len(PREMISE_FEATURES)),
                     np.eye(len(PREMISE_FEATURES))[PREMISE_FEATURES.index("retrieved")] * 4, -2.0)
    premise = Premise(model, 0.5, {})
    seen_nowhere = _row("What did Zenas pay in 2024?", {"2024"}, set())
    seen_elsewhere = _row("What did Zenas pay in 2024?", {"2024"}, {"2024"})
    assert premise.holds(seen_nowhere) and not premise.holds(seen_elsewhere)


def test_the_shipped_model_was_chosen_leaving_each_set_out():
    premise = load_premise()
    assert premise is not None, PREMISE_PATH
    assert list(premise.model.features) == PREMISE_FEATURES
    meta = premise.meta
    assert meta["rows"] >= 50 and len(meta["leave_one_set_out"]) >= 10
    left = meta["left_out"]
    # it is shipped because, left out, it lifts more wrong hedges than right ones
    assert (1 - left["answerable_hedged"]) > (1 - left["unanswerable_hedged"])
