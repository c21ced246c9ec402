"""The trade-press sentence ranker: which of the best candidates leads the answer.

The sentence model and the cross-encoder were trained on SQuAD 2.0 and COVID-QA (encyclopaedia
and paper text). Trade press reads differently: a headline restates the deal, a labelled line
("Key Asset: ...") or a table row holds the term, an executive's quote sits next to the fact. This
ranker is a logistic regression over the candidates both models scored (RANKER_FEATURES: the
sentence features, both models' logits and four features of the sentence's form), fitted by
`python -m eval train-ranker` on the spent held-out trade-press sets (their questions' key facts
say which sentences answer) and checked leaving one set out (`eval/train_ranker.py`).

It only re-orders: the candidates keep the probabilities the public-data models gave them, handed
out again in the ranker's order, so whether to answer and how many sentences an answer keeps stay
as those models learned them; which sentences come first is what changes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.answers.features import SENTENCE_FEATURES, Candidate
from assistant.answers.gather import is_quote
from assistant.answers.model import Logistic, logit

RANKER_PATH = Path(__file__).parent / "data" / "ranker.json"
RANKER_FEATURES = SENTENCE_FEATURES + [
    "logit_sentence_model",  # the public-data sentence model
    "logit_cross_encoder",   # the shipped cross-encoder
    "quote",                 # someone's quoted words
    "labelled",              # a labelled line: "Key Asset: ...", "Upfront: ..."
    "table_row",             # cells of a table row ("... | ... | ...")
    "passage_first",         # the first sentence of its passage (often a headline)
]
_LABELLED = re.compile(r"^[A-Z][\w&/ -]{1,30}:\s")


def ranker_features(cands: Sequence[Candidate]) -> np.ndarray:
    """One row of RANKER_FEATURES per candidate the cross-encoder scored (features, p_model and
    ce set by the answerer's `score`)."""
    if not cands:
        return np.zeros((0, len(RANKER_FEATURES)))
    form = [[float(is_quote(c.text)), float(bool(_LABELLED.match(c.text))), float(" | " in c.text),
             float(c.index == 0)] for c in cands]
    return np.column_stack([np.vstack([c.features for c in cands]),
                            logit([c.p_model for c in cands]), logit([c.ce for c in cands]),
                            np.asarray(form)])


@dataclass(frozen=True)
class Ranker:
    model: Logistic
    meta: dict

    def score(self, cands: list[Candidate]) -> np.ndarray:
        """P(each candidate holds a key fact), also set as its `lead`."""
        z = self.model.predict(ranker_features(cands)) if cands else np.zeros(0)
        for c, p in zip(cands, z):
            c.lead = float(p)
        return z

    def order(self, ranked: list[Candidate]) -> list[Candidate]:
        """`ranked` (best first, each scored by both models) in the ranker's order, the
        probabilities handed out again best first."""
        z = self.score(ranked)
        if len(ranked) < 2:
            return ranked
        probs = sorted((c.prob for c in ranked), reverse=True)
        out = [ranked[i] for i in np.argsort(-z, kind="stable")]
        for c, p in zip(out, probs):
            c.prob = p
        return out


@lru_cache(maxsize=4)
def load_ranker(path: Path = RANKER_PATH) -> Ranker | None:
    """The shipped ranker, or None when the file is absent (the models' own order is kept)."""
    if not path.exists():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    model = Logistic.from_dict(d["model"])
    if list(model.features) != RANKER_FEATURES:
        raise ValueError(f"{path}: features {list(model.features)} are not RANKER_FEATURES; "
                         "retrain with `python -m eval train-ranker`")
    return Ranker(model, d.get("meta", {}))
