"""`python -m eval train-answerer`: learn sentence selection and answerability from public data.

Training data: the training articles of SQuAD 2.0 (11 of 16) and COVID-QA (59 of 98), split by
article with a fixed seed (`eval.answer_data.split`). The held-out articles are only scored.
Three logistic regressions (scikit-learn, seeded, deterministic solver):
0. prefilter: the sentence model without the embedding features, trained on every candidate;
1. sentence: does this candidate sentence hold the gold answer? (features.SENTENCE_FEATURES,
   trained on the prefilter's top candidates of each question, as used at question time; how many
   is chosen out of fold among PREFILTER_CHOICES)
2. question: do the passages answer the question at all? (features.QUESTION_FEATURES over the
   sentence model's out-of-fold probabilities, so it learns from honest scores)
Thresholds are chosen on out-of-fold predictions of the training articles (5-fold, grouped by
article): `answer` is the highest that still answers ANSWER_RECALL of the questions whose passages
hold the answer (averaged over the two datasets); `keep` is the lowest whose answers average
at most SENTENCE_BUDGET sentences.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.answers.features import (
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    Candidate,
    candidates,
    question_features,
    sentence_features,
)
from assistant.answers.model import MODEL_PATH, AnswererModel, Logistic
from assistant.answers.question import _Question, analyse
from eval.answer_data import (
    COVIDQA_HELDOUT_SHARE,
    SPLIT_SEED,
    SQUAD_HELDOUT_ARTICLES,
    Example,
    covidqa_articles,
    covidqa_examples,
    split,
    squad_articles,
    squad_examples,
)

SEED = 7
FOLDS = 5
COVIDQA_PER_ARTICLE = 12  # questions per training article (keeps training within minutes)
C = 1.0  # inverse L2 strength of the regressions (scikit-learn's default)
# Answer at least this share of the questions whose passages hold the answer. The answerability
# model separates answerable from unanswerable questions weakly on this data (SQuAD 2.0's
# unanswerable questions were written to look answerable), so the threshold is an operating
# point: at 0.9 it abstains on about a fifth of the unanswerable ones (docs/answers.md).
ANSWER_RECALL = 0.9
# Sentences an answer may average (each at most MAX_SENTENCES, the default of
# ASSISTANT_MAX_ANSWER_SENTENCES): the conciseness budget the keep threshold is chosen for.
SENTENCE_BUDGET = 3.0
MAX_SENTENCES = 4
# How many of the prefilter's best candidates are embedded and re-scored at question time. Each
# costs an embedding (most of a question's time), so the smallest whose out-of-fold answers hold
# the answer within one standard error of the best is used ("one-standard-error rule").
PREFILTER_CHOICES = (4, 6, 8)


@dataclass
class Featurised:
    example: Example
    q: _Question
    cands: list[Candidate]
    X0: np.ndarray  # features without the embedding similarity (prefilter input)
    sims: np.ndarray  # question-sentence cosine per candidate
    y: np.ndarray
    sub: list[int] | None = None  # the prefilter's top candidates
    X: np.ndarray | None = None  # full features of `sub`

    @property
    def ysub(self) -> np.ndarray:
        return self.y[self.sub]


def featurise(examples: list[Example], embedder, progress: bool = False) -> list[Featurised]:
    from tqdm import tqdm

    all_cands = [candidates(ex.passages) for ex in examples]
    texts = sorted({c.text for cs in all_cands for c in cs} | {ex.question for ex in examples})
    vecs = embedder.embed_texts(texts, batch_size=64, show_progress=progress)
    at = {t: i for i, t in enumerate(texts)}
    out = []
    for ex, cs in tqdm(list(zip(examples, all_cands)), desc="features", disable=not progress):
        if not cs:
            continue
        q = analyse(ex.question, ex.stats)
        sims = vecs[[at[c.text] for c in cs]] @ vecs[at[ex.question]]
        X0 = sentence_features(q, cs, ex.stats, None)
        y = np.array([ex.sentence_has_answer(c.text) for c in cs], dtype=int)
        out.append(Featurised(ex, q, cs, X0, sims, y))
    return out


def apply_prefilter(prefilter: Logistic, items: list[Featurised], keeps: int) -> None:
    """Keep each question's `keeps` best candidates and compute their full features, exactly
    as the answerer does at question time."""
    for it in items:
        top = [int(i) for i in np.argsort(-prefilter.predict(it.X0))[:keeps]]
        it.sub = top
        it.X = sentence_features(it.q, [it.cands[i] for i in top], it.example.stats, it.sims[top])


def _fit(X: np.ndarray, y: np.ndarray, names=()) -> Logistic:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    lr = LogisticRegression(C=C, max_iter=2000, random_state=SEED, solver="lbfgs")
    lr.fit((X - scaler.mean_) / scale, y)
    return Logistic(tuple(names), scaler.mean_, scale, lr.coef_[0], float(lr.intercept_[0]))


def _question_rows(items: list[Featurised], probs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for it, p in zip(items, probs):
        sub = [it.cands[i] for i in it.sub]
        rows.append(question_features(it.q, sub, p, it.example.passages))
        labels.append(int(bool(it.y.any())))
    return np.array(rows), np.array(labels)


def _rates(p_answer: np.ndarray, answerable: np.ndarray, datasets: np.ndarray,
           t: float) -> tuple[float, float]:
    """(share of answerable questions answered, share of the others abstained) at threshold t,
    each averaged over the datasets so that neither dataset's mix decides."""
    answer = p_answer >= t
    tpr, tnr = [], []
    for d in np.unique(datasets):
        m = datasets == d
        pos, neg = m & (answerable == 1), m & (answerable == 0)
        if pos.any():
            tpr.append(answer[pos].mean())
        if neg.any():
            tnr.append((~answer[neg]).mean())
    return float(np.mean(tpr)), float(np.mean(tnr))


