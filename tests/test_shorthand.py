"""An analyst's shorthand in a question (issue 24's "documents nobody here has read" and the
people who ask): stock tickers ("OTLK"), short months ("Dec 6"), abbreviations in the plural
("BTDs"), small ordinals ("the 2nd CRL"). None of them is a premise the documents fail to report
when the documents say the same thing in full. Pure logic on written sentences, and one
end-to-end check on our own term sheet (tests/data/termsheet)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.text import terms
from assistant.retrieval.anchors import anchor_in, question_anchors, ticker_name


@pytest.mark.parametrize("question, document", [
    ("BTDs granted in the week ended Dec 6?", "Breakthrough therapy designation, week ended December 6."),
    ("Which CRLs came in Sept?", "A complete response letter arrived in September."),
    ("What did the 2nd CRL for ONS-5010 cite?", "The second complete response letter for ONS-5010 cited data."),
    ("Halvern's Leeds R&D HQ: cost and headcount?", "Halvern is building its R&D centre and headquarters in Leeds."),
    # a page's number says where to look, not what the page states
    ("Which projects on the Bioprocessing page 11 broke ground?", "Bioprocessing: Allosource broke ground."),
])
def test_shorthand_matches_what_the_document_writes_in_full(question, document):
    vocab = set(terms(document))
    missing = [a.surface for a in question_anchors(question) if not anchor_in(a, vocab)]
    assert not missing, missing


def test_a_short_month_is_still_that_month_only():
    dec = [a for a in question_anchors("Approvals in the week ended Dec 6?") if a.surface == "Dec"]
    assert dec and not anchor_in(dec[0], set(terms("Approvals in the week ended November 6.")))


@pytest.mark.parametrize("ticker, text, name", [
    ("OTLK", "Outlook Therapeutics shares plunged in premarket trading.", "Outlook Therapeutics"),
    ("TMO", "Thermo Fisher Scientific has opened a viral vector site.", "Thermo Fisher Scientific"),
    ("CYPB", "Ramius made an offer for Cypress Bioscience on Monday.", "Cypress Bioscience"),
])
def test_a_ticker_stands_for_the_company_whose_name_holds_its_letters(ticker, text, name):
    assert ticker_name(ticker, [text]) == name


@pytest.mark.parametrize("ticker, text", [
    ("TMO", "Tumor growth slowed in the trial."),  # one word, not a company's name
    ("QXZR", "Outlook Therapeutics shares plunged."),  # the letters are not in the name
    ("EMA", "Eastern Medical Associates filed."),  # a known abbreviation is never a ticker
    ("OTLK", "outlook therapeutics, in lower case"),
])
def test_what_is_not_a_ticker_of_a_named_company(ticker, text):
    assert ticker_name(ticker, [text]) is None


@pytest.fixture(scope="module")
def termsheet(tmp_path_factory, embedder):
    from tests.conftest import index_copy
    *_, assistant = index_copy(tmp_path_factory.mktemp("shorthand"),
                               Path(__file__).parent / "data" / "termsheet", embedder)
    return assistant


def test_a_ticker_question_is_answered_and_an_unknown_one_is_a_premise(termsheet):
    a = termsheet.ask("When is the CRVL-Lumatrix deal expected to close?").answer
    assert a.kind == "answered" and a.answer.startswith("Expected close: second quarter of 2025"), a.answer
    b = termsheet.ask("When is the ZQXR-Lumatrix deal expected to close?").answer
    assert b.kind == "hedged" and "ZQXR" in b.answer, b.answer
