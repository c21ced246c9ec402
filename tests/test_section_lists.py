"""A list asked by a section's name on a list page (tests/data/listpage: our own weekly
regulatory round-up with "Approvals", "Priority review" and "Other designations" sections): the
answer is the lines under that heading, one cited item each, not the page's lead sentence.

Real pipeline: embedded Chroma, the packaged embedder, the shipped answerer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = "regulatory-roundup-week-ended-may-16.txt"


@pytest.fixture(scope="module")
def listpage(tmp_path_factory, embedder):
    from tests.conftest import index_copy
    *_, assistant = index_copy(tmp_path_factory.mktemp("listpage"),
                               Path(__file__).parent / "data" / "listpage", embedder)
    return assistant


def _items(answer) -> list[str]:
    return [ln for ln in answer.answer.splitlines() if ln.startswith("- ")]


@pytest.mark.parametrize("question, names", [
    ("Which drugs were approved in the week ended May 16?", ("Zelbrio", "Corlanta", "Ventrisol")),
    ("Priority reviews that week?", ("PLC-311", "Astrivel")),
    ("Which products got orphan drug or fast track designations that week?", ("LNK-88", "BRV-102")),
])
def test_the_lines_under_the_heading_asked_for_are_the_items(listpage, question, names):
    a = listpage.ask(question).answer
    items = _items(a)
    assert a.shape == "list" and len(items) == len(names), a.answer
    assert all(any(n in item for item in items) for n in names), a.answer
    assert all(re.search(r"\[\d\]$", item.rstrip()) for item in items)  # each item cited
    assert {c.source for c in a.citations} == {PAGE}
    assert "regulatory decisions of the week" not in a.answer  # the page's lead is not an item


@pytest.mark.parametrize("question", ["Which approvals did LNK-88 get?", "Approvals for LNK-88?"])
def test_a_question_about_one_product_is_not_the_whole_section(listpage, question):
    a = listpage.ask(question).answer
    assert "Zelbrio" not in a.answer and "Corlanta" not in a.answer, a.answer
