"""Answers from tables (issue 20 point 5, issue 24 point 3): a question asking for a list, a
ranking or a filter over deals, regulatory events or sites is answered from the records extracted
at ingest, one cited line per record; anything else, or no fitting record, is answered from
passages as before. Real ingest (records extracted by `ingest/records/`), embedded Chroma, the
packaged embedder; the question parsing is pure logic and tested on its own."""

from __future__ import annotations

import re

import pytest

from assistant.service.tables import table_query

KESTREL = "kestrel-norvane-licence-2024.txt"
HALDEN = "halden-aurion-acquisition-2023.txt"


# --- which questions are table questions (pure logic) -----------------------------------------

@pytest.mark.parametrize("question,type", [
    ("List all deals with their upfront and total value", "deal"),
    ("Which FDA approvals are mentioned, with dates?", "regulatory"),
    ("What are the largest deals?", "deal"),
    ("Show me all deals over $1B", "deal"),
    ("Which EMA orphan designations in 2025 are mentioned?", "regulatory"),
    ("List the manufacturing sites", "facility"),
    # no record word: a list of what an agency approved or granted
    ("Which candidates got FDA fast track status in the week ended Dec. 20?", "regulatory"),
    ("Which products did the agency approve in Q4 2024?", "regulatory"),
    ("What therapies hold an orphan designation?", "regulatory"),
    ("What deals does the article mention?", "deal"),  # a plural record word the text reports
    ("Which approvals does the Pharma Daily page report?", "regulatory"),
    # "list the medicines the CHMP recommended": a list of what the EMA's committee backed
    ("List the medicines the CHMP recommended in May 2021 with their companies.", "regulatory"),
    ("List all financings with their amounts", "deal"),
])
def test_table_questions_are_recognised(question, type):
    q = table_query(question)
    assert q is not None and q.type == type


@pytest.mark.parametrize("question", [
    "How much did AstraZeneca pay for Gracell?",  # one fact
    "How many large cell therapy deals did AstraZeneca complete in 2023?",  # a count: sentences
    "Which two cell therapy partnerships does Roche highlight?",  # what one article says
    "What should we check before signing a CDMO?",
    "Who is the largest CDMO?",  # no record word
    "What drugs does Pfizer make?",  # products, but nothing granted by an agency
    "Which drugs did Pfizer acquire in the deal with Seagen?",  # one deal's facts
    "Which deal does the article report first?",  # one deal
])
def test_other_questions_are_not_table_questions(question):
    assert table_query(question) is None


def test_a_list_of_medicines_the_chmp_recommended_and_of_financings_reads_their_filters():
    q = table_query("List the medicines the CHMP recommended in May 2021 with their companies.")
    assert (q.agency, q.since, q.until) == ("EMA", "2021-05", "2021-05")
    assert table_query("List all financings with their amounts").kind == "investment"


def test_a_list_of_what_an_agency_granted_reads_its_filters():
    q = table_query("Which candidates got FDA fast track status in the week ended Dec. 20?")
    assert (q.agency, q.designation, q.action, q.names) == ("FDA", "fast_track", "designation", [])
    q = table_query("Which products did the agency approve in Q4 2024?")
    assert (q.action, q.since, q.until) == ("approval", "2024-10", "2024-12")
    assert table_query("Which drugs did the FDA approve in October?").names == []  # a month


def test_filters_are_read_from_the_question():
    q = table_query("List the FDA approvals in Q4 2024")
    assert (q.agency, q.action, q.since, q.until) == ("FDA", "approval", "2024-10", "2024-12")
    q = table_query("Show all deals over $1.5 billion since 2022")
    assert q.min_usd == 1.5e9 and q.since == "2022" and q.until is None
    q = table_query("Which EMA orphan designations in 2025 are mentioned?")
    assert (q.agency, q.designation, q.since, q.until) == ("EMA", "orphan", "2025", "2025")
    assert table_query("List the US approvals").names == []  # a place, not a company
    q = table_query("List all deals of GSK before 2020")
    assert q.names == ["GSK"] and q.until == "2019"
    q = table_query("Which company has the largest bioreactor capacity?")
    assert q.rank == "largest" and q.by_capacity
    assert table_query("What are the top 3 deals?").top == 3
    assert table_query("List all acquisitions").kind == "acquisition"
    assert table_query("List all licensing deals").kind == "license"
    assert table_query("List all deals").kind is None


# --- answered from the records -------------------------------------------------------------------

