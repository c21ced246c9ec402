"""The learned parts of the answerer, read from a small JSON file in the repo.

`assistant/answers/data/answerer.json` is written by `python -m eval train-answerer` (see
`eval/train_answerer.py` and the README): three logistic regressions over standardised features,
- `prefilter`: the sentence model without the embedding features (ranks every candidate cheaply);
- `sentence`: P(a candidate sentence holds the answer), over `features.SENTENCE_FEATURES`;
- `question`: P(the passages answer the question at all), over `features.QUESTION_FEATURES`;
and the thresholds chosen on out-of-fold predictions of the training articles. Plain JSON and
numpy at question time: no pickle, no scikit-learn import in the API process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).parent / "data" / "answerer.json"


def logit(p) -> np.ndarray:
    """log(p / (1 - p)), p clipped to [1e-4, 1 - 1e-4]: how one model's probability enters another."""
    p = np.clip(np.asarray(p, dtype=float), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Logistic:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def from_dict(cls, d: dict) -> "Logistic":
        return cls(tuple(d["features"]), np.asarray(d["mean"], float), np.asarray(d["scale"], float),
                   np.asarray(d["coef"], float), float(d["intercept"]))

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "coef": self.coef.round(6).tolist(),
                "intercept": round(self.intercept, 6)}

    def predict(self, X: np.ndarray) -> np.ndarray:
        if X.ndim == 1:
            X = X[None, :]
        z = ((X - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class CrossSection:
    """How the cross-encoder's score joins the answerer (`python -m eval train-cross`)."""

    keeps: int  # candidates scored by both models
    sentence: Logistic  # [logit sentence model, logit cross-encoder] -> P(holds the answer)
    question: Logistic  # [logit answerability, logit best combined, logit best cross] -> P(answerable)
    answer_threshold: float
    hedge_threshold: float
    keep_threshold: float

    @classmethod
    def from_dict(cls, d: dict) -> "CrossSection":
        t = d["thresholds"]
        return cls(int(d["keeps"]), Logistic.from_dict(d["sentence"]), Logistic.from_dict(d["question"]),
                   float(t["answer"]), float(t["hedge"]), float(t["keep"]))


@dataclass(frozen=True)
class AnswererModel:
    prefilter: Logistic  # the sentence model without the embedding features, to rank all candidates
    sentence: Logistic
    question: Logistic
    answer_threshold: float  # answer when P(answerable) is at least this
    keep_threshold: float  # a further sentence joins the answer when its P is at least this
    uses_similarity: bool  # the sentence-embedding features are used (costs an embedding call)
    meta: dict
    # Candidates the prefilter passes on to be embedded and re-scored (each costs an embedding).
    prefilter_keeps: int = 6
    # Below answer_threshold, hedge (the closest cited sentences) when P(answerable) is at least
    # this and the question's subject is in the passages; abstain below it.
    hedge_threshold: float = 0.0
    cross: CrossSection | None = None

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "AnswererModel":
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{path}: the answerer's model file is missing; rebuild it with "
                "`python -m eval train-answerer`") from None
        return cls(Logistic.from_dict(d["prefilter"]), Logistic.from_dict(d["sentence"]),
                   Logistic.from_dict(d["question"]),
                   float(d["thresholds"]["answer"]), float(d["thresholds"]["keep"]),
                   bool(d.get("uses_similarity", True)), d.get("meta", {}),
                   int(d.get("prefilter_keeps", 6)), float(d["thresholds"].get("hedge", 0.0)),
                   CrossSection.from_dict(d["cross"]) if "cross" in d else None)


GATE_PATH = Path(__file__).parent / "data" / "gate.json"


@lru_cache(maxsize=4)
def gate_threshold(path: Path = GATE_PATH, key: str = "answer_threshold") -> float | None:
    """A threshold chosen on trade-press questions (`python -m eval.gate`), if shipped: on
    P(answerable) (`answer_threshold`) or on the ranker's best score (`lead_threshold`)."""
    try:
        return float(json.loads(path.read_text(encoding="utf-8"))[key])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> AnswererModel:
    return AnswererModel.load(path)
