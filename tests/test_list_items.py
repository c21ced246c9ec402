"""A list question's items, chosen by the list-item model learned on the spent trade-press sets
(`assistant.answers.ranker.Items`, `python -m eval train-ranker`): the pure choice in
`gather.list_items` with small made-up candidates, the shipped file, and whole answers on a
round-up of our own (`tests/data/lists/`) through the real pipeline (embedded Chroma, the
packaged embedder, the service the API and Slack use).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.answers.features import Candidate
from assistant.answers.gather import list_items
from assistant.answers.ranker import ITEM_FEATURES, ITEMS_PATH, load_items
from assistant.retrieval.hybrid import passage_from
from tests.conftest import index_copy

LISTS = Path(__file__).parent / "data" / "lists"
COMPANIES = ("Halvorsen", "Merrow", "Quillon", "Tessaro", "Varda")


def _cands(*texts_coverage, source="roundup.txt"):
    """One passage holding every text, a candidate per text with the given coverage."""
    text = " ".join(t for t, _ in texts_coverage)
    p = passage_from("p0", text, {"source": source, "title": source, "chunk_index": 0,
                                  "sentences": json.dumps([])})
    return [Candidate(p, i, t, features=np.array([cov]), prob=0.05)
            for i, (t, cov) in enumerate(texts_coverage)]


def test_a_document_gives_further_items_from_the_keep_probability():
    cands = _cands(("Merrow Bio reported Phase 2 results for MB-14.", 0.4),
                   ("Tessaro Biosciences stopped its Phase 3 trial of TS-90.", 0.2),
                   ("Varda Oncology reported Phase 1 results for VD-7.", 0.3))
    p = {id(c): x for c, x in zip(cands, (0.9, 0.5, 0.1))}
    got = list_items(cands, 6, 0.3, prob=lambda c: p[id(c)])
    assert [c.text.split()[0] for c in got] == ["Merrow", "Tessaro"]
    # without the model, the candidates' own probability (0.05 each) decides: one item
    assert len(list_items(cands, 6, 0.3)) == 1


def test_a_sentence_sharing_no_term_is_an_item_only_from_admit():
    cands = _cands(("Merrow Bio reported Phase 2 results for MB-14.", 0.4),
                   ("Halvorsen Therapeutics said HT-221 cut body weight by 11.2%.", 0.0))
    p = {id(c): x for c, x in zip(cands, (0.9, 0.6))}
    prob = lambda c: p[id(c)]
    assert len(list_items(cands, 6, 0.02, prob=prob, admit=None)) == 1
    assert len(list_items(cands, 6, 0.02, prob=prob, admit=0.7)) == 1
    assert len(list_items(cands, 6, 0.02, prob=prob, admit=0.5)) == 2


def test_the_shipped_model_was_fitted_leaving_each_set_out():
    items = load_items()
    assert items is not None, ITEMS_PATH
    assert list(items.model.features) == ITEM_FEATURES
    assert 0.0 < items.keep < 1.0 and (items.admit is None or 0.0 < items.admit < 1.0)
    meta = items.meta
    assert meta["questions"] >= 30 and len(meta["leave_one_set_out"]) >= 10
    # what it is shipped for: left out, its items hold more key facts than the models' order,
    # and no larger share of them is an item the list does not ask for
    assert meta["pooled_recall"]["items"] > meta["pooled_recall"]["models"]
    assert meta["pooled_precision"]["items"] >= meta["pooled_precision"]["models"]
    assert meta["pooled_f1"]["items"] > meta["pooled_f1"]["models"]


@pytest.fixture(scope="module")
def ask(tmp_path_factory, embedder):
    *_, assistant = index_copy(tmp_path_factory.mktemp("lists"), LISTS, embedder)
    return lambda question: assistant.ask(question).answer


def test_a_list_of_a_round_up_gives_an_item_per_readout(ask):
    a = ask("Which drugs had Phase 2 data this week?")
    assert a.kind == "answered" and a.shape == "list", a.answer
    named = [c for c in COMPANIES if c in a.answer]
    assert len(named) >= 4, a.answer
    assert len(a.items) >= 4


def test_a_list_asked_by_the_pages_date_is_not_limited_to_the_date(ask):
    # "June 9" names the page, not what the list is about: items need not say "June"
    a = ask("Which companies reported trial results in the June 9 clinical readouts roundup?")
    assert a.shape == "list", a.answer
    named = [c for c in COMPANIES if c in a.answer]
    assert len(named) >= 3, a.answer


def test_the_rankers_first_sentence_leads_a_list():
    from assistant.answers.gather import lead_item
    cands = _cands(("Hanmi gets the rights in South Korea and greater China.", 0.4),
                   ("Both companies win, the chief executive said.", 0.2),
                   ("Rapt keeps the rest of the world.", 0.3),
                   ("Shares rose 12%.", 0.0))
    for c, lead in zip(cands, (0.8, 0.1, 0.3, 0.05)):
        c.lead = lead
    items = [cands[1], cands[2]]
    # the ranker's first sentence comes first, within the limit
    assert lead_item(items, cands, 2, False) == [cands[0], cands[1]]
    # one the items already hold stays where it is
    assert lead_item([cands[2], cands[0]], cands, 4, False) == [cands[2], cands[0]]
    # a list of one item per document is left as it is
    assert lead_item([cands[1]], cands, 4, True) == [cands[1]]
    # a first sentence sharing no term with the question leads nothing
    cands[3].lead = 0.9
    assert lead_item(items, cands, 4, False) == items


@pytest.mark.parametrize("sentence, intro", [
    ("The chart below lists the 23 FDA November 2013 products receiving orphan designation.", True),
    ("Below is a list of this week's approvals.", True),
    ("Seven FDA drug and treatment approvals since mid-June:", True),
    ("Sales came in below expectations, the company said.", False),
    ("The agency lists the product as a biosimilar.", False),
])
def test_a_sentence_pointing_at_the_list_below_brings_its_items(sentence, intro):
    from assistant.answers.extractive import _LIST_INTRO
    assert bool(_LIST_INTRO.search(sentence)) == intro
