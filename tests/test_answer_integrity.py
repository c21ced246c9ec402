"""Answer integrity (issue 14 row 9): every [n] in every answer of both eval sets names one of
that answer's citations; document text never adds a marker, a citation or a "Sources" section.

The corpus set runs over the session's indexed corpus; the trade-press set over its own
documents (eval/data/tradepress/docs), ingested once here. Real store, real embedder."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from eval.dataset import load
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"\[(\d+)\]")


def _check(assistant, questions) -> list[str]:
    from assistant.service.responses import build_response

    problems = []
    for q in questions:
        r = build_response(assistant.ask(q.question))
        numbers = {c["n"] for c in r["citations"]}
        used = {int(n) for n in MARKER.findall(r["answer"])}
        if not used <= numbers:
            problems.append(f"{q.id}: markers {sorted(used - numbers)} name no citation")
        if not r["abstained"] and r["citations"] and not used:
            problems.append(f"{q.id}: an answer with citations but no marker")
        if re.search(r"(^|\n)\s*sources?\s*:", r["answer"], re.IGNORECASE):
            problems.append(f"{q.id}: a 'Sources:' section inside the answer")
    return problems


def test_every_marker_of_the_corpus_set_names_a_citation(indexed):
    _, _, assistant = indexed
    assert _check(assistant, load(ROOT / "eval" / "data" / "corpus_eval.jsonl")) == []


@pytest.fixture(scope="module")
def tradepress(tmp_path_factory, embedder):
    from assistant.index.store import ChunkStore
    from assistant.service.assistant import Assistant
    from ingest.pipeline import Ingestor

    tmp = tmp_path_factory.mktemp("tradepress")
    docs = tmp / "docs"
    shutil.copytree(ROOT / "eval" / "data" / "tradepress" / "docs", docs)
    settings = make_settings(tmp, docs)
    store = ChunkStore(settings)
    Ingestor(settings, store, embedder, progress=False).run([docs])
    return Assistant(settings, store, embedder)


def test_every_marker_of_the_tradepress_set_names_a_citation(tradepress):
    # Only the form of the answers is checked here, never their content: the set stays frozen.
    assert _check(tradepress, load(ROOT / "eval" / "data" / "tradepress_eval.jsonl")) == []
