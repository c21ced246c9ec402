"""Public question-answering data turned into the answerer's own inputs, split by article.

Two sources nobody on this project wrote (see ../shared/eval-data/README.md):
- SQuAD 2.0 (half of the dev set): 16 Wikipedia articles; about half the questions were written
  to look answerable from their paragraph but are not. Each question gets the answerer's view of
  a retrieval: its own paragraph plus the 4 paragraphs of the same article that BM25 ranks
  closest to it (harder than random distractors), ranked by fused BM25 + dense scores.
- COVID-QA: 98 long scientific articles. Each article is cut into chunks of about the product's
  chunk size; a question gets the 5 chunks of its article ranked highest by the same fusion.
  When none of them holds the gold span, the question is unanswerable from what was retrieved.

The split is by article (never by question), seeded: `split()` gives the same articles to
training and to held-out every time. The corpus eval sets are never read here.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from assistant.core.text import terms
from assistant.index.keyword import bm25_idf, bm25_scores
from assistant.retrieval.hybrid import Passage

SPLIT_SEED = 20261125
SQUAD_HELDOUT_ARTICLES = 5  # of 16
COVIDQA_HELDOUT_SHARE = 0.4  # of 98 articles
PASSAGES_PER_QUESTION = 5  # the gold paragraph and 4 distractors (SQuAD); top 5 chunks (COVID-QA)


def norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip().lower()


# Bracketed reference numerals ("[31]", "[5, 14]", "[7-9]") and an answer's own [n] markers.
_REFERENCES = re.compile(r"\[\s*\d+(?:\s*[,;\u2013-]\s*\d+)*\s*\]|\[\s*$|^\s*\]")
_SPACE_BEFORE = re.compile(r"\s+([,.;:!?)])")


def span_norm(text: str) -> str:
    """`norm`, with bracketed reference numerals and citation markers removed on both sides of
    a comparison: an answer puts its own [n] after every sentence and drops the document's
    "[31]" (a passage's numerals must never look like the answer's citations), so a gold span
    that runs across two sentences, or quotes a reference numeral, is compared as text."""
    return norm(_SPACE_BEFORE.sub(r"\1", _REFERENCES.sub(" ", norm(text))))


@dataclass
class Example:
    id: str
    question: str
    article: str
    answers: list[str]  # gold spans; empty when the question is unanswerable
    passages: list[Passage]
    stats: "TextStats"
    dataset: str

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    def sentence_has_answer(self, text: str) -> bool:
        """Does this sentence give the answer: it holds a gold span, or lies inside a long one."""
        s = norm(text)
        return any(g and (g in s or (len(s) > 40 and s in g)) for g in (norm(a) for a in self.answers))


class TextStats:
    """Document frequencies over a set of passages: the `CorpusStats` the answerer asks for."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.df: Counter = Counter()
        self.n = 0
        for t in texts:
            self.n += 1
            self.df.update(set(terms(t)))

    def idf(self, term: str) -> float:
        return bm25_idf(self.n, self.df.get(term, 0))

    def neighbor(self, passage: Passage, offset: int) -> Passage | None:
        return None

    def header(self, source: str) -> Passage | None:
        return None


def split(names: Sequence[str], heldout: int, seed: int = SPLIT_SEED) -> tuple[list[str], list[str]]:
    """(training, held-out) article names; seeded, by article."""
    order = sorted(names)
    random.Random(seed).shuffle(order)
    return sorted(order[heldout:]), sorted(order[:heldout])


def _rank(question: str, qvec: np.ndarray, cands: list[tuple[str, str]], vecs: np.ndarray,
          stats: TextStats, source: str, title: str, spans_of) -> list[Passage]:
    """Passages ranked by reciprocal-rank fusion of BM25 and cosine, as the product fuses them."""
    bm = bm25_scores(stats.idf, terms(question), [terms(t) for _, t in cands])
    cos = vecs @ qvec
    r_bm = np.argsort(np.argsort(-bm))
    r_cos = np.argsort(np.argsort(-cos))
    fused = 1 / (60 + r_bm + 1) + 1 / (60 + r_cos + 1)
    order = np.argsort(-fused)
    out = []
    for rank, i in enumerate(order, start=1):
        pid, text = cands[i]
        out.append(Passage(id=pid, text=text, source=source, title=title, section=None, page=None,
                           sentences=[tuple(s) for s in spans_of(text)], score=float(fused[i]),
                           dense=float(cos[i]), bm25=float(bm[i]), rank=rank))
    return out


def _spans_cache():
    from ingest.chunking import sentence_spans

    cache: dict[str, list] = {}

    def spans(text: str) -> list:
        if text not in cache:
            cache[text] = sentence_spans(text)
        return cache[text]
    return spans


