"""`python -m eval train-cells`: learn which extracted cells to keep, on the spent gold tables.

Every document of the spent sets' gold tables (the held-out sets heldout to heldout13, each run
before and after and no longer used to judge a change, and the records development set) is read
as ingest reads it, its records extracted with every grounded cell kept and CELL_FEATURES
computed for each (`ingest.records.confidence`). A cell is right when its record pairs with a gold
record (`eval.records.pair`, as the score does) and gives the gold value of that field.

A logistic regression (scikit-learn, standardised) is fitted with each set left out in turn; its
out-of-set probabilities say, for every threshold, which cells a shipped model would have dropped
on a set it never saw (a record that loses a cell it requires is dropped), and the records are
scored again exactly as `python -m eval.records score` does. The threshold maximises pooled
F0.5 of cell precision and cell recall (precision weighs twice: a wrong cell with a citation is
worse than a missing one); the strength C the pooled log-loss. Never a frozen set.

Writes ingest/records/data/cells.json, eval/results/train-cells.json and a plot of precision and
recall against the threshold (eval/results/cells-curve.png).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from assistant.answers.model import Logistic
from assistant.core.config import PROJECT_ROOT
from eval.records import pair, same_value
from ingest.records.confidence import CELL_FEATURES, CELLS_PATH

DATA = PROJECT_ROOT / "eval" / "data"
RESULTS = PROJECT_ROOT / "eval" / "results"
# (set, gold table, documents): spent sets only, never a frozen one
SETS = [(f"heldout{n}", DATA / f"heldout{n}" / "records_gold.jsonl", DATA / f"heldout{n}" / "docs")
        for n in ("", *range(2, 14))] + [
    ("tradepress", DATA / "records_dev_gold.jsonl", DATA / "tradepress" / "docs"),
    ("records_dev", DATA / "records_dev" / "gold.jsonl", DATA / "records_dev" / "docs"),
]
GRID_C = (0.03, 0.1, 0.3, 1.0)
GRID_T = tuple(round(t, 2) for t in np.arange(0.0, 0.91, 0.02))
REQUIRED = {"deal": ("parties", "kind"), "regulatory": ("agency", "action", "product"),
            "facility": ("company", "site")}


def collect(name: str, gold_path: Path, docs: Path) -> tuple[list[dict], list[dict]]:
    """A set's gold records and its predicted records (every grounded cell, with features)."""
    from ingest.pipeline import load_document
    from ingest.records.extract import extract_records

    gold = [json.loads(line) for line in gold_path.read_text("utf-8").splitlines() if line.strip()]
    predicted = []
    for source in sorted({g["source"] for g in gold}):
        loaded, _ = load_document(docs / source, docs)
        for r in extract_records(loaded.elements, loaded.title, learned=False, features=True):
            predicted.append({**r, "source": source, "set": name})
    return gold, predicted


def labels(predicted: list[dict], gold: list[dict]) -> None:
    """Set each predicted record's "right": {field: the cell gives the paired gold value}."""
    paired = {pi: gold[gi] for gi, pi, _ in pair(predicted, gold)}
    for pi, p in enumerate(predicted):
        g = paired.get(pi)
        p["right"] = {k: bool(g and k in g["fields"] and same_value(k, c, g["fields"][k]))
                      for k, c in p["fields"].items()}


def prf(sets: list[dict], t: float) -> dict:
    """Cell precision and recall (and record recall) over `sets` when the cells whose
    out-of-set probability is below `t` are dropped, as extraction would drop them."""
    gold_cells = matched = pred_cells = paired_n = gold_n = 0
    for s in sets:
        kept = []
        for p in s["predicted"]:
            fields = {k: c for k, c in p["fields"].items() if p["p"][k] >= t}
            if all(r in fields for r in REQUIRED[p["type"]]):
                kept.append({**p, "fields": fields})
        pairs = pair(kept, s["gold"])
        gold_cells += sum(len(g["fields"]) for g in s["gold"])
        pred_cells += sum(len(p["fields"]) for p in kept)
        matched += sum(n for _, _, n in pairs)
        paired_n += len(pairs)
        gold_n += len(s["gold"])
    precision = matched / pred_cells if pred_cells else 1.0
    recall = matched / gold_cells if gold_cells else 0.0
    f05 = 1.25 * precision * recall / (0.25 * precision + recall) if precision + recall else 0.0
    return {"threshold": t, "cell_precision": round(precision, 4), "cell_recall": round(recall, 4),
            "record_recall": round(paired_n / gold_n, 4) if gold_n else None,
            "f05": round(f05, 4), "cells_kept": pred_cells}


