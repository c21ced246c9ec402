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
from assistant.answers.gather import entities, is_quote, list_items
from assistant.answers.model import Logistic, logit

RANKER_PATH = Path(__file__).parent / "data" / "ranker.json"
ITEMS_PATH = Path(__file__).parent / "data" / "list-items.json"
RANKER_FEATURES = SENTENCE_FEATURES + [
    "logit_sentence_model",  # the public-data sentence model
    "logit_cross_encoder",   # the shipped cross-encoder
    "quote",                 # someone's quoted words
    "labelled",              # a labelled line: "Key Asset: ...", "Upfront: ..."
    "table_row",             # cells of a table row ("... | ... | ...")
    "passage_first",         # the first sentence of its passage (often a headline)
]
_LABELLED = re.compile(r"^[A-Z][\w&/ -]{1,30}:\s")
# A list's items: every candidate of a list question is a possible item, and only the best few
# were embedded and read by the cross-encoder, so the item model reads the features all of them
# have (the sentence features without the embedding's two), the probability the answerer gave
# each, and the same four features of form.
ITEM_FEATURES = [f for f in SENTENCE_FEATURES if not f.startswith("similarity")] + [
    "logit_prob",            # the answerer's probability (both models for the best, else the prefilter's)
    "scored",                # the cross-encoder read it (one of the prefilter's best)
    "quote", "labelled", "table_row", "passage_first",
    "names",                 # it names a company or product (gather.entities)
]


def ranker_features(cands: Sequence[Candidate]) -> np.ndarray:
    """One row of RANKER_FEATURES per candidate the cross-encoder scored (features, p_model and
    ce set by the answerer's `score`)."""
    if not cands:
        return np.zeros((0, len(RANKER_FEATURES)))
    form = [_form(c) for c in cands]
    return np.column_stack([np.vstack([c.features for c in cands]),
                            logit([c.p_model for c in cands]), logit([c.ce for c in cands]),
                            np.asarray(form)])


def _form(c: Candidate) -> list[float]:
    return [float(is_quote(c.text)), float(bool(_LABELLED.match(c.text))), float(" | " in c.text),
            float(c.index == 0)]


def item_features(cands: Sequence[Candidate]) -> np.ndarray:
    """One row of ITEM_FEATURES per candidate, from what the answerer's scoring set on it: its
    SENTENCE_FEATURES without embeddings (`plain`), its probability, whether the cross-encoder
    read it."""
    if not cands:
        return np.zeros((0, len(ITEM_FEATURES)))
    keep = [i for i, f in enumerate(SENTENCE_FEATURES) if not f.startswith("similarity")]
    X = np.vstack([c.plain for c in cands])
    rest = [[float(c.ce is not None), *_form(c), float(bool(entities(c.text)))] for c in cands]
    return np.column_stack([X[:, keep], logit([c.prob for c in cands]), np.asarray(rest)])


def items_in_order(ranked: list[Candidate], p: np.ndarray, limit: int, keep: float,
                   per_document: bool, subject: Sequence, admit: float | None) -> list[Candidate]:
    """A list's items (`gather.list_items`) taken in the order of `p`, the list-item model's
    probabilities of `ranked`, which also decide `keep` and `admit`."""
    by = {id(c): float(x) for c, x in zip(ranked, p)}
    return list_items([ranked[i] for i in np.argsort(-p, kind="stable")], limit, keep, per_document,
                      subject, prob=lambda c: by[id(c)], admit=admit)


@dataclass(frozen=True)
class Items:
    """The list-item model: P(a candidate of a list question holds one of its items), the
    probability from which a document gives a second item (`keep`), and from which a sentence
    sharing no term with the question is an item (`admit`)."""
    model: Logistic
    keep: float
    admit: float | None  # an item sharing no term with the question from this P (None: never)
    meta: dict

    def score(self, cands: Sequence[Candidate]) -> np.ndarray:
        return self.model.predict(item_features(cands)) if cands else np.zeros(0)


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


def _read(path: Path, features: list[str], name: str) -> tuple[Logistic, dict] | None:
    """A shipped model's logistic regression and file, None when the file is absent; a file
    whose features are not `features` (named `name`) is an error."""
    if not path.exists():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    model = Logistic.from_dict(d["model"])
    if list(model.features) != features:
        raise ValueError(f"{path}: features {list(model.features)} are not {name}; "
                         "retrain with `python -m eval train-ranker`")
    return model, d


@lru_cache(maxsize=4)
def load_ranker(path: Path = RANKER_PATH) -> Ranker | None:
    """The shipped ranker, or None when the file is absent (the models' own order is kept)."""
    read = _read(path, RANKER_FEATURES, "RANKER_FEATURES")
    return None if read is None else Ranker(read[0], read[1].get("meta", {}))


@lru_cache(maxsize=4)
def load_items(path: Path = ITEMS_PATH) -> Items | None:
    """The shipped list-item model, or None when the file is absent (lists keep the models'
    order and the answerer's `keep` threshold)."""
    read = _read(path, ITEM_FEATURES, "ITEM_FEATURES")
    if read is None:
        return None
    model, d = read
    admit = d.get("admit")
    return Items(model, float(d["keep"]), None if admit is None else float(admit), d.get("meta", {}))