GRID = np.round(np.arange(0.02, 0.981, 0.01), 2)


def train(items: list[Featurised]) -> tuple[AnswererModel, dict]:
    """Trains at each of PREFILTER_CHOICES and keeps the smallest within one standard error of
    the best (out-of-fold share of answers holding the answer, averaged over the datasets)."""
    prefilter = _fit(np.vstack([it.X0 for it in items]), np.concatenate([it.y for it in items]),
                     SENTENCE_FEATURES)
    runs = {k: _train_at(items, prefilter, k) for k in PREFILTER_CHOICES}
    best = max(runs.values(), key=lambda r: r[1]["answer_holds_answer_at_keep_threshold"])[1]
    floor = best["answer_holds_answer_at_keep_threshold"] - best["answer_holds_standard_error"]
    keeps = min(k for k, r in runs.items() if r[1]["answer_holds_answer_at_keep_threshold"] >= floor)
    model, cv = runs[keeps]
    apply_prefilter(prefilter, items, keeps)  # leave the items as the chosen model sees them
    cv["prefilter_choices"] = {str(k): {"answer_holds_answer_at_keep_threshold": r[1]["answer_holds_answer_at_keep_threshold"],
                                        "top1_sentence_holds_answer_answerable": r[1]["top1_sentence_holds_answer_answerable"],
                                        "prefilter_keeps_answer": r[1]["prefilter_keeps_answer"]}
                               for k, r in runs.items()}
    return model, cv


