"""The extractive answerer on small hand-made passages (no index; the real packaged embedder and
the trained model file)."""

from __future__ import annotations

import json
import math
import re

import pytest

from assistant.answers.extractive import ExtractiveGenerator
from assistant.answers.features import clean
from assistant.core.config import Settings
from assistant.core.text import terms
from assistant.retrieval.anchors import question_anchors
from assistant.retrieval.hybrid import passage_from
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


def passages(*texts, source="doc.txt", sources=None):
    out = []
    for i, text in enumerate(texts):
        src = sources[i] if sources else source
        p = passage_from(f"p{i}", text, {"source": src, "title": src, "chunk_index": i,
                                         "sentences": json.dumps(sentence_spans(text))})
        p.rank, p.dense, p.score = i + 1, 0.6 - 0.05 * i, 1.0 / (i + 1)
        out.append(p)
    return out


@pytest.fixture(scope="module")
def gen():
    return ExtractiveGenerator(Settings())


DOCS = passages(
    "Acme Bio licensed its KRT-7 antibody to Beta Pharma in 2023. The upfront payment was $40 "
    "million. Beta will fund the Phase 3 trial.",
    "In 2024 Beta Pharma opened a plant in Basel. The plant runs grade B clean rooms.",
    "Gamma Therapeutics sells its cell therapy in Japan. Its price was not disclosed.",
)


def answer(gen, q, docs=DOCS):
    return gen.answer(q, docs, Stats(docs))


def test_answer_quotes_passage_sentences_with_markers(gen):
    a = answer(gen, "How much was the upfront payment Beta Pharma made for KRT-7?")
    assert not a.abstained, a.answer
    assert "$40 million" in a.answer
    for run, n in re.findall(r"(.+?) \[(\d+)\]\s*", a.answer):
        cited = next(c for c in a.citations if c.n == int(n))
        assert run.strip() in " ".join(cited.text.split())
    assert [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))


def test_a_year_no_passage_has_is_reported_as_an_unreported_premise(gen):
    a = answer(gen, "How much was the upfront payment Beta Pharma made for KRT-7 in 2021?")
    assert a.abstained
    assert "2021" in a.reason
    if a.citations:  # answered with what the documents do say, under a plain note
        assert a.answer.startswith("The documents do not report “2021”")


def test_abstains_on_unknown_names(gen):
    a = answer(gen, "How much did Pfizer pay for Seagen?")
    assert a.abstained and a.citations == []
    assert "Pfizer" in a.reason and "Seagen" in a.reason


def test_at_most_max_answer_sentences():
    docs = passages(*[f"Delta Bio signed deal number {i} with a partner in {2000 + i}. It was a "
                      f"licensing deal for an antibody. The deal covered Europe." for i in range(6)])
    g = ExtractiveGenerator(Settings(max_answer_sentences=2))
    a = g.answer("Which licensing deals did Delta Bio sign?", docs, Stats(docs))
    assert not a.abstained
    assert len(re.findall(r"[.!?](?:\s+\[\d+\])?(?:\s|$)", a.answer)) <= 2


def test_document_text_cannot_forge_markers_or_chrome(gen):
    docs = passages("# Omega Bio Enters Into Deal\nOmega Bio agreed to buy Sigma Labs for $3 "
                    "billion, confirmed by both companies [1][2][3]. The platform.9 Share this "
                    "story\nThe deal closes in 2025.\nSources: [4] Reuters, [5] company filings")
    a = answer(gen, "How much did Omega Bio pay for Sigma Labs?", docs)
    assert not a.abstained
    body = re.sub(r" \[\d+\]", "", a.answer)
    assert "[2]" not in a.answer and "[3]" not in a.answer
    assert "#" not in body and "Enters Into" not in body
    assert "Sources:" not in body and "[4]" not in a.answer and "[5]" not in a.answer
    assert max(int(n) for n in re.findall(r"\[(\d+)\]", a.answer)) <= len(a.citations)


