"""The extractive answerer on small hand-made passages (pure logic, no index)."""

from __future__ import annotations

import json
import math
import re

from assistant.answers.extractive import ExtractiveGenerator
from assistant.answers.question import question_anchors
from assistant.config import Settings
from assistant.retrieval import passage_from
from assistant.text import terms
from ingest.chunking import sentence_spans


class Stats:
    """Corpus statistics over the given passages."""

    def __init__(self, passages):
        self.passages = passages
        self.df = {}
        for p in passages:
            for t in set(terms(p.text)):
                self.df[t] = self.df.get(t, 0) + 1

    def idf(self, term):
        n, df = len(self.passages), self.df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def neighbor(self, passage, offset):
        i = self.passages.index(passage) + offset
        return self.passages[i] if 0 <= i < len(self.passages) else None

    def header(self, source):
        return next((p for p in self.passages if p.source == source), None)


def passages(*texts, source="doc.txt"):
    out = []
    for i, text in enumerate(texts):
        p = passage_from(f"p{i}", text, {"source": source, "title": "Doc", "chunk_index": i,
                                         "sentences": json.dumps(sentence_spans(text))})
        p.rank, p.dense = i + 1, 0.6
        out.append(p)
    return out


GEN = ExtractiveGenerator(Settings())
DOCS = passages(
    "Acme Bio licensed its KRT-7 antibody to Beta Pharma in 2023. The upfront payment was $40 "
    "million. Beta will fund the Phase 3 trial.",
    "In 2024 Beta Pharma opened a plant in Basel. The plant runs grade B clean rooms.",
    "Gamma Therapeutics sells its cell therapy in Japan. Its price was not disclosed.",
)


def answer(q):
    return GEN.answer(q, DOCS, Stats(DOCS))


def test_answer_quotes_passage_sentences_with_markers():
    a = answer("What upfront payment did Beta Pharma make for KRT-7?")
    assert not a.abstained
    assert "$40 million" in a.answer
    for sentence, n in re.findall(r"(.+?) \[(\d+)\]\s*", a.answer):
        cited = next(c for c in a.citations if c.n == int(n))
        assert sentence.strip() in cited.text
    assert [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))


def test_abstains_when_the_question_names_a_year_no_passage_has():
    a = answer("What upfront payment did Beta Pharma make for KRT-7 in 2021?")
    assert a.abstained and a.citations == []
    assert "2021" in a.reason


def test_abstains_on_unknown_names():
    a = answer("How much did Pfizer pay for Seagen?")
    assert a.abstained and "Pfizer" in a.reason


def test_abstains_when_no_passage_gives_the_kind_of_value_asked():
    a = answer("What is the price of Gamma Therapeutics' cell therapy?")
    assert a.abstained and "amount" in a.reason


def test_a_figure_about_something_else_is_not_an_answer():
    a = answer("What was Beta Pharma's total revenue in 2023?")
    assert a.abstained


def test_anchors_of_a_question():
    anchors = {a.surface for a in question_anchors("When did Novartis' CAR-T deal with Legend close in 2023?")}
    assert {"Novartis", "CAR-T", "Legend", "2023"} <= anchors
    assert "When" not in anchors
