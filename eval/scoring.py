"""Answer-quality measures. Definitions (also in docs/evals.md):

- key-fact recall: for an answerable question, the share of its key facts found in the answer
  (a fact is found when any of its accepted variants occurs, ignoring case, spacing, dash and
  quote styles and the [n] markers); averaged over answerable questions. `all_facts` is the share
  of answerable questions whose answer holds every key fact.
- citation precision: the share of [n] markers whose passage supports the sentence carrying the
  marker. A passage supports a sentence when the sentence occurs in it verbatim, or when at least
  70% of the sentence's content words occur in it and every number of the sentence does too.
- citation hit: the share of answerable questions whose answer cites a passage of a gold document.
- number faithfulness: the share of answers in which every amount, percentage, count and date
  appears in a passage that the sentence stating it cites.
- abstention: precision = abstentions on unanswerable questions / all abstentions; recall =
  abstentions on unanswerable questions / unanswerable questions. `false_abstentions` counts
  answerable questions that got "the documents don't cover this".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from assistant.core.text import MARKER, figure_in, figures, terms

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'}


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_QUOTES)
    text = MARKER.sub("", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def fact_found(answer: str, variants: list[str]) -> bool:
    a = normalize(answer)
    return any(normalize(v) in a for v in variants)


def key_fact_recall(answer: str, facts: list[list[str]]) -> float:
    if not facts:
        return 1.0
    return sum(fact_found(answer, f) for f in facts) / len(facts)


@dataclass
class CitedSentence:
    text: str  # without markers
    markers: list[int]


def split_cited(answer: str) -> list[CitedSentence]:
    """Sentences of an answer with their [n] markers (the same sentence segmentation as the
    product's verification, so both judge the same units)."""
    from assistant.answers.verification import markers_of, split_sentences

    return [CitedSentence(MARKER.sub("", s).strip(), markers_of(s)) for s in split_sentences(answer)]


def supports(passage: str, sentence: str) -> bool:
    p, s = normalize(passage), normalize(sentence)
    if s and s in p:
        return True
    s_terms = set(terms(s))
    if not s_terms:
        return False
    p_terms = set(terms(p))
    share = len(s_terms & p_terms) / len(s_terms)
    return share >= 0.7 and figures(s) <= figures(p)


def citation_precision(answer: str, passages: dict[int, str]) -> tuple[int, int]:
    """(supported markers, all markers)."""
    good = total = 0
    for sent in split_cited(answer):
        for n in sent.markers:
            total += 1
            if n in passages and supports(passages[n], sent.text):
                good += 1
    return good, total


def numbers_faithful(answer: str, passages: dict[int, str]) -> bool:
    for sent in split_cited(answer):
        nums = figures(sent.text)
        if not nums:
            continue
        cited = figures(" ".join(passages.get(n, "") for n in sent.markers))
        if not all(figure_in(x, cited) for x in nums):
            return False
    return True
