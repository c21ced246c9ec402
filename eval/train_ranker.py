"""`python -m eval train-ranker`: learn which scored candidate leads an answer, on trade press.

The answerer's sentence model and its cross-encoder learned from SQuAD 2.0 and COVID-QA. On
trade-press articles they put a headline or a quote first where a labelled line, a table row or
the next sentence holds the term (issue 24). The spent held-out sets are trade press with a gold
answer per question: public articles, annotated here, run before and after a session and no
longer used to judge one. This fits `assistant.answers.ranker` on them:

- each set's documents are ingested into a throwaway index, and each answerable question (not a
  list: those gather one item per document) is retrieved and scored exactly as the answerer does
  (prefilter, sentence model, cross-encoder), with the ranker off;
- a candidate is positive when it holds one of the question's key facts (eval.scoring.fact_found);
  a question none of whose scored candidates does is left out (nothing to learn which leads);
- a logistic regression (scikit-learn, standardised, deterministic solver) over RANKER_FEATURES;
  its strength C is chosen leaving one set out (fitted on the others, best-candidate top-1 measured
  on it), and every set's left-out top-1 is reported next to the models' own order.

Never a frozen set: a set joins SETS only once it has been run before and after and is spent.
Writes assistant/answers/data/ranker.json and eval/results/train-ranker.json.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.answers.features import candidates
from assistant.answers.model import Logistic
from assistant.answers.question import analyse
from assistant.answers.ranker import (
    ITEM_FEATURES,
    ITEMS_PATH,
    RANKER_FEATURES,
    RANKER_PATH,
    item_features,
    items_in_order,
    ranker_features,
)
from assistant.core.config import PROJECT_ROOT, get_settings
from eval.scoring import fact_found

# The spent sets: each run before and after a session and no longer used to judge one. heldout7 to
# heldout13 joined on 2026-12-07, once each had had its frozen runs; heldout14 and heldout15 on the
# next session (heldout15 after its after-run: the session's development used the first fifteen);
# heldout16 after its after-run on the third 2026-12-07 session; heldout17 after its after-run on the
# fourth; heldout18 after its after-run on the fifth, heldout19 and heldout20 on the sixth,
# heldout21 on the seventh, heldout22 after its after-run on the eighth (heldout23 is the frozen one).
SETS = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "tradepress",
        "heldout7", "heldout8", "heldout9", "heldout10", "heldout11", "heldout12", "heldout13",
        "heldout14", "heldout15", "heldout16", "heldout17", "heldout18", "heldout19",
        "heldout20", "heldout21", "heldout22")
GRID_C = (0.03, 0.1, 0.3, 1.0)
GRID_ADMIT = (None, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)  # None: an item must share a term with the question
GRID_KEEP = (0.02, 0.05) + tuple(round(k, 2) for k in np.arange(0.1, 0.96, 0.05))
RESULTS = PROJECT_ROOT / "eval" / "results"


def set_paths(name: str) -> tuple[Path, Path]:
    data = PROJECT_ROOT / "eval" / "data"
    if name == "tradepress":
        return data / "tradepress_eval.jsonl", data / "tradepress" / "docs"
    return data / name / f"{name}_eval.jsonl", data / name / "docs"


def collect(name: str, embedder, progress: bool = True, lists: list | None = None) -> list[dict]:
    """One row per usable question of a set: its scored candidates' features and labels, in the
    models' own order (best first); with `lists`, a row per list question is added to it."""
    from tqdm import tqdm

    from assistant.index.store import ChunkStore
    from assistant.service.assistant import Assistant
    from eval.dataset import load
    from ingest.pipeline import Ingestor

    dataset, docs = set_paths(name)
    every = [q for q in load(dataset) if q.answerable]
    questions = [q for q in every if q.category != "list"]
    base = get_settings().model_copy(update={"corpus_dir": docs, "chroma_host": None,
                                             "collection_prefix": "ranker", "sentence_ranker": False})
    rows = []
    with tempfile.TemporaryDirectory(prefix="ranker-") as tmp:
        settings = base.model_copy(update={"chroma_path": Path(tmp) / "db"})
        store = ChunkStore(settings)
        Ingestor(settings, store, embedder, progress=False).run([docs])
        assistant = Assistant(settings, store, embedder)
        generator = assistant.generator
        for q in tqdm(questions, desc=name, disable=not progress):
            passages, index = assistant.retriever.search(q.question)
            qa = analyse(q.question, index)
            cands = candidates(passages)
            if not cands or not qa.weights:
                continue
            scored = [c for c in generator.score(qa, cands, index) if c.ce is not None]
            y = np.array([any(fact_found(c.text, grp) for grp in q.key_facts) for c in scored])
            if len(scored) < 2 or not y.any():
                continue
            rows.append({"set": name, "id": q.id, "X": ranker_features(scored), "y": y})
        if lists is not None:
            for q in [q for q in every if q.category == "list"]:
                row = list_row(q, assistant, name)
                if row is not None:
                    lists.append(row)
    return rows


