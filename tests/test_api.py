"""The HTTP API contract, against a real uvicorn server on loopback."""

from __future__ import annotations

import re

import httpx
import pytest

from assistant.api.app import create_app
from assistant.index.store import ChunkStore
from assistant.service.assistant import Assistant
from tests.conftest import make_settings
from tests.server import serve


@pytest.fixture(scope="module")
def api(indexed):
    settings, store, assistant = indexed
    with serve(create_app(settings, assistant)) as base:
        yield base


def chat(api, **body):
    return httpx.post(f"{api}/v1/chat", json=body, timeout=60)


def test_health_and_sources(api, indexed):
    _, store, _ = indexed
    h = httpx.get(f"{api}/health")
    assert h.status_code == 200
    assert h.json() == {"status": "ok"}  # open to everyone: nothing about the documents
    sources = httpx.get(f"{api}/v1/sources").json()["sources"]
    assert len(sources) == 5
    assert sum(s["chunks"] for s in sources) == store.active().count()
    assert {"source", "title", "chunks"} <= set(sources[0])


def test_docs_are_served(api):
    assert httpx.get(f"{api}/docs").status_code == 200
    spec = httpx.get(f"{api}/openapi.json").json()
    assert "/v1/chat" in spec["paths"]


def test_chat_contract(api):
    r = chat(api, question="Which FDA designations has Fucaso been granted?")
    assert r.status_code == 200
    body = r.json()
    assert {"answer", "citations", "abstained"} <= set(body)
    assert body["abstained"] is False
    assert "orphan drug" in body["answer"]
    numbers = {c["n"] for c in body["citations"]}
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    assert markers and markers <= numbers
    for c in body["citations"]:
        assert set(c) >= {"n", "source", "title", "text", "page", "score"}
        assert isinstance(c["n"], int) and isinstance(c["score"], float)
        assert c["page"] is None  # text files have no pages
        assert c["source"] == "innovent-iaso-fucaso-car-t-stake-2024.txt"


def test_chat_top_k_and_source_filter(api):
    src = "novartis-aws-cell-gene-therapy-manufacturing.txt"
    body = chat(api, question="What did Novartis set aside for gene therapy manufacturing?",
                top_k=2, sources=[src]).json()
    assert not body["abstained"]
    assert {c["source"] for c in body["citations"]} == {src}


def test_chat_abstains_when_the_documents_do_not_say(api):
    body = chat(api, question="How much did Pfizer pay to acquire Seagen?").json()
    assert body["abstained"] is True
    assert body["citations"] == []
    assert "don't cover" in body["answer"]


@pytest.mark.parametrize("body,needle", [
    ({"question": ""}, "must not be empty"),
    ({"question": "   \n\t "}, "must not be empty"),
    ({"question": "x" * 2001}, "limit is 2000"),
    ({"question": 42}, "valid string"),
    ({"question": ["a"]}, "valid string"),
    ({}, "Field required"),
    ({"question": "ok?", "top_k": 0}, "greater than or equal to 1"),
    ({"question": "ok?", "top_k": 21}, "less than or equal to 20"),
    ({"question": "ok?", "top_k": "5"}, "valid integer"),
    ({"question": "ok?", "sources": ["nope.txt"]}, "unknown source"),
])
def test_bad_requests_get_a_specific_422(api, body, needle):
    r = httpx.post(f"{api}/v1/chat", json=body, timeout=30)
    assert r.status_code == 422
    assert needle in r.text


def test_malformed_json_is_a_422(api):
    r = httpx.post(f"{api}/v1/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "JSON decode error" in r.text


def test_empty_index_answers_503_with_how_to_ingest(tmp_path, embedder):
    settings = make_settings(tmp_path, tmp_path / "corpus")
    assistant = Assistant(settings, ChunkStore(settings), embedder)
    with serve(create_app(settings, assistant)) as base:
        h = httpx.get(f"{base}/health")  # open to everyone: the same words for every reason
        assert h.status_code == 503 and h.json() == {"detail": "not ready"}
        r = httpx.post(f"{base}/v1/chat", json={"question": "Anything?"})
        assert r.status_code == 503 and "python -m ingest" in r.json()["detail"]
        assert httpx.get(f"{base}/v1/sources").status_code == 503


def test_chat_says_what_kind_of_answer_it_is(api):
    """answer_type (answered / hedged / abstained), shape and items, and for a table answer the
    records as data, every cell with its quote (issues 20 and 24)."""
    listed = chat(api, question="Which FDA designations has Fucaso been granted?").json()
    assert listed["answer_type"] == "answered" and listed["shape"] == "list"
    assert listed["items"] and all(i["citations"] for i in listed["items"])
    table = chat(api, question="What are the largest deals?").json()
    assert table["shape"] == "table" and table["answer_type"] == "answered"
    assert table["records"] and all(r["type"] == "deal" for r in table["records"])
    for r in table["records"]:
        assert all(cell["quote"] for cell in r["fields"].values())
    declined = chat(api, question="How much did Pfizer pay to acquire Seagen?").json()
    assert declined["answer_type"] == "abstained" and declined["records"] is None