def _matrix(sets: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    X = [p["features"][k] for s in sets for p in s["predicted"] for k in p["fields"]]
    y = [p["right"][k] for s in sets for p in s["predicted"] for k in p["fields"]]
    return np.asarray(X, dtype=float).reshape(-1, len(CELL_FEATURES)), np.asarray(y, dtype=bool)


def fit(sets: list[dict], C: float) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    X, y = _matrix(sets)
    mean, scale = X.mean(0), X.std(0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=5000, solver="lbfgs").fit((X - mean) / scale, y)
    return Logistic(tuple(CELL_FEATURES), mean, scale, lr.coef_[0], float(lr.intercept_[0]))


def out_of_set(sets: list[dict], C: float) -> float:
    """Set every cell's "p" from a model fitted without its set; the pooled log-loss."""
    losses = []
    for s in sets:
        model = fit([o for o in sets if o is not s], C)
        for p in s["predicted"]:
            names = list(p["fields"])
            probs = model.predict(np.asarray([p["features"][k] for k in names], dtype=float)) if names else []
            p["p"] = dict(zip(names, (float(x) for x in probs)))
            losses += [-np.log(max(1e-6, x if p["right"][k] else 1 - x)) for k, x in p["p"].items()]
    return float(np.mean(losses))


def plot(curve: list[dict], chosen: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4))
    ts = [r["threshold"] for r in curve]
    ax.plot(ts, [r["cell_precision"] for r in curve], label="cell precision")
    ax.plot(ts, [r["cell_recall"] for r in curve], label="cell recall")
    ax.plot(ts, [r["record_recall"] for r in curve], label="record recall", linestyle=":")
    ax.axvline(chosen, color="grey", linestyle="--", label=f"chosen {chosen}")
    ax.set_xlabel("drop cells below P(right) =")
    ax.set_title("Cell model, each spent set left out (pooled)")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(out: Path = CELLS_PATH, progress: bool = True) -> dict:
    from tqdm import tqdm

    t0 = time.perf_counter()
    sets = []
    for name, gold_path, docs in tqdm(SETS, desc="sets", disable=not progress):
        gold, predicted = collect(name, gold_path, docs)
        labels(predicted, gold)
        sets.append({"name": name, "gold": gold, "predicted": predicted})
    loss = {C: out_of_set(sets, C) for C in GRID_C}
    C = min(GRID_C, key=lambda c: (round(loss[c], 6), c))
    out_of_set(sets, C)
    curve = [prf(sets, t) for t in GRID_T]
    best = max(curve, key=lambda r: (r["f05"], -r["threshold"]))
    per_set = {s["name"]: {"without": prf([s], 0.0), "with": prf([s], best["threshold"])} for s in sets}
    model = fit(sets, C)
    X, y = _matrix(sets)
    meta = {"sets": [s["name"] for s in sets], "cells": int(len(y)), "right": int(y.sum()),
            "C": C, "log_loss_by_C": {str(c): round(v, 4) for c, v in loss.items()},
            "threshold": best["threshold"], "pooled_without": curve[0], "pooled_with": best,
            "per_set": per_set,
            "standardised_weights": {f: round(float(w), 3) for f, w in zip(CELL_FEATURES, model.coef)}}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"model": model.to_dict(), "threshold": best["threshold"], "meta": meta},
                              indent=1) + "\n", encoding="utf-8")
    RESULTS.mkdir(exist_ok=True)
    plot(curve, best["threshold"], RESULTS / "cells-curve.png")
    meta["curve"] = curve
    meta["seconds"] = round(time.perf_counter() - t0, 1)
    (RESULTS / "train-cells.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta
