"""A question asking for several values at once ("Corvane's Raleigh plant: cost, size and
jobs?"): `question.facets` reads which, `gather.facet_sentences` adds the sentence giving each
one the answer lacks, from the answer's document; a sentence saying "the company" in a story
about the question's subject gives its value. Pure logic with made-up candidates, and whole
answers on a plant story of our own (`tests/data/facets/`) through the real pipeline (embedded
Chroma, the packaged embedder, the service the API and Slack use).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.answers.features import Candidate
from assistant.answers.gather import facet_sentences
from assistant.answers.question import facets
from assistant.core.text import terms
from assistant.retrieval.anchors import question_anchors
from assistant.retrieval.hybrid import passage_from
from tests.conftest import index_copy

FACETS = Path(__file__).parent / "data" / "facets"


@pytest.mark.parametrize("question, kinds", [
    ("Cambrex High Point: spend and job count?", ["amount", "jobs"]),
    ("Selkirk's Spokane plant: cost, size and completion?", ["amount", "area", "date"]),
    ("How much is Granules investing near Manassas and how many jobs?", ["amount", "jobs"]),
    ("Lonza Houston viral plant: size and scale?", ["area", "volume"]),
])
def test_the_values_a_question_asks_for_at_once(question, kinds):
    assert [k for k, _ in facets(question)] == kinds


@pytest.mark.parametrize("question", [
    "How much did Pfizer pay when it bought Seagen?",  # one value ("when" is not asked)
    "What's the per-share price and the headline size of the deal?",  # a deal's size is money
    "What capacity is the third plant being built with?",
    "When will Halden's investigational drug be filed?",  # not an investment
    "How many jobs were cut due to the restructuring?",  # not a due date
    "The $2bn Corvane plant in Raleigh: how many jobs?",  # the money is given, not asked
])
def test_one_value_is_not_several(question):
    assert facets(question) == []


def _passage(pid: str, source: str, *sentences: str, title: str = ""):
    """A passage of these sentences (each its own, by character span)."""
    text = " ".join(sentences)
    spans, at = [], 0
    for sent in sentences:
        start = text.index(sent, at)
        spans.append((start, start + len(sent)))
        at = start + len(sent)
    return passage_from(pid, text, {"source": source, "title": title or source, "chunk_index": 0,
                                    "sentences": json.dumps(spans)})


def test_each_value_missing_comes_from_the_answers_document_about_its_subject():
    story = _passage("a", "corvane.txt", "Corvane will invest $210 million in Raleigh.",
                     "It will employ 240 people.")
    other = _passage("b", "corvane.txt", "Petrel's Dublin site will add 90 jobs.")
    elsewhere = _passage("c", "other.txt", "Corvane said the Raleigh plant will have 300 jobs.")
    best = Candidate(story, 0, story.text.split(". ")[0] + ".", features=np.zeros(1))
    jobs = Candidate(story, 1, "It will employ 240 people.", features=np.zeros(1))
    foreign = Candidate(other, 0, other.text, features=np.zeros(1))
    far = Candidate(elsewhere, 0, elsewhere.text, features=np.zeros(1))
    wanted = facets("Corvane Raleigh plant: cost and jobs?")
    names = question_anchors("Corvane Raleigh plant: cost and jobs?")
    window = lambda c: set(terms(c.text))
    # another plant's jobs and another document rank first; the story's own sentence is taken
    got = facet_sentences([best], [foreign, far, jobs], wanted, names, window)
    assert got == [jobs]
    # a value the chosen sentence already gives is not added again
    assert facet_sentences([best, jobs], [foreign, far], wanted, names, window) == []


@pytest.fixture(scope="module")
def ask(tmp_path_factory, embedder):
    *_, assistant = index_copy(tmp_path_factory.mktemp("facets"), FACETS, embedder)
    return lambda question: assistant.ask(question).answer


def test_a_plants_cost_size_and_jobs_each_cited(ask):
    a = ask("Corvane Raleigh plant: cost, size and jobs?")
    assert a.kind == "answered", a.answer
    for value in ("$210 million", "180,000 square feet", "240 people"):
        assert value in a.answer, a.answer
    assert "90 jobs" not in a.answer, a.answer  # Petrel's Dublin site, the other story
    assert a.citations and all("corvane" in c.source for c in a.citations)


def test_a_value_and_a_timing(ask):
    a = ask("How much is Corvane investing in Raleigh, and when will the plant be operational?")
    assert a.kind == "answered", a.answer
    assert "$210 million" in a.answer and "2027" in a.answer, a.answer


def test_the_company_is_the_stories_subject_past_a_quote(ask):
    # "The company will invest $210 million in the project", after the chief executive's quote,
    # in a story whose headline and opening name Corvane and Raleigh: Corvane's plant's cost
    a = ask("How much will Corvane's Raleigh plant cost?")
    assert a.kind == "answered" and "$210 million" in a.answer, a.answer
    # ... and not a place the story does not name
    b = ask("How many people will Corvane hire in Dublin?")
    assert b.kind != "answered", b.answer


def test_the_deal_after_another_companys_sentence_is_theirs():
    from assistant.answers.extractive import _refers_to_subject
    from assistant.answers.question import analyse

    stats = type("S", (), {"idf": staticmethod(lambda t: 1.0)})()
    q = analyse("How much is Pfizer paying for Seagen?", stats)
    value = "The deal is valued at $680 million."
    other = _passage("p", "s.txt", "Pfizer to buy Seagen.",
                     "Pfizer and Seagen expect to close next year.",
                     "Separately, Merck agreed to buy Harpoon Therapeutics.", value,
                     title="Pfizer to buy Seagen")
    assert other.sentence_texts()[3] == value
    assert not _refers_to_subject(Candidate(other, 3, value, features=np.zeros(1)), q)
    # past a quote, "the deal" is the story's: Pfizer's
    quoted = _passage("p", "s.txt", "Pfizer to buy Seagen.",
                      "Pfizer and Seagen expect to close next year.",
                      '"This is a great day for patients," said the chief executive.', value,
                      title="Pfizer to buy Seagen")
    assert _refers_to_subject(Candidate(quoted, 3, value, features=np.zeros(1)), q)


def test_how_much_is_the_kind_of_value_not_what_is_asked_and_a_company_form_is_no_other_name():
    """"How much could Oneness get in milestones from LEO?" asked "much" besides "milestones"
    (the second of the two amount patterns was not read for its words), and "LEO Pharma" gave
    "Pharma" as another company's name: LEO's milestone sentence was hedged with a note that
    the documents "do not report “Oneness”", which its passage does."""
    from assistant.answers.extractive import _other_names
    from assistant.answers.question import analyse

    stats = type("S", (), {"idf": staticmethod(lambda t: 1.0)})()
    q = analyse("How much could Quenby and Tavrin get in milestones from Ostrel?", stats)
    assert "much" not in q.asked and q.asked >= {"mileston"}
    text = "Under the terms of the agreement, OSTREL Pharma will pay up to $530 million in milestones."
    p = _passage("p", "s.txt", text, title="Ostrel licenses QT-1")
    assert _other_names(Candidate(p, 0, text, features=np.zeros(1)), q) == set()
    other = "Under the terms of the agreement, Harby Pharma will pay up to $530 million in milestones."
    assert _other_names(Candidate(p, 0, other, features=np.zeros(1)), q) == {"harby pharma"}
