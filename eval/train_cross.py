"""`python -m eval train-cross`: how much the answerer trusts the cross-encoder, and its thresholds.

The shipped cross-encoder (`assistant/retrieval/cross_encoder.py`) reads question and sentence
together. The answerer keeps its learned sentence model and adds the cross-encoder's score through
two small logistic regressions, fitted here on articles that neither model's weights saw badly:
the cross-encoder's own DEV articles (`dev` in `assistant/retrieval/data/cross-encoder.json`:
2 SQuAD 2.0 and 12 COVID-QA training-side articles it was not trained on).
- sentence: P(holds the answer) from logit(sentence model) and logit(cross-encoder), over the
  prefilter's best CROSS_KEEPS candidates of each question;
- question: P(the passages answer it) from logit(the answerability model), logit(best combined
  sentence) and logit(best cross-encoder score).
Thresholds, chosen out of fold (grouped by article) on the same questions:
- answer: the one that maximises the balanced accuracy (answerable answered + unanswerable not
  answered, each averaged over the two datasets);
- hedge: the highest at which HEDGE_RECALL of the answerable questions are at least hedged (the
  rest are declined outright: "the documents don't cover this");
- keep: a further sentence joins an answer at this combined probability; the lowest that keeps
  answers within SENTENCE_BUDGET sentences on average.
The held-out articles of both datasets (never used above) are then scored: best-sentence top-1
with and without the cross-encoder, and answerability AUC. The threshold curve is plotted to
eval/results/answer-thresholds.png. Everything is written into the `cross` section of
`assistant/answers/data/answerer.json`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from assistant.answers.features import question_features, sentence_features
from assistant.answers.model import MODEL_PATH, load_model, logit
from assistant.retrieval.cross_encoder import META_PATH, get_cross_encoder
from eval.answer_data import (
    COVIDQA_HELDOUT_SHARE,
    SQUAD_HELDOUT_ARTICLES,
    covidqa_articles,
    covidqa_examples,
    split,
    squad_articles,
    squad_examples,
)
from eval.train_answerer import SEED, Featurised, _fit, featurise

CROSS_KEEPS = 8  # candidates re-scored by both models per question
HEDGE_RECALL = 0.97
SENTENCE_BUDGET = 2.0
MAX_SENTENCES = 4
FOLDS = 5
GRID = np.round(np.arange(0.01, 0.991, 0.01), 2)
RESULTS = Path(__file__).resolve().parent / "results"


def score_items(items: list[Featurised], progress: bool = True) -> list[dict]:
    """Per question: the prefilter's best CROSS_KEEPS candidates with both models' scores."""
    from tqdm import tqdm

    model, ce = load_model(), get_cross_encoder()
    rows = []
    for it in tqdm(items, desc="cross-encoder", disable=not progress):
        top = [int(i) for i in np.argsort(-model.prefilter.predict(it.X0))[:CROSS_KEEPS]]
        sub = [it.cands[i] for i in top]
        X = sentence_features(it.q, sub, it.example.stats, it.sims[top])
        p_model = model.sentence.predict(X)
        p_ce = ce.score(it.q.text, [c.text for c in sub])
        p_answer = float(model.question.predict(question_features(
            it.q, sub, p_model, it.example.passages))[0])
        rows.append({"y": it.y[top], "p_model": p_model, "p_ce": p_ce, "p_answer": p_answer,
                     "answerable": bool(it.y.any()), "dataset": it.example.dataset,
                     "article": it.example.article})
    return rows


def sentence_rows(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    X = np.vstack([np.column_stack([logit(r["p_model"]), logit(r["p_ce"])]) for r in rows])
    return X, np.concatenate([r["y"] for r in rows])


def question_row(r: dict, p_combined: np.ndarray) -> list[float]:
    return [float(logit(r["p_answer"])), float(logit(p_combined.max())), float(logit(r["p_ce"].max()))]


def _rates(p: np.ndarray, answerable: np.ndarray, datasets: np.ndarray, t: float) -> tuple[float, float]:
    tpr, tnr = [], []
    for d in np.unique(datasets):
        m = datasets == d
        pos, neg = m & answerable, m & ~answerable
        if pos.any():
            tpr.append(float((p[pos] >= t).mean()))
        if neg.any():
            tnr.append(float((p[neg] < t).mean()))
    return float(np.mean(tpr)), float(np.mean(tnr)) if tnr else float("nan")


def fit(rows: list[dict]) -> tuple[dict, dict]:
    from sklearn.model_selection import GroupKFold

    groups = np.array([r["article"] for r in rows])
    folds = list(GroupKFold(n_splits=FOLDS).split(np.zeros(len(rows)), groups=groups))
    sent_oof: list[np.ndarray] = [np.zeros(0)] * len(rows)
    for tr, te in folds:
        m = _fit(*sentence_rows([rows[i] for i in tr]))
        for i in te:
            sent_oof[i] = m.predict(sentence_rows([rows[i]])[0])
    sentence = _fit(*sentence_rows(rows), names=("logit_sentence_model", "logit_cross_encoder"))
    QX = np.array([question_row(r, p) for r, p in zip(rows, sent_oof)])
    Qy = np.array([int(r["answerable"]) for r in rows])
    q_oof = np.zeros(len(rows))
    for tr, te in folds:
        q_oof[te] = _fit(QX[tr], Qy[tr]).predict(QX[te])
    question = _fit(QX, Qy, names=("logit_answerability_model", "logit_best_combined",
                                   "logit_best_cross_encoder"))
    datasets = np.array([r["dataset"] for r in rows])
    answerable = Qy.astype(bool)
    curve = [(float(t), *_rates(q_oof, answerable, datasets, t)) for t in GRID]
    t_answer = max(curve, key=lambda c: c[1] + c[2])[0]
    hedged_ok = [t for t, tpr, _ in curve if tpr >= HEDGE_RECALL]
    t_hedge = max(hedged_ok) if hedged_ok else float(GRID[0])
    t_hedge = min(t_hedge, t_answer)
    keep_curve = []
    for t in GRID:
        holds, lengths = [], []
        for r, p in zip(rows, sent_oof):
            if not r["y"].any():
                continue
            order = np.argsort(-p)
            sel = [order[0]] + [i for i in order[1:MAX_SENTENCES] if p[i] >= t]
            holds.append(bool(r["y"][sel].any()))
            lengths.append(len(sel))
        keep_curve.append((float(t), float(np.mean(holds)), float(np.mean(lengths))))
    within = [c for c in keep_curve if c[2] <= SENTENCE_BUDGET]
    t_keep = min(within, key=lambda c: c[0])[0] if within else 0.99
    top1 = {d: {"model": float(np.mean([r["y"][int(np.argmax(r["p_model"]))] for r in rows
                                         if r["dataset"] == d and r["answerable"]])),
                "combined_oof": float(np.mean([r["y"][int(np.argmax(p))] for r, p in zip(rows, sent_oof)
                                               if r["dataset"] == d and r["answerable"]]))}
            for d in np.unique(datasets)}
    at = dict((c[0], c) for c in curve)
    cv = {"questions": len(rows), "answerable": int(Qy.sum()),
          "top1_sentence_holds_answer": top1,
          "at_answer_threshold": {"answerable_answered": at[t_answer][1],
                                  "unanswerable_not_answered": at[t_answer][2]},
          "at_hedge_threshold": {"answerable_at_least_hedged": at[t_hedge][1],
                                 "unanswerable_declined_outright": at[t_hedge][2]},
          "answerability_auc_oof": _auc(q_oof, answerable),
          "answerability_auc_model_alone": _auc(np.array([r["p_answer"] for r in rows]), answerable),
          "threshold_curve": [[round(t, 2), round(a, 4), round(b, 4)] for t, a, b in curve],
          "keep_curve": [[round(t, 2), round(h, 4), round(n, 3)] for t, h, n in keep_curve]}
    section = {"keeps": CROSS_KEEPS, "sentence": sentence.to_dict(), "question": question.to_dict(),
               "thresholds": {"answer": t_answer, "hedge": t_hedge, "keep": t_keep}}
    return section, cv


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(label, score)), 4) if 0 < label.sum() < len(label) else float("nan")


def heldout(rows: list[dict], section: dict) -> dict:
    from assistant.answers.model import Logistic

    sentence = Logistic.from_dict(section["sentence"])
    question = Logistic.from_dict(section["question"])
    out = {}
    for d in sorted({r["dataset"] for r in rows}):
        rs = [r for r in rows if r["dataset"] == d]
        combined = [sentence.predict(sentence_rows([r])[0]) for r in rs]
        ans = [r for r in rs if r["answerable"]]
        comb_ans = [c for r, c in zip(rs, combined) if r["answerable"]]
        q = np.array([float(question.predict(np.array(question_row(r, c)))[0]) for r, c in zip(rs, combined)])
        lab = np.array([r["answerable"] for r in rs])
        t = section["thresholds"]
        out[d] = {
            "questions": len(rs), "answerable": len(ans),
            "top1_model": round(float(np.mean([r["y"][int(np.argmax(r["p_model"]))] for r in ans])), 4),
            "top1_cross_encoder": round(float(np.mean([r["y"][int(np.argmax(r["p_ce"]))] for r in ans])), 4),
            "top1_combined": round(float(np.mean([r["y"][int(np.argmax(c))] for r, c in zip(ans, comb_ans)])), 4),
            "in_candidates": round(float(np.mean([r["y"].any() for r in ans])), 4),
            "auc_model": _auc(np.array([r["p_answer"] for r in rs]), lab),
            "auc_combined": _auc(q, lab),
            "answered_answerable": round(float((q[lab] >= t["answer"]).mean()), 4),
            "not_answered_unanswerable": round(float((q[~lab] < t["answer"]).mean()), 4) if (~lab).any() else None,
            "declined_outright_answerable": round(float((q[lab] < t["hedge"]).mean()), 4),
            "declined_outright_unanswerable": round(float((q[~lab] < t["hedge"]).mean()), 4) if (~lab).any() else None,
        }
    return out


def plot(cv: dict, section: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = np.array(cv["threshold_curve"])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(c[:, 0], c[:, 1], label="answerable questions answered")
    ax.plot(c[:, 0], c[:, 2], label="unanswerable questions not answered")
    for name, style in (("answer", "--"), ("hedge", ":")):
        ax.axvline(section["thresholds"][name], color="grey", linestyle=style, label=f"{name} threshold")
    ax.set_xlabel("P(answerable), combined model (out of fold, dev articles)")
    ax.set_ylabel("share (mean of SQuAD 2.0 and COVID-QA)")
    ax.set_title("Answer / hedge / decline thresholds")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(eval_data: Path, embedder, out: Path = MODEL_PATH, progress: bool = True) -> dict:
    t0 = time.perf_counter()
    squad_path = eval_data / "squad2" / "dev-v2.0-half.json"
    cq_path = eval_data / "covidqa" / "200423_covidQA.json"
    meta = json.loads(META_PATH.read_text(encoding="utf-8"))["data"]
    dev_sq, dev_cq = set(meta["squad2_dev_articles"]), set(meta["covidqa_dev_articles"])
    _, sq_held = split(squad_articles(squad_path), SQUAD_HELDOUT_ARTICLES)
    cq_names = covidqa_articles(cq_path)
    _, cq_held = split(cq_names, round(COVIDQA_HELDOUT_SHARE * len(cq_names)))
    assert not (dev_sq & set(sq_held)) and not (dev_cq & set(cq_held)), "dev articles are held out"
    dev = featurise(squad_examples(squad_path, embedder, dev_sq, progress)
                    + covidqa_examples(cq_path, embedder, dev_cq, progress=progress), embedder, progress)
    rows = score_items(dev, progress)
    section, cv = fit(rows)
    held = featurise(squad_examples(squad_path, embedder, set(sq_held), progress)
                     + covidqa_examples(cq_path, embedder, set(cq_held), 12, progress=progress),
                     embedder, progress)
    report = {"fitted_on": {"squad2_articles": sorted(dev_sq), "covidqa_articles": sorted(dev_cq),
                            "questions": len(rows)},
              "cross_validated": cv, "heldout": heldout(score_items(held, progress), section),
              "seed": SEED, "seconds": round(time.perf_counter() - t0, 1)}
    section["meta"] = {k: v for k, v in report.items() if k != "seconds"}
    payload = json.loads(out.read_text(encoding="utf-8"))
    payload["cross"] = section
    out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    RESULTS.mkdir(exist_ok=True)
    plot(cv, section, RESULTS / "answer-thresholds.png")
    (RESULTS / "train-cross.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report