@pytest.fixture(scope="module")
def kinds(kinds_indexed):
    settings, store, assistant = kinds_indexed
    return settings, store, assistant.embedder, settings.corpus_dir, assistant


def _lines(answer: str) -> list[str]:
    return [line for line in answer.split("\n") if line.startswith("- ")]


def test_a_list_of_deals_is_a_table_with_a_citation_in_every_cell(kinds):
    from assistant.service.responses import build_response

    _, _, _, corpus, assistant = kinds
    result = assistant.ask("List all deals")
    a = result.answer
    assert a.shape == "table" and a.answer_type == "answered", a.answer
    assert a.answer.startswith("The documents' tables hold 2 deals")
    lines = _lines(a.answer)
    assert len(lines) == 2 == len(a.items) == len(a.extra["records"])
    assert all(re.search(r"\[\d+\]$", line) for line in lines)  # each line ends cited
    assert "$640 million" in a.answer and "$2.1 billion" in a.answer
    for c in a.citations:  # every quote is a verbatim span of its document
        assert c.text in (corpus / c.source).read_text(encoding="utf-8")
    numbers = {c.n for c in a.citations}
    assert {int(n) for n in re.findall(r"\[(\d+)\]", a.answer)} == numbers
    body = build_response(result)
    assert body["shape"] == "table" and len(body["records"]) == 2
    assert {r["source"] for r in body["records"]} == {KESTREL, HALDEN}
    for r in body["records"]:
        for cell in r["fields"].values():
            assert cell["quote"] in (corpus / r["source"]).read_text(encoding="utf-8")


def test_a_ranking_and_a_money_filter(kinds):
    *_, assistant = kinds
    ranked = assistant.ask("What are the largest deals?").answer
    lines = _lines(ranked.answer)
    assert ranked.shape == "table" and "largest first" in ranked.answer
    assert "Halden" in lines[0] and "Norvane" in lines[1]  # $2.1 billion before $640 million
    over = assistant.ask("Show all deals over $1 billion").answer
    assert over.shape == "table" and len(_lines(over.answer)) == 1 and "Halden" in over.answer
    assert "over $1 billion" in over.answer.split("\n")[0]


def test_a_kind_of_deal_narrows_the_table(kinds):
    *_, assistant = kinds
    a = assistant.ask("List all acquisitions").answer
    assert a.shape == "table" and a.answer.startswith("The documents' tables hold 1 acquisition")
    assert "Halden" in a.answer and "Norvane" not in a.answer


def test_the_ticked_documents_bound_the_table(kinds):
    *_, assistant = kinds
    a = assistant.ask("List all deals", sources=[KESTREL]).answer
    assert a.shape == "table" and {c.source for c in a.citations} == {KESTREL}


def test_no_fitting_record_falls_back_to_passages(kinds):
    *_, assistant = kinds
    a = assistant.ask("List all deals over $10 billion").answer
    assert a.shape != "table" and a.generator == "extractive"
    # a product's own events are told by its sentences
    b = assistant.ask("Which designations has VX-101 received?").answer
    assert b.shape == "list" and b.generator == "extractive"


def test_table_answers_can_be_switched_off(kinds):
    from assistant.service.assistant import Assistant

    settings, store, embedder, _, _ = kinds
    off = Assistant(settings.model_copy(update={"table_answers": False}), store, embedder)
    assert off.ask("List all deals").answer.generator == "extractive"


def test_a_name_only_a_title_holds_narrows_to_that_document(kinds):
    # "Pharma Daily" is the publisher in one headline, not a party to any deal
    *_, assistant = kinds
    a = assistant.ask("List all deals in the Pharma Daily story").answer
    assert a.shape == "table" and {c.source for c in a.citations} == {HALDEN}, a.answer
    assert "Pharma Daily" in a.answer.split("\n")[0]  # the lead says which document
    # a name neither a record nor a title holds still finds no table
    assert assistant.ask("List all deals of Zentrix").answer.shape != "table"


def test_approvals_of_orphan_drugs_in_a_month():
    """"Which orphan drugs did the FDA approve in February 2021?" asks for approvals (of drugs
    that are orphan drugs), not for orphan designations, in that month only."""
    q = table_query("Which orphan drugs did the FDA approve in February 2021 per CheckRare's list?")
    assert (q.type, q.action, q.designation, q.agency) == ("regulatory", "approval", None, "FDA")
    assert (q.since, q.until) == ("2021-02", "2021-02")
    q = table_query("List the FDA orphan drug designations in March 2024")
    assert (q.action, q.designation, q.since, q.until) == ("designation", "orphan", "2024-03", "2024-03")