def squad_examples(path: Path, embedder, articles: set[str] | None = None,
                   progress: bool = False) -> list[Example]:
    from tqdm import tqdm

    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    spans = _spans_cache()
    out: list[Example] = []
    stats = TextStats(p["context"] for a in data for p in a["paragraphs"])
    for art in tqdm(data, desc="squad2", disable=not progress):
        title = art["title"]
        if articles is not None and title not in articles:
            continue
        paras = [p["context"] for p in art["paragraphs"]]
        p_terms = [terms(p) for p in paras]
        p_vecs = embedder.embed_texts(paras)
        qas = [(pi, qa) for pi, p in enumerate(art["paragraphs"]) for qa in p["qas"]]
        q_vecs = embedder.embed_texts([qa["question"] for _, qa in qas])
        for (pi, qa), qvec in zip(qas, q_vecs):
            bm = bm25_scores(stats.idf, terms(qa["question"]), p_terms)
            bm[pi] = -1
            distract = [int(i) for i in np.argsort(-bm)[: PASSAGES_PER_QUESTION - 1]]
            idx = [pi] + distract
            cands = [(f"{title}:{i}", paras[i]) for i in idx]
            passages = _rank(qa["question"], qvec, cands, p_vecs[idx], stats, title,
                             title.replace("_", " "), spans)
            answers = [] if qa.get("is_impossible") else [a["text"] for a in qa["answers"] if a["text"].strip()]
            out.append(Example(id=qa["id"], question=qa["question"], article=title, answers=answers,
                               passages=passages, stats=stats, dataset="squad2"))
    return out


def squad_articles(path: Path) -> list[str]:
    return [a["title"] for a in json.loads(path.read_text(encoding="utf-8"))["data"]]


_PARA = re.compile(r"\n+")


def chunk_article(text: str, max_chars: int = 1200, new_after: int = 900) -> list[str]:
    """Paragraphs packed into chunks of about the product's size; long paragraphs cut at
    sentence ends."""
    chunks: list[str] = []
    cur = ""
    for para in (p.strip() for p in _PARA.split(text)):
        if not para:
            continue
        pieces = [para]
        if len(para) > max_chars:
            pieces, buf = [], ""
            for sent in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])", para):
                if buf and len(buf) + len(sent) + 1 > max_chars:
                    pieces.append(buf)
                    buf = ""
                buf = f"{buf} {sent}".strip()
            if buf:
                pieces.append(buf)
        for piece in pieces:
            if cur and len(cur) + len(piece) + 1 > max_chars:
                chunks.append(cur)
                cur = ""
            cur = f"{cur}\n{piece}".strip()
            if len(cur) >= new_after:
                chunks.append(cur)
                cur = ""
    if cur:
        chunks.append(cur)
    return chunks


def covidqa_examples(path: Path, embedder, articles: set[str] | None = None,
                     per_article: int | None = None, seed: int = SPLIT_SEED,
                     progress: bool = False) -> list[Example]:
    from tqdm import tqdm

    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    spans = _spans_cache()
    all_chunks = {f"covidqa-{i:03d}": chunk_article(a["paragraphs"][0]["context"])
                  for i, a in enumerate(data)}
    stats = TextStats(c for cs in all_chunks.values() for c in cs)
    rng = random.Random(seed)
    out: list[Example] = []
    for i, art in enumerate(tqdm(data, desc="covid-qa", disable=not progress)):
        name = f"covidqa-{i:03d}"
        if articles is not None and name not in articles:
            continue
        para = art["paragraphs"][0]
        qas = [qa for qa in para["qas"] if any(a.get("text", "").strip() for a in qa.get("answers", []))]
        if per_article is not None and len(qas) > per_article:
            qas = rng.sample(qas, per_article)
        if not qas:
            continue
        chunks = all_chunks[name]
        c_vecs = embedder.embed_texts(chunks)
        q_vecs = embedder.embed_texts([qa["question"] for qa in qas])
        cands = [(f"{name}:{j}", c) for j, c in enumerate(chunks)]
        for qa, qvec in zip(qas, q_vecs):
            ranked = _rank(qa["question"], qvec, cands, c_vecs, stats, name, name, spans)
            top = ranked[:PASSAGES_PER_QUESTION]
            gold = [a["text"] for a in qa["answers"] if a.get("text", "").strip()]
            retrieved = " ".join(norm(p.text) for p in top)
            held = [g for g in gold if norm(g) in retrieved]
            out.append(Example(id=str(qa["id"]), question=qa["question"], article=name,
                               answers=held, passages=top, stats=stats, dataset="covidqa"))
    return out


def covidqa_articles(path: Path) -> list[str]:
    n = len(json.loads(path.read_text(encoding="utf-8"))["data"])
    return [f"covidqa-{i:03d}" for i in range(n)]
