"""Features of each candidate sentence, shared by the answerer and its training
(`python -m eval train-answerer`).

A candidate is one sentence of a retrieved passage. Its features say how well it matches the
question (term coverage, BM25, bigrams, embedding similarity), whether it holds the kind of value
asked for and the question's names and numbers, and how its passage was retrieved. Every feature
is computed the same way at training time (SQuAD 2.0, COVID-QA) and at question time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from assistant.answers.question import _Question
from assistant.answers.types import CorpusStats
from assistant.core.text import DATA_CELL, MARKER, question_terms, terms, words
from assistant.index.keyword import bm25_scores
from assistant.retrieval.anchors import anchor_in
from assistant.retrieval.anchors import passage_vocabulary as vocabulary
from assistant.retrieval.hybrid import Passage

SENTENCE_FEATURES = [
    "coverage",          # IDF-weighted share of the question's content terms in the sentence
    "coverage_rel",      # the same, divided by the best candidate's
    "context",           # coverage over the whole passage with its title and section
    "bm25_rel",          # BM25 of the sentence for the question, divided by the best candidate's
    "bigrams",           # share of the question's consecutive content-term pairs in the sentence
    "wanted",            # the question asks for a kind of value (amount, date, count, ...)
    "typed",             # ... and the sentence holds one
    "wanted_untyped",    # ... and the sentence holds none
    "anchors_sentence",  # share of the question's names and numbers in the sentence
    "anchors_passage",   # share of them in the sentence's passage
    "no_anchors",        # the question has no names or numbers
    "foreign_names",     # the sentence names things the question does not, and none it does
    "dense",             # cosine of question and passage (retrieval)
    "inv_rank",          # 1 / the passage's retrieval rank
    "position",          # the sentence's position in its passage, 0 (first) to 1 (last)
    "first",             # it is the passage's first sentence
    "log_words",         # log(1 + words in the sentence)
    "fragment",          # a short line or no end punctuation (heading, caption, byline)
    "similarity",        # cosine of question and sentence embeddings
    "similarity_gap",    # the best candidate's similarity minus this one's
]

# Answerability: features with signal on the held-out articles of both datasets (ROC AUC 0.58-0.71
# each; the others measured 0.43-0.55 on one of them and were dropped).
QUESTION_FEATURES = [
    "p_best",            # the best sentence's probability of holding the answer
    "p_margin",          # its lead over the second best
    "best_coverage",     # the best sentence's coverage of the question's terms
    "best_similarity",   # the best sentence's embedding similarity
    "best_context",      # the best passage coverage of the question's terms
]

_NAME = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:[-–][A-Za-z0-9]+)*")
_END = re.compile(r"[.!?\"”)\]]\s*$")
# Page chrome a sentence must never be: markdown headings, captions, share buttons, bylines.
_CHROME = re.compile(
    r"^\s*(#{1,6}\s|[(\[]?(image|photo|photograph|figure|credit|source|caption)s?\b[:)\]]|"
    r"(share|tweet|email|print|subscribe|advertisement|read more|related)\b\s*($|[:|]))",
    re.IGNORECASE)
# A footnote number glued to the end of a sentence or word ("platform.9", "therapies,12").
_FOOTNOTE = re.compile(r"(?<=[a-z)][.,;:])\d{1,3}(?=\s|$)")
# ... or to a lower-case word of four letters or more ("Type 1 diabetes2", "blood cancers3.");
# names such as "p53", "CD19" or "IL6" keep their digits.
_GLUED_FOOTNOTE = re.compile(r"\b([a-z]{4,})\d{1,2}(?=[\s.,;:)]|$)")
# ... or in brackets at the sentence's end ("... in Lexington, Ky. (1).", "... the facility (2)."):
# beside the answer's own [n] it reads as a second citation
_BRACKETED_FOOTNOTE = re.compile(r"(?<=\.)\s\(\d{1,2}\)\.(?=\s|$)|\s\(\d{1,2}\)(?=[.;]?\s*$)")
# Lines that describe the page, not the news: a bare address, a metadata line ("Date: ...",
# "date 2024-11-22 author: ..."), a byline, a headline carrying its publisher and date
# ("... | Fierce Biotech | 2025-05-14").
_DATE_TEXT = (r"(\d{4}-\d{2}-\d{2}|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? "
              r"\d{1,2},? \d{4}|\b\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]* \d{4})")
_URL_LINE = re.compile(r"^\s*(https?://|www\.)\S+\s*$", re.IGNORECASE)
_META_WORD = r"^\s*(source|date|dated|publisher|published|updated|posted|url|author|byline)"
_META_LINE = re.compile(_META_WORD + r"\b\s*[:=]?\s*(?:\S+\s+){0,11}\S*$", re.IGNORECASE)
_META_KEY = re.compile(_META_WORD + r"\s*:", re.IGNORECASE)  # labelled, whatever its length
_BYLINE = re.compile(r"^\s*by:?\s+[A-Z][\w.'’-]+(\s+[A-Z][\w.'’-]+){0,3}\s*([|,•·–-]|$)")
_SEPARATED_DATE = re.compile(r"\s[|•·]\s.*" + _DATE_TEXT + r"|" + _DATE_TEXT + r".*\s[|•·]\s",
                             re.IGNORECASE)
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]")
_WS = re.compile(r"\s+")


def clean(text: str) -> str:
    """A sentence as an answer shows it: citation-like markers, footnote digits, emoji and
    layout whitespace removed (document text must not forge the answer's [n] markers)."""
    text = MARKER.sub("", text)
    text = _FOOTNOTE.sub("", text)
    text = _GLUED_FOOTNOTE.sub(r"\1", text)
    text = _BRACKETED_FOOTNOTE.sub("", text)
    text = _EMOJI.sub("", text)
    return _WS.sub(" ", text).strip()


def is_chrome(text: str) -> bool:
    return bool(_CHROME.match(text))


def _nav_bar(t: str) -> bool:
    """"News | Articles | Drug Development | ...": short cells and no data; a row of a table
    written with pipes ("Sep 2 | Radiance Bio – Novatim | Licensing | $15M upfront") is not."""
    cells = t.split(" | ")
    return len(cells) >= 4 and max(len(x.split()) for x in cells) <= 4 and \
        not any(DATA_CELL.match(x.strip()) for x in cells)


def is_page_line(text: str, title: str = "") -> bool:
    """A line about the page (address, metadata, byline, headline with publisher and date, the
    headline itself), never an answer sentence."""
    t = text.strip()
    if len(t) > 400:  # a page line is short; the patterns below are not run on long text
        return False
    ends = bool(_END.search(t))
    # "Date: not shown ...", "Publisher: BioWorld (...)": a labelled metadata line, whatever its
    # length; "News | Articles | Drug Development | ...": a navigation bar
    if _META_KEY.match(t) or _nav_bar(t):
        return True
    if _URL_LINE.match(t) or _BYLINE.match(t) or (_META_LINE.match(t) and not ends) or \
            (_SEPARATED_DATE.search(t) and not ends):
        return True
    key = _WS.sub(" ", t).lower().rstrip(" .")
    return bool(title) and len(key) > 20 and _WS.sub(" ", title).lower().startswith(key)


@dataclass(eq=False)  # candidates are compared by identity
class Candidate:
    passage: Passage
    index: int  # the sentence's position in its passage
    text: str  # cleaned
    features: np.ndarray = field(default_factory=lambda: np.zeros(0))
    prob: float = 0.0
    anchors: float = 0.0  # share of question anchors in the sentence
    typed: bool = False
    item: bool = False  # an item of a list that a chosen sentence introduces
    p_model: float = 0.0  # the sentence model's probability (before the cross-encoder joins)
    ce: float | None = None  # the cross-encoder's probability, when it scored this sentence
    lead: float | None = None  # the trade-press ranker's P(it holds a key fact), when it scored it
    plain: np.ndarray | None = None  # its SENTENCE_FEATURES without embeddings, among all candidates


def candidates(passages: Sequence[Passage]) -> list[Candidate]:
    out = []
    for p in passages:
        for i, sent in enumerate(p.sentence_texts()):
            text = clean(sent)
            if len(words(text)) < 3 or is_chrome(sent) or is_page_line(sent, p.title):
                continue
            out.append(Candidate(p, i, text))
    return out


def _bigrams(seq: list[str]) -> set[tuple[str, str]]:
    return set(zip(seq, seq[1:]))


def sentence_features(q: _Question, cands: list[Candidate], stats: CorpusStats,
                      similarity: np.ndarray | None) -> np.ndarray:
    """One row of SENTENCE_FEATURES per candidate (also set on each candidate)."""
    n = len(cands)
    X = np.zeros((n, len(SENTENCE_FEATURES)), dtype=np.float64)
    if n == 0:
        return X
    q_terms = list(dict.fromkeys(question_terms(q.text)))
    q_seq = question_terms(q.text)
    q_bigrams = _bigrams(q_seq)
    q_lower = {w for w in words(q.text)}
    anchors = q.anchors
    passage_vocab: dict[str, set[str]] = {}
    passage_context: dict[str, float] = {}
    n_sents: dict[str, int] = {}
    for c in cands:
        pid = c.passage.id
        if pid not in passage_vocab:
            passage_vocab[pid] = vocabulary(c.passage)
            passage_context[pid] = q.coverage(passage_vocab[pid])
            n_sents[pid] = max(1, len(c.passage.sentences))
    sent_terms = [question_terms(c.text) for c in cands]
    cov = np.array([q.coverage(set(t)) for t in sent_terms])
    bm = bm25_scores(stats.idf, q_terms, sent_terms, k1=1.2, b=0.75)
    sim = similarity if similarity is not None else np.zeros(n)
    for i, c in enumerate(cands):
        p = c.passage
        s_vocab = set(terms(c.text))
        a_sent = (sum(anchor_in(a, s_vocab) for a in anchors) / len(anchors)) if anchors else 1.0
        a_pass = (sum(anchor_in(a, passage_vocab[p.id]) for a in anchors) / len(anchors)) if anchors else 1.0
        # Capitalised words other than the sentence's first: names of things.
        names = {m.group(0).lower() for m in _NAME.finditer(c.text) if m.start() > 0}
        foreign = bool(anchors) and a_sent == 0 and bool(names - q_lower)
        typed = bool(q.wanted and q.wanted[1].search(c.text))
        n_words = len(words(c.text))
        c.anchors, c.typed = a_sent, typed
        X[i] = [
            cov[i],
            cov[i] / (cov.max() or 1.0),
            passage_context[p.id],
            bm[i] / (bm.max() or 1.0),
            (len(q_bigrams & _bigrams(sent_terms[i])) / len(q_bigrams)) if q_bigrams else 0.0,
            float(q.wanted is not None),
            float(typed),
            float(q.wanted is not None and not typed),
            a_sent,
            a_pass,
            float(not anchors),
            float(foreign),
            max(0.0, p.dense or 0.0),
            1.0 / p.rank if p.rank else 1.0,
            c.index / max(1, n_sents[p.id] - 1),
            float(c.index == 0),
            math.log1p(n_words),
            float(n_words < 6 or not _END.search(c.text)),
            sim[i],
            sim.max() - sim[i],
        ]
        c.features = X[i]
    return X


def question_features(q: _Question, cands: list[Candidate], probs: np.ndarray,
                      passages: Sequence[Passage]) -> np.ndarray:
    if len(cands) == 0:
        return np.zeros(len(QUESTION_FEATURES))
    order = np.argsort(-probs)
    best = cands[order[0]]
    p1 = float(probs[order[0]])
    p2 = float(probs[order[1]]) if len(order) > 1 else 0.0
    f = SENTENCE_FEATURES.index
    return np.array([
        p1, p1 - p2,
        best.features[f("coverage")],
        best.features[f("similarity")],
        max(c.features[f("context")] for c in cands),
    ])
