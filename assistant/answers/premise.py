"""Whether a name the answer's passages do not mention makes the question unanswerable: learned.

The premise check (`extractive`) hedges an answer when a name or number of the question is in
none of the passages the answer cites, nor next to them: "When did the FDA approve BAT1806?" when
only China's NMPA approved it gets "The documents do not report "FDA" in this connection. What
they do say: ...". On trade press the check fired on more answerable questions than unanswerable
ones (a date written another way, a company named by its ticker in one place, a product named in
the headline only). This model reads what the check saw (PREMISE_FEATURES) and gives P(the
question is answerable from what the answer cites); from its threshold the answer is given
without the hedge. `python -m eval train-premise` fits it on the spent trade-press sets, each set
left out in turn (`eval/train_premise.py`); without its file the check hedges as before.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.answers.model import Logistic, logit

PREMISE_PATH = Path(__file__).parent / "data" / "premise.json"
PREMISE_FEATURES = [
    "share_unreported",  # the unreported names and numbers, over the question's
    "numeric",           # one of them is a number (a year, an amount)
    "regulator",         # one of them is an agency (FDA, EMA): who acted
    "retrieved",         # each is in some retrieved passage, only not near what the answer cites
    "logit_p_answer",    # the answerability model's P(the passages answer the question)
    "lead",              # the trade-press ranker's best score (0 without it)
    "logit_best",        # the best chosen sentence's probability
    "max_idf",           # the rarest unreported term's IDF (a rare name vs a common word)
    "wanted",            # the question asks for a kind of value
    "slot",              # ... or for one term of a deal or a designation
    "anchors",           # how many names and numbers the question has
]


def premise_features(q, unreported: Sequence, regulator: Sequence[bool], chosen: Sequence,
                     p_answer: float, lead: float | None, everywhere: set[str], stats) -> np.ndarray:
    """One row of PREMISE_FEATURES. `q`: the analysed question; `unreported`: its anchors the
    answer's passages do not mention; `regulator`: for each, whether it is an agency;
    `everywhere`: the terms of every retrieved passage."""
    from assistant.retrieval.anchors import anchor_in

    n = max(1, len(q.anchors))
    return np.array([
        len(unreported) / n,
        float(any(a.numeric for a in unreported)),
        float(any(regulator)),
        float(all(anchor_in(a, everywhere) for a in unreported)),
        float(logit([p_answer])[0]),
        float(lead or 0.0),
        float(logit([max((c.prob for c in chosen), default=0.0)])[0]),
        max((stats.idf(a.term) for a in unreported), default=0.0),
        float(bool(q.wanted)),
        float(q.slot is not None),
        float(len(q.anchors)),
    ])


@dataclass(frozen=True)
class Premise:
    model: Logistic
    threshold: float
    meta: dict

    def answerable(self, x: np.ndarray) -> float:
        return float(self.model.predict(x[None, :])[0])

    def holds(self, x: np.ndarray) -> bool:
        """Does the premise check stand (the answer stays hedged)?"""
        return self.answerable(x) < self.threshold


@lru_cache(maxsize=2)
def load_premise(path: Path = PREMISE_PATH) -> Premise | None:
    """The shipped model, or None when its file is absent (the check hedges as before)."""
    if not path.exists():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    model = Logistic.from_dict(d["model"])
    if list(model.features) != PREMISE_FEATURES:
        raise ValueError(f"{path}: features {list(model.features)} are not PREMISE_FEATURES; "
                         "retrain with `python -m eval train-premise`")
    return Premise(model, float(d["threshold"]), d.get("meta", {}))
