"""`python -m eval train-premise`: learn when the premise check's hedge stands, on trade press.

Every question of the spent sets (`eval.train_ranker.SETS`: each run before and after a session,
none frozen) is asked of its set's documents as the answerer asks it; where the premise check
fires (a name or number of the question that no cited passage mentions, nor the passages next to
them), what it saw is kept (`assistant.answers.premise.PREMISE_FEATURES`) with whether the
question is answerable. A logistic regression (scikit-learn, standardised) gives P(answerable);
the threshold under which the hedge stands maximises balanced accuracy (answerable questions
answered, unanswerable ones hedged, weighted equally). Both are checked leaving one set out:
fitted and chosen on the others, measured on it.

Writes assistant/answers/data/premise.json and eval/results/train-premise.json.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.answers.model import Logistic
from assistant.answers.premise import PREMISE_FEATURES, PREMISE_PATH
from assistant.core.config import PROJECT_ROOT, get_settings
from eval.train_ranker import SETS, set_paths

GRID_C = (0.03, 0.1, 0.3, 1.0)
GRID_T = tuple(round(t, 2) for t in np.arange(0.2, 0.96, 0.02))
RESULTS = PROJECT_ROOT / "eval" / "results"


def collect(name: str, embedder) -> list[dict]:
    """A row per question of the set on which the premise check fires."""
    from assistant.index.store import ChunkStore
    from assistant.service.assistant import Assistant
    from eval.dataset import load
    from ingest.pipeline import Ingestor

    dataset, docs = set_paths(name)
    base = get_settings().model_copy(update={"corpus_dir": docs, "chroma_host": None,
                                             "collection_prefix": "premise", "premise_model": False})
    rows = []
    with tempfile.TemporaryDirectory(prefix="premise-") as tmp:
        settings = base.model_copy(update={"chroma_path": Path(tmp) / "db"})
        store = ChunkStore(settings)
        Ingestor(settings, store, embedder, progress=False).run([docs])
        assistant = Assistant(settings, store, embedder)
        for q in load(dataset):
            passages, index = assistant.retriever.search(q.question)
            seen: dict = {}
            assistant.generator._answer(q.question, passages, index, seen)
            if "premise" in seen:
                rows.append({"set": name, "id": q.id, "x": seen["premise"], "answerable": q.answerable})
    return rows


def fit(rows: list[dict], C: float) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([r["x"] for r in rows])
    y = np.array([r["answerable"] for r in rows])
    mean, scale = X.mean(0), X.std(0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=5000, solver="lbfgs").fit((X - mean) / scale, y)
    return Logistic(tuple(PREMISE_FEATURES), mean, scale, lr.coef_[0], float(lr.intercept_[0]))


def rates(rows: list[dict], p: np.ndarray, t: float) -> dict:
    """Hedged shares at threshold t (hedged: P(answerable) under t)."""
    y = np.array([r["answerable"] for r in rows], dtype=bool)
    hedged = p < t
    a = float(hedged[y].mean()) if y.any() else 0.0
    u = float(hedged[~y].mean()) if (~y).any() else 0.0
    return {"answerable_hedged": round(a, 3), "unanswerable_hedged": round(u, 3),
            "balanced": round((1 - a + u) / 2, 4)}


def choose(rows: list[dict], p: np.ndarray) -> float:
    """The threshold of best balanced accuracy; the higher one on a tie (the hedge stands)."""
    return max(GRID_T, key=lambda t: (rates(rows, p, t)["balanced"], t))


def leave_one_set_out(rows: list[dict], C: float) -> tuple[dict, np.ndarray, np.ndarray]:
    """Per set: fitted and thresholded on the others, its hedged shares; with every row's
    out-of-set probability and whether its hedge stood."""
    per_set, p_out, hedged = {}, np.zeros(len(rows)), np.zeros(len(rows), dtype=bool)
    for name in dict.fromkeys(r["set"] for r in rows):
        idx = [i for i, r in enumerate(rows) if r["set"] == name]
        train = [r for r in rows if r["set"] != name]
        model = fit(train, C)
        t = choose(train, model.predict(np.vstack([r["x"] for r in train])))
        test = [rows[i] for i in idx]
        p = model.predict(np.vstack([r["x"] for r in test]))
        p_out[idx], hedged[idx] = p, p < t
        per_set[name] = {"rows": len(test), "answerable": sum(r["answerable"] for r in test),
                         "threshold": t, **rates(test, p, t)}
    return per_set, p_out, hedged


def run(embedder, out: Path = PREMISE_PATH, progress: bool = True) -> dict:
    from sklearn.metrics import log_loss, roc_auc_score
    from tqdm import tqdm

    t0 = time.perf_counter()
    rows = [r for name in tqdm(SETS, desc="sets", disable=not progress) for r in collect(name, embedder)]
    y = np.array([r["answerable"] for r in rows])
    loss = {}
    for C in GRID_C:
        _, p, _ = leave_one_set_out(rows, C)
        loss[C] = float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6)))
    C = min(GRID_C, key=lambda c: (round(loss[c], 6), c))
    per_set, p_out, hedged = leave_one_set_out(rows, C)
    model = fit(rows, C)
    p_all = model.predict(np.vstack([r["x"] for r in rows]))
    t = choose(rows, p_all)
    a, u = y.astype(bool), ~y.astype(bool)
    meta = {
        "sets": list(SETS), "rows": len(rows), "answerable": int(y.sum()), "C": C,
        "log_loss_by_C": {str(c): round(v, 4) for c, v in loss.items()},
        "roc_auc_left_out": round(float(roc_auc_score(y, p_out)), 3) if 0 < y.sum() < len(y) else None,
        "threshold": t,
        "left_out": {"answerable_hedged": round(float(hedged[a].mean()), 3),
                     "unanswerable_hedged": round(float(hedged[u].mean()), 3),
                     "without_model": {"answerable_hedged": 1.0, "unanswerable_hedged": 1.0}},
        "leave_one_set_out": per_set,
        "in_sample": rates(rows, p_all, t),
        "standardised_weights": {f: round(float(w), 3) for f, w in zip(PREMISE_FEATURES, model.coef)},
    }
    out.write_text(json.dumps({"model": model.to_dict(), "threshold": t, "meta": meta}, indent=1) + "\n",
                   encoding="utf-8")
    meta["seconds"] = round(time.perf_counter() - t0, 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "train-premise.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta
