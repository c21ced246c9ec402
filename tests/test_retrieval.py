"""Hybrid retrieval finds exact names, numbers and code names; filters by document."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("question,needle", [
    ("TECELRA", "TECELRA"),
    ("HEPA", "HEPA filters"),
    ("Lynparza partnership", "Lynparza"),
    ("GC01F", "GC01F"),
    ("DLL3 CAR-T licensing", "DLL3"),
    ("18% stake", "18% stake"),
    ("$500 million", "$500 million"),
    ("-150 Celsius", "-150 Celsius"),
    ("MARS Atlas", "MARS Atlas"),
])
def test_exact_terms_are_found_in_the_top_three(indexed, question, needle):
    _, _, assistant = indexed
    passages = assistant.retriever.retrieve(question, top_k=3)
    assert any(needle in p.text for p in passages), [p.text[:80] for p in passages]


def test_keyword_search_beats_dense_alone_on_a_code_name(indexed):
    _, _, assistant = indexed
    hybrid = assistant.retriever.retrieve("GC01F", top_k=1)
    assert "GC01F" in hybrid[0].text
    bm25 = assistant.retriever.retrieve("GC01F", top_k=1, mode="bm25")
    assert "GC01F" in bm25[0].text


def test_filter_by_source(indexed):
    _, _, assistant = indexed
    src = "novartis-aws-cell-gene-therapy-manufacturing.txt"
    passages = assistant.retriever.retrieve("CAR-T cell therapy", top_k=5, sources=[src])
    assert passages and {p.source for p in passages} == {src}
    assert assistant.retriever.retrieve("CAR-T", sources=["no-such-doc.txt"]) == []


def test_top_k_and_metadata(indexed):
    _, _, assistant = indexed
    passages = assistant.retriever.retrieve("Kymriah", top_k=7)
    assert len(passages) == 7
    assert [p.rank for p in passages] == list(range(1, 8))
    assert all(p.title and p.source and p.sentences for p in passages)
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_a_company_alias_finds_the_other_spelling(indexed):
    # The corpus writes "Bristol-Myers Squibb" only; keyword search for "BMS" finds it.
    _, _, assistant = indexed
    passages = assistant.retriever.retrieve("BMS Celgene communication", top_k=3, mode="bm25")
    assert any("Bristol-Myers Squibb" in p.text for p in passages), [p.text[:80] for p in passages]
    alone = assistant.retriever.retrieve("BMS", top_k=3, mode="bm25")
    assert alone and "Bristol-Myers Squibb" in alone[0].text