def _train_at(items: list[Featurised], prefilter: Logistic, keeps: int) -> tuple[AnswererModel, dict]:
    from sklearn.model_selection import GroupKFold

    groups = np.array([it.example.article for it in items])
    folds = list(GroupKFold(n_splits=FOLDS).split(np.zeros(len(items)), groups=groups))
    apply_prefilter(prefilter, items, keeps)
    oof: list[np.ndarray] = [np.zeros(0)] * len(items)
    for tr, te in folds:
        m = _fit(np.vstack([items[i].X for i in tr]), np.concatenate([items[i].ysub for i in tr]))
        for i in te:
            oof[i] = m.predict(items[i].X)
    sentence = _fit(np.vstack([it.X for it in items]), np.concatenate([it.ysub for it in items]),
                    SENTENCE_FEATURES)

    QX, Qy = _question_rows(items, oof)  # label: the passages hold the answer
    datasets = np.array([it.example.dataset for it in items])
    q_oof = np.zeros(len(items))
    for tr, te in folds:
        q_oof[te] = _fit(QX[tr], Qy[tr]).predict(QX[te])
    question = _fit(QX, Qy, QUESTION_FEATURES)
    # The operating point: the highest threshold that still answers ANSWER_RECALL of the
    # questions whose passages hold the answer (out of fold); it abstains on as many of the
    # others as the model can tell apart at that recall.
    rates = [_rates(q_oof, Qy, datasets, t) for t in GRID]
    ok = [i for i, (tpr, _) in enumerate(rates) if tpr >= ANSWER_RECALL]
    t_answer = float(GRID[max(ok)]) if ok else float(GRID[0])
    tpr_at, tnr_at = rates[max(ok)] if ok else rates[0]
    # Further sentences: the lowest threshold whose answers stay within SENTENCE_BUDGET sentences
    # on average (at most MAX_SENTENCES each), out of fold, averaged over the datasets: the
    # longer an answer may be, the more often it holds the answer (docs/answers.md), so the budget
    # is the product's choice of conciseness and the threshold follows from it.
    keep_rows = []
    for t in GRID:
        per = {}
        for it, p, d in zip(items, oof, datasets):
            if not it.y.any():
                continue
            order = np.argsort(-p)
            sel = [order[0]] + [i for i in order[1:MAX_SENTENCES] if p[i] >= t]
            per.setdefault(d, []).append((bool(it.ysub[sel].any()), len(sel)))
        holds = float(np.mean([np.mean([h for h, _ in v]) for v in per.values()]))
        length = float(np.mean([np.mean([n for _, n in v]) for v in per.values()]))
        # standard error of the mean over datasets of per-dataset shares
        se = float(np.sqrt(sum(np.var([h for h, _ in v]) / len(v) for v in per.values())) / len(per))
        keep_rows.append((float(t), holds, length, se))
    within = [r for r in keep_rows if r[2] <= SENTENCE_BUDGET]
    t_keep, keep_holds, keep_len, keep_se = min(within, key=lambda r: r[0]) if within else keep_rows[-1]
    has = [it.y.any() for it in items]
    per_dataset = {}
    for d in np.unique(datasets):
        idx = [i for i, it in enumerate(items) if it.example.dataset == d and has[i]]
        holds = []
        for i in idx:
            p = oof[i]
            order = np.argsort(-p)
            sel = [order[0]] + [j for j in order[1:MAX_SENTENCES] if p[j] >= t_keep]
            holds.append(bool(items[i].ysub[sel].any()))
        per_dataset[str(d)] = {
            "top1_sentence_holds_answer": round(float(np.mean(
                [items[i].ysub[int(np.argmax(oof[i]))] for i in idx])), 4),
            "answer_holds_answer_at_keep_threshold": round(float(np.mean(holds)), 4)}
    cv = {"prefilter_keeps_answer": round(float(np.mean([it.ysub.any() for it, h in zip(items, has) if h])), 4),
          "top1_sentence_holds_answer_answerable": round(float(np.mean(
              [it.ysub[int(np.argmax(p))] for it, p, h in zip(items, oof, has) if h])), 4),
          "answerable_share": round(float(Qy.mean()), 4),
          "answerable_answered_at_answer_threshold": round(tpr_at, 4),
          "unanswerable_abstained_at_answer_threshold": round(tnr_at, 4),
          "answer_holds_answer_at_keep_threshold": round(keep_holds, 4),
          "answer_holds_standard_error": round(keep_se, 4),
          "mean_sentences_at_keep_threshold": round(keep_len, 3),
          "per_dataset": per_dataset,
          "keep_threshold_curve": [[t, round(h, 4), round(n, 3)] for t, h, n, _ in keep_rows
                                   if abs(t * 100 % 5) < 1e-6]}
    return AnswererModel(prefilter, sentence, question, t_answer, t_keep, True, {}, keeps), cv