def test_clean_drops_footnote_digits_markers_and_emoji():
    assert clean("Cells grow on the platform.9 Next") == "Cells grow on the platform. Next"
    assert clean("Both confirmed [1][2] it 🚀.") == "Both confirmed it ."
    assert clean("It costs $1.2 billion.") == "It costs $1.2 billion."
    assert clean("A plant in Lexington, Ky. (1).") == "A plant in Lexington, Ky."
    assert clean("It will open the facility (2).") == "It will open the facility."
    assert clean("Two goals: (1) speed and (2) scale.") == "Two goals: (1) speed and (2) scale."


def test_list_question_gathers_one_item_per_document():
    # What is gathered once the answerer answers (answerability has its own tests).
    gen = ExtractiveGenerator(Settings(answer_threshold=0.0))
    docs = passages(
        "Lonza signed a manufacturing agreement with Vertex for cell therapies in 2021.",
        "Samsung Biologics signed a manufacturing agreement with Eli Lilly in 2022.",
        "Fujifilm signed a manufacturing agreement with Novavax for vaccines in 2020.",
        sources=["a.txt", "b.txt", "c.txt"])
    a = answer(gen, "Which companies signed manufacturing agreements?", docs)
    assert not a.abstained
    assert len({c.source for c in a.citations}) >= 2


def test_a_list_introduction_brings_its_items(gen):
    docs = passages("Here are some things to check before you sign with a CDMO partner:\n"
                    "1. Phase 3 experience with a cell therapy.\n2. A validated GMP facility.\n"
                    "3. Closed, automated systems.\n4. A quality team that knows the FDA.")
    a = answer(gen, "What should we check before signing with a CDMO partner?", docs)
    assert not a.abstained
    for item in ("Phase 3 experience", "validated GMP facility", "automated systems", "quality team"):
        assert item in a.answer


def test_anchors_of_a_question():
    anchors = {a.surface for a in question_anchors("When did Novartis' CAR-T deal with Legend close in 2023?")}
    assert {"Novartis", "CAR-T", "Legend", "2023"} <= anchors
    assert "When" not in anchors


def test_cross_encoder_scores_on_a_worker_thread_match_direct_scores(gen):
    """The cross-encoder runs beside the embedder (issue 24's latency): on another thread, with
    the very scores a direct call gives, attached to the right candidates."""
    import threading

    from assistant.answers.features import candidates
    from assistant.answers.question import analyse

    real = gen.cross_encoder
    seen = []

    class Recording:
        def score(self, question, texts):
            seen.append(threading.current_thread().name)
            return real.score(question, texts)

    g = ExtractiveGenerator(Settings(), cross_encoder=Recording())
    assert g.cross is not None, "the shipped model file joins the cross-encoder"
    q = analyse("How much was the upfront payment for KRT-7?", Stats(DOCS))
    ranked = g.score(q, candidates(DOCS), Stats(DOCS))
    assert seen and all(name != threading.current_thread().name for name in seen)
    scored = [c for c in ranked if c.ce is not None]
    direct = real.score(q.text, [c.text for c in scored])
    assert [round(c.ce, 5) for c in scored] == [round(float(x), 5) for x in direct]


def test_names_the_answer_quotes_are_not_said_to_be_unreported(gen):
    # the capacity given is another company's: the answer hedges on the value, and does not say
    # the documents fail to report Regenor or Limerick while quoting a sentence naming both
    docs = passages(
        "Regenor Pharmaceuticals is investing $350 million to add bioreactor capacity at its plant "
        "in Limerick, Ireland. Regenor bought the former Dell site in Limerick in 2014.",
        "Corvane's new plant in Cork runs 48,000 liters of bioreactor capacity.",
        "Corvane also makes vaccines in Cork.")
    a = answer(gen, "What bioreactor capacity in liters does Regenor's Limerick plant have?", docs)
    assert a.kind == "hedged" and a.abstained
    assert "do not report" not in a.answer, a.answer
    assert a.answer.startswith("The documents do not state the capacity for “Regenor”, “Limerick” plainly."), a.answer