def list_row(q, assistant, name: str) -> dict | None:
    """A list question answered as the answerer does up to its items: the candidates it would
    choose from, their ITEM_FEATURES and labels (holds one of the key facts), and what
    `gather.list_items` needs to choose again. None when the question is answered another way
    (a section's lines, a summary, declined)."""
    passages, index = assistant.retriever.search(q.question)
    seen: dict = {}
    assistant.generator._answer(q.question, passages, index, seen)
    if "list" not in seen:
        return None
    ranked, limit, subject, per_document = seen["list"]
    X = item_features(ranked)
    y = np.array([any(fact_found(c.text, grp) for grp in q.key_facts) for c in ranked])
    return {"set": name, "id": q.id, "X": X, "y": y, "ranked": ranked, "limit": limit,
            "subject": subject, "per_document": per_document, "facts": q.key_facts,
            "base_keep": assistant.generator.keep_threshold}


def _fit(rows: list[dict], C: float, features: list[str] = RANKER_FEATURES) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([r["X"] for r in rows])
    y = np.concatenate([r["y"] for r in rows])
    mean, scale = X.mean(0), X.std(0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=5000, solver="lbfgs").fit((X - mean) / scale, y)
    return Logistic(tuple(features), mean, scale, lr.coef_[0], float(lr.intercept_[0]))


def top1(rows: list[dict], model: Logistic | None) -> float:
    """Share of questions whose first candidate holds a key fact: the models' own order when
    `model` is None, else the ranker's."""
    if not rows:
        return 0.0
    hits = [r["y"][0] if model is None else r["y"][int(np.argmax(model.predict(r["X"])))] for r in rows]
    return float(np.mean(hits))


def leave_one_set_out(rows: list[dict], C: float) -> dict:
    out = {}
    for name in dict.fromkeys(r["set"] for r in rows):
        test = [r for r in rows if r["set"] == name]
        model = _fit([r for r in rows if r["set"] != name], C)
        out[name] = {"questions": len(test), "top1_models": round(top1(test, None), 3),
                     "top1_ranker": round(top1(test, model), 3)}
    return out


def list_scores(row: dict, model: Logistic | None, keep: float,
                admit: float | None = None) -> tuple[float, float]:
    """(recall, precision) of a list question's items, chosen as the answerer does: the share of
    its key facts the items hold, and the share of its items that hold one. `model` None is the
    models' order with the answerer's own threshold (`keep`)."""
    from assistant.answers.gather import list_items

    ranked, args = row["ranked"], (row["limit"], keep, row["per_document"], row["subject"])
    if model is None:
        items = list_items(ranked, *args)
    else:
        items = items_in_order(ranked, model.predict(row["X"]), *args, admit)
    text = " ".join(c.text for c in items)
    recall = float(np.mean([fact_found(text, grp) for grp in row["facts"]]))
    precision = float(np.mean([any(fact_found(c.text, grp) for grp in row["facts"]) for c in items])) \
        if items else 0.0
    return recall, precision


def _f1(scores: list[tuple[float, float]]) -> float:
    """Mean over questions of the F1 of their items' recall and precision."""
    return float(np.mean([2 * r * p / (r + p) if r + p else 0.0 for r, p in scores]))


def _mean(scores: list[tuple[float, float]], k: int) -> float:
    return round(float(np.mean([s[k] for s in scores])), 3)