def evaluate(model: AnswererModel, items: list[Featurised], n_questions: int) -> dict:
    """Held-out: is the best sentence right, and is the answer/abstain decision right."""
    apply_prefilter(model.prefilter, items, model.prefilter_keeps)
    top1 = decide = answered_right = abstained_right = n_ans = 0
    for it in items:
        answerable = bool(it.y.any())
        p = model.sentence.predict(it.X)
        best = int(np.argmax(p))
        right = bool(it.ysub[best])
        sub = [it.cands[i] for i in it.sub]
        p_ans = float(model.question.predict(question_features(it.q, sub, p, it.example.passages))[0])
        answer = p_ans >= model.answer_threshold
        decide += (answer and right) or (not answer and not answerable)
        if answerable:
            n_ans += 1
            top1 += right
            answered_right += answer and right
        else:
            abstained_right += not answer
    n_un = n_questions - n_ans  # questions without candidates count as unanswerable, abstained
    abstained_right += n_questions - len(items)
    return {"questions": n_questions, "answerable": n_ans,
            "top1_sentence_holds_answer_answerable": round(top1 / (n_ans or 1), 4),
            "correct_decisions": round((decide + n_questions - len(items)) / (n_questions or 1), 4),
            "answerable_answered_right": round(answered_right / (n_ans or 1), 4),
            "unanswerable_abstained": round(abstained_right / (n_un or 1), 4)}


def run(eval_data: Path, embedder, out: Path = MODEL_PATH, progress: bool = True) -> dict:
    t0 = time.perf_counter()
    squad_path = eval_data / "squad2" / "dev-v2.0-half.json"
    cq_path = eval_data / "covidqa" / "200423_covidQA.json"
    for p in (squad_path, cq_path):
        if not p.is_file():
            raise FileNotFoundError(f"{p} not found (pass --eval-data)")
    sq_train, sq_held = split(squad_articles(squad_path), SQUAD_HELDOUT_ARTICLES)
    cq_names = covidqa_articles(cq_path)
    cq_train, cq_held = split(cq_names, round(COVIDQA_HELDOUT_SHARE * len(cq_names)))
    train_ex = (squad_examples(squad_path, embedder, set(sq_train), progress)
                + covidqa_examples(cq_path, embedder, set(cq_train), COVIDQA_PER_ARTICLE,
                                   progress=progress))
    items = featurise(train_ex, embedder, progress)
    model, cv = train(items)
    sq_ex = squad_examples(squad_path, embedder, set(sq_held), progress)
    cq_ex = covidqa_examples(cq_path, embedder, set(cq_held), COVIDQA_PER_ARTICLE, progress=progress)
    held_sq, held_cq = featurise(sq_ex, embedder, progress), featurise(cq_ex, embedder, progress)
    report = {
        "training": {"squad2_articles": sq_train, "covidqa_articles": len(cq_train),
                     "questions": len(items), "sentences": int(sum(len(it.y) for it in items)),
                     "split_seed": SPLIT_SEED, "seed": SEED, "folds": FOLDS,
                     "covidqa_questions_per_article": COVIDQA_PER_ARTICLE,
                     "cross_validated": cv},
        "heldout": {"squad2": {"articles": sq_held, **evaluate(model, held_sq, len(sq_ex))},
                    "covidqa": {"articles": len(cq_held), **evaluate(model, held_cq, len(cq_ex))}},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    payload = {
        "prefilter": model.prefilter.to_dict(), "sentence": model.sentence.to_dict(), "question": model.question.to_dict(),
        "thresholds": {"answer": model.answer_threshold, "keep": model.keep_threshold},
        "uses_similarity": True, "prefilter_keeps": model.prefilter_keeps,
        "meta": {k: v for k, v in report.items() if k != "seconds"},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return report
