"""The answer gate learned on trade press: P(the question is answerable), from what the answerer
sees when it decides whether to answer (issue 24, "abstention that works both ways").

P(answerable) from the answerability model, learned on SQuAD 2.0 and COVID-QA, hardly separates
answerable from unanswerable trade-press questions (ROC AUC about 0.5 on the spent sets): an
unanswerable trade-press question is usually about a detail of a subject the documents do cover
("How many square feet will Cambrex add?" beside "Cambrex will spend $50 million to expand"), so
the sentences found are close in every way that model measures. This gate joins that probability
with signals of the asked detail: how much of what the question asks (its words that are neither
names nor the kind of value) the best sentences say, whether a sentence gives the kind of value
or the deal term asked for, and the ranker's and cross-encoder's best scores.

`python -m eval.gate` fits it (a logistic regression, scikit-learn, standardised) on the spent
held-out sets, chooses its threshold by balanced accuracy, checks both leaving one set out, and
ships it in `data/gate.json` ("learned") only when it beats the single-signal gates there. At
question time it is plain numpy (`model.Logistic`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.answers.features import Candidate
from assistant.answers.model import GATE_PATH, Logistic, logit
from assistant.answers.question import _Question
from assistant.core.text import terms
from assistant.retrieval.anchors import anchor_in
from assistant.retrieval.hybrid import Passage

# The sentences looked at: the best few, as the answer would cite them.
TOP = 3
GATE_FEATURES = [
    "p_answer",       # logit of P(answerable), the answerability model (public data)
    "lead",           # the trade-press ranker's best P(a sentence holds a key fact), 0 without it
    "cross_best",     # the cross-encoder's best probability, 0 when it scored none
    "prob_best",      # the best sentence's combined probability
    "prob_margin",    # its lead over the second best
    "coverage_best",  # IDF-weighted share of the question's terms in the best sentence
    "coverage_top",   # ... in the best TOP sentences together
    "asked_best",     # share of the asked words (not names, not the value's kind) in the best sentence
    "asked_top",      # ... in the best TOP sentences together
    "asked_passage",  # ... in the best sentence's passage
    "names_top",      # share of the question's names in the best TOP sentences' passages
    "value_missing",  # it asks for a kind of value (amount, date, count) that no TOP sentence gives
    "slot_missing",   # it asks for a deal term or designation that no TOP sentence says
    "log_asked",      # log(1 + number of asked words)
]


def _share(wanted: set[str], have: set[str]) -> float:
    return sum(t in have for t in wanted) / len(wanted) if wanted else 1.0


def gate_features(q: _Question, ranked: Sequence[Candidate], p_answer: float, lead: float | None,
                  vocab_of: Callable[[Passage], set[str]]) -> np.ndarray:
    """The gate's features (GATE_FEATURES) of a question and its ranked candidate sentences."""
    top = list(ranked[:TOP])
    if not top:
        return np.zeros(len(GATE_FEATURES))
    best = top[0]
    best_terms = set(terms(best.text))
    top_terms = set().union(*(set(terms(c.text)) for c in top))
    passages = set().union(*(vocab_of(c.passage) for c in top))
    names = q.names
    ce = [c.ce for c in ranked if c.ce is not None]
    second = top[1].prob if len(top) > 1 else 0.0
    return np.array([
        float(logit([p_answer])[0]),
        float(lead or 0.0),
        float(max(ce)) if ce else 0.0,
        float(best.prob),
        float(best.prob - second),
        q.coverage(best_terms),
        q.coverage(top_terms),
        _share(q.asked, best_terms),
        _share(q.asked, top_terms),
        _share(q.asked, vocab_of(best.passage)),
        sum(anchor_in(a, passages) for a in names) / len(names) if names else 1.0,
        float(q.wanted is not None and not any(c.typed for c in top)),
        float(q.slot is not None and not any(q.slot[1].search(c.text) for c in top)),
        math.log1p(len(q.asked)),
    ])


@lru_cache(maxsize=4)
def load_gate(path: Path = GATE_PATH) -> tuple[Logistic, float] | None:
    """The learned gate and its threshold, when `python -m eval.gate` shipped one."""
    try:
        learned = json.loads(path.read_text(encoding="utf-8")).get("learned")
    except (OSError, ValueError):
        return None
    if not learned:
        return None
    model = Logistic.from_dict(learned["model"])
    if list(model.features) != GATE_FEATURES:  # written for other features: not this gate's
        return None
    return model, float(learned["threshold"])