def fit_items(rows: list[dict]) -> dict:
    """The list-item model: C, `keep` and `admit` chosen leaving one set out by the F1 of the
    items' recall (key facts held) and precision (items holding one: an item the list does not
    ask for is a wrong claim), pooled over the questions; then fitted on every set."""
    sets = list(dict.fromkeys(r["set"] for r in rows))
    grid = [(C, k, a) for C in GRID_C for k in GRID_KEEP for a in GRID_ADMIT]
    held: dict = {g: {} for g in grid}
    for name in sets:
        test = [r for r in rows if r["set"] == name]
        for C in GRID_C:
            model = _fit([r for r in rows if r["set"] != name], C, ITEM_FEATURES)
            for k in GRID_KEEP:
                for a in GRID_ADMIT:
                    held[(C, k, a)][name] = [list_scores(r, model, k, a) for r in test]
    pooled = {g: [x for v in held[g].values() for x in v] for g in grid}
    # ties: the smaller C, the higher keep, the stricter admit (None, never, is strictest)
    C, keep, admit = max(grid, key=lambda g: (round(_f1(pooled[g]), 6), -g[0], g[1],
                                              2.0 if g[2] is None else g[2]))
    chosen = pooled[(C, keep, admit)]
    base = {name: [list_scores(r, None, r["base_keep"]) for r in rows if r["set"] == name] for name in sets}
    all_base = [x for v in base.values() for x in v]
    at_keep = [list_scores(r, None, keep) for r in rows]
    model = _fit(rows, C, ITEM_FEATURES)
    return {"model": model, "keep": keep, "admit": admit, "meta": {
        "sets": sets, "questions": len(rows), "candidates": int(sum(len(r["y"]) for r in rows)),
        "positives": int(sum(r["y"].sum() for r in rows)), "C": C, "keep": keep, "admit": admit,
        "objective": "mean F1 of item recall and item precision, each set left out",
        "leave_one_set_out": {n: {"questions": len(base[n]), "recall_models": _mean(base[n], 0),
                                  "recall_items": _mean(held[(C, keep, admit)][n], 0),
                                  "precision_models": _mean(base[n], 1),
                                  "precision_items": _mean(held[(C, keep, admit)][n], 1)}
                              for n in sets},
        "pooled_recall": {"models": _mean(all_base, 0), "models_at_keep": _mean(at_keep, 0),
                          "items": _mean(chosen, 0)},
        "pooled_precision": {"models": _mean(all_base, 1), "models_at_keep": _mean(at_keep, 1),
                             "items": _mean(chosen, 1)},
        "pooled_f1": {"models": round(_f1(all_base), 3), "models_at_keep": round(_f1(at_keep), 3),
                      "items": round(_f1(chosen), 3)},
        "pooled_f1_by_keep": {str(k): round(_f1(pooled[(C, k, admit)]), 3) for k in GRID_KEEP},
        "pooled_f1_by_admit": {str(a): round(_f1(pooled[(C, keep, a)]), 3) for a in GRID_ADMIT},
        "in_sample_recall": _mean([list_scores(r, model, keep, admit) for r in rows], 0),
        "standardised_weights": {f: round(float(w), 3) for f, w in zip(ITEM_FEATURES, model.coef)},
    }}


def run(embedder, out: Path = RANKER_PATH, progress: bool = True,
        items_out: Path = ITEMS_PATH) -> dict:
    t0 = time.perf_counter()
    lists: list[dict] = []
    rows = [r for name in SETS for r in collect(name, embedder, progress, lists)]
    by_c = {C: leave_one_set_out(rows, C) for C in GRID_C}

    def pooled(res: dict, key: str) -> float:
        n = sum(v["questions"] for v in res.values())
        return sum(v[key] * v["questions"] for v in res.values()) / n

    C = max(GRID_C, key=lambda c: (round(pooled(by_c[c], "top1_ranker"), 6), -c))
    model = _fit(rows, C)
    report = {
        "sets": list(SETS), "questions": len(rows),
        "candidates": int(sum(len(r["y"]) for r in rows)),
        "positives": int(sum(r["y"].sum() for r in rows)),
        "C": C,
        "leave_one_set_out": by_c[C],
        "pooled_top1": {"models": round(pooled(by_c[C], "top1_models"), 3),
                        "ranker": round(pooled(by_c[C], "top1_ranker"), 3)},
        "pooled_top1_by_C": {str(c): round(pooled(by_c[c], "top1_ranker"), 3) for c in GRID_C},
        "in_sample_top1": round(top1(rows, model), 3),
        "standardised_weights": {f: round(float(w), 3) for f, w in zip(RANKER_FEATURES, model.coef)},
    }
    out.write_text(json.dumps({"model": model.to_dict(), "meta": report}, indent=1) + "\n",
                   encoding="utf-8")
    if lists:
        fitted = fit_items(lists)
        items_out.write_text(json.dumps({"model": fitted["model"].to_dict(), "keep": fitted["keep"],
                                         "admit": fitted["admit"],
                                         "meta": fitted["meta"]}, indent=1) + "\n", encoding="utf-8")
        report["list_items"] = fitted["meta"]
    report["seconds"] = round(time.perf_counter() - t0, 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "train-ranker.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report
