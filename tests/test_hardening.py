"""Red-team findings, each proved against real components: the real ingest pipeline and store,
and the real FastAPI app under a real uvicorn server on loopback."""

from __future__ import annotations

import json
import os
import socket

import httpx
import pytest

from assistant.api import limits
from assistant.api.app import create_app
from assistant.core.config import Settings
from assistant.index.store import ChunkStore
from ingest.pipeline import Ingestor
from tests.conftest import make_settings
from tests.server import serve

SECRET = "zorblatquux"


# --- 1. ingest never follows a symlink out of the folder -------------------------------------

def test_symlink_out_of_the_folder_is_skipped_and_reported(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "deal.txt").write_text(
        "Acme Bio licensed its antibody to Beta Pharma for 40 million dollars upfront.\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shadow").write_text(f"root password hash {SECRET} must never be indexed.\n")
    (outside / "more.txt").write_text(f"Another secret document mentioning {SECRET}.\n")
    os.symlink(outside / "shadow", corpus / "leak.txt")
    os.symlink(outside, corpus / "sub" / "elsewhere")  # a folder link out of the corpus
    os.symlink(corpus / "deal.txt", corpus / "sub" / "alias.txt")  # inside: harmless

    settings = make_settings(tmp_path, corpus)
    store = ChunkStore(settings)
    summary = Ingestor(settings, store, embedder, progress=False).run([corpus])

    failed = {f.path: f.reason for f in summary.failed}
    assert failed[str(corpus / "leak.txt")] == "symlink to a file outside the folder"
    assert failed[str(corpus / "sub" / "elsewhere")] == "symlink to a folder outside the folder"
    assert summary.files_new == 1  # the run went on with the real document
    texts = [r.text for r in store.iter_live()]
    assert texts and any("Acme Bio" in t for t in texts)
    assert not any(SECRET in t for t in texts)
    sources = {r.metadata["source"] for r in store.iter_live()}
    assert sources == {"deal.txt"}
    # the secret is not findable through retrieval either
    from assistant.service.assistant import Assistant

    passages = Assistant(settings, store, embedder).retriever.retrieve(SECRET, top_k=5)
    assert passages and not any(SECRET in p.text for p in passages)
    # the skip is remembered under the link's own name, never the target's
    assert set(store.failures()) == {"leak.txt", "sub/elsewhere"}


# --- 2. request bodies are limited ------------------------------------------------------------

@pytest.fixture(scope="module")
def small_limit_api(indexed):
    """The real app with a 5,000-byte body limit (the default is 1,000,000)."""
    settings, _, assistant = indexed
    with serve(create_app(settings.model_copy(update={"max_request_bytes": 5000}),
                          assistant)) as base:
        yield base, assistant


def feedback_body(**extra) -> dict:
    return {"helpful": True, "question": "Who bought what?", "answer": "Nobody.", **extra}


def test_the_limit_is_a_setting_with_a_default(monkeypatch):
    monkeypatch.delenv("ASSISTANT_MAX_REQUEST_BYTES", raising=False)
    assert Settings().max_request_bytes == 1_000_000
    monkeypatch.setenv("ASSISTANT_MAX_REQUEST_BYTES", "2048")
    assert Settings().max_request_bytes == 2048


def test_default_limit_rejects_a_large_body_with_content_length(indexed):
    settings, _, assistant = indexed
    assert settings.max_request_bytes == 1_000_000
    before = len(assistant.feedback.all())
    with serve(create_app(settings, assistant)) as base:
        body = json.dumps(feedback_body(comment="x" * 1_500_000)).encode()
        r = httpx.post(f"{base}/v1/feedback", content=body,
                       headers={"content-type": "application/json"}, timeout=60)
        assert r.status_code == 413
        assert "limit is 1000000 bytes" in r.json()["detail"]
        # a body under the limit still works
        ok = httpx.post(f"{base}/v1/feedback", json=feedback_body(), timeout=60)
        assert ok.status_code == 201
    assert len(assistant.feedback.all()) == before + 1  # only the small one was stored


def test_declared_length_is_rejected_before_the_body_is_sent(small_limit_api):
    """A Content-Length of 300 MB is answered 413 at once: the server does not wait for it."""
    base, assistant = small_limit_api
    before = len(assistant.feedback.all())
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /v1/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 300000000\r\n\r\n{\"helpful\": true, ")
        reply = s.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 413")
    assert '"detail": "request body too large' in reply
    assert len(assistant.feedback.all()) == before


def test_chunked_body_over_the_limit_is_rejected(small_limit_api):
    base, assistant = small_limit_api
    before = len(assistant.feedback.all())

    def chunks():
        yield b'{"helpful": true, "question": "q", "answer": "a", "comment": "'
        for _ in range(20):
            yield b"y" * 1000
        yield b'"}'

    for path in ("/v1/feedback", "/v1/chat"):
        r = httpx.post(f"{base}{path}", content=chunks(),
                       headers={"content-type": "application/json"}, timeout=60)
        assert r.status_code == 413, path
        assert "limit is 5000 bytes" in r.json()["detail"]
    assert len(assistant.feedback.all()) == before


def test_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit(small_limit_api):
    """The 413 arrives while the client is still sending (the body never ends)."""
    base, _ = small_limit_api
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /v1/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        for _ in range(6):
            s.sendall(b"3e8\r\n" + b"z" * 1000 + b"\r\n")  # 6,000 bytes, no final chunk
        reply = s.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 413")


def test_a_path_prefix_can_have_its_own_limit(small_limit_api, monkeypatch):
    base, assistant = small_limit_api
    before = len(assistant.feedback.all())
    monkeypatch.setitem(limits.PATH_LIMITS, "/v1/feedback", 50_000)
    big = feedback_body(comment="c" * 1900, answer="a" * 7_000,  # (answers: 8,000 at most)
                        citations=[{"n": 1, "source": "s.txt", "text": "t" * 9_000}])
    assert httpx.post(f"{base}/v1/feedback", json=big, timeout=60).status_code == 201
    assert httpx.post(f"{base}/v1/chat", json={"question": "q" * 1900, "top_k": 1,
                                                 "sources": ["s" * 8000]},
                      timeout=60).status_code == 413  # other paths keep the default
    monkeypatch.delitem(limits.PATH_LIMITS, "/v1/feedback")
    assert httpx.post(f"{base}/v1/feedback", json=big, timeout=60).status_code == 413
    assert len(assistant.feedback.all()) == before + 1


# --- 3. crafted JSON gets a 422 with a clear message, never a 500 -----------------------------

@pytest.fixture(scope="module")
def api(indexed):
    settings, _, assistant = indexed
    with serve(create_app(settings, assistant)) as base:
        yield base, assistant


def post_raw(base: str, path: str, text: str) -> httpx.Response:
    """Send JSON text exactly as written (httpx's json= refuses NaN and lone surrogates)."""
    return httpx.post(f"{base}{path}", content=text.encode("ascii"),
                      headers={"content-type": "application/json"}, timeout=60)


NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400"]
FEEDBACK = '"helpful": true, "question": "q?", "answer": "a."'


@pytest.mark.parametrize("number", NON_FINITE)
def test_non_finite_top_k_is_a_422(api, number):
    base, _ = api
    for path in ("/v1/chat", "/v1/chat/stream"):
        r = post_raw(base, path, f'{{"question": "x", "top_k": {number}}}')
        assert r.status_code == 422, (path, r.text)
        (err,) = r.json()["detail"]
        assert err["loc"] == ["body", "top_k"]
        assert "valid integer" in err["msg"]
        assert err["input"] in ("nan", "inf", "-inf")  # shown as text, not as invalid JSON


@pytest.mark.parametrize("number", NON_FINITE)
def test_non_finite_numbers_in_feedback_are_a_422(api, number):
    base, assistant = api
    before = len(assistant.feedback.all())
    for body in (f'{{{FEEDBACK}, "helpful": {number}}}',
                 f'{{{FEEDBACK}, "citations": [{{"n": 1, "score": {number}}}]}}'):
        r = post_raw(base, "/v1/feedback", body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["detail"]
    assert "not a finite number" in r.text
    assert len(assistant.feedback.all()) == before


def test_lone_surrogate_in_a_question_is_a_422(api):
    base, _ = api
    for question in (r"\ud800", r"What about \udfff Fucaso?", r"\ud83d"):
        for path in ("/v1/chat", "/v1/chat/stream"):
            r = post_raw(base, path, f'{{"question": "{question}"}}')
            assert r.status_code == 422, (path, r.text)
            (err,) = r.json()["detail"]
            assert err["loc"] == ["body", "question"]
            assert "lone surrogate" in err["msg"]
    # a valid pair (an emoji written as two escapes) is fine
    ok = post_raw(base, "/v1/chat", r'{"question": "Which FDA designations has Fucaso \ud83d\ude00?"}')
    assert ok.status_code == 200


def test_lone_surrogate_elsewhere_in_chat_is_a_422(api):
    base, _ = api
    r = post_raw(base, "/v1/chat", r'{"question": "ok?", "sources": ["a\ud800.txt"]}')
    assert r.status_code == 422 and "lone surrogate" in r.text
    # an error about another field still reports a surrogate input safely
    r = post_raw(base, "/v1/chat", r'{"question": "ok?", "top_k": "\ud800"}')
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "top_k"]
    r = post_raw(base, "/v1/chat", r'{"question": "ok?", "\ud800": 1}')  # as a field name
    assert r.status_code == 422 and "lone surrogate" in r.text


@pytest.mark.parametrize("field,value", [
    ("question", r'"\ud800"'),
    ("answer", r'"see \udc00 here"'),
    ("comment", r'"\ud800"'),
    ("standalone", r'"\ud800"'),
    ("citations", r'[{"text": "\ud800"}]'),
    ("citations", r'[{"\ud800": 1}]'),
])
def test_lone_surrogate_in_feedback_is_a_422(api, field, value):
    base, assistant = api
    before = len(assistant.feedback.all())
    r = post_raw(base, "/v1/feedback", f'{{{FEEDBACK}, "{field}": {value}}}')
    assert r.status_code == 422, r.text
    assert "lone surrogate" in r.text
    assert r.json()["detail"][0]["loc"][:2] == ["body", field]
    assert len(assistant.feedback.all()) == before


@pytest.mark.parametrize("helpful", ['"yes"', '"true"', "1", "0", '"false"', "null"])
def test_helpful_must_be_a_json_boolean(api, helpful):
    base, assistant = api
    before = len(assistant.feedback.all())
    r = post_raw(base, "/v1/feedback",
                 f'{{"helpful": {helpful}, "question": "q?", "answer": "a."}}')
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "helpful"]
    assert "valid boolean" in r.text
    assert len(assistant.feedback.all()) == before


def test_valid_feedback_is_stored_as_sent(api):
    base, assistant = api
    r = post_raw(base, "/v1/feedback",
                 '{"helpful": false, "question": "q? \\ud83d\\ude00", "answer": "a.", '
                 '"citations": [{"n": 1, "score": 0.5}]}')
    assert r.status_code == 201
    stored = {f.id: f for f in assistant.feedback.all()}[r.json()["id"]]
    assert stored.helpful is False and stored.question == "q? \U0001F600"


@pytest.mark.parametrize("depth", [100, 900])
def test_deeply_nested_json_is_a_422_not_a_500(api, depth):
    """Found while fixing 3: echoing or storing a deeply nested value exhausted the stack."""
    base, assistant = api
    before = len(assistant.feedback.all())
    nested = "[" * depth + "]" * depth
    r = post_raw(base, "/v1/chat", f'{{"question": {nested}}}')
    assert r.status_code == 422 and "valid string" in r.text
    r = post_raw(base, "/v1/feedback", f'{{{FEEDBACK}, "citations": [{{"x": {nested}}}]}}')
    assert r.status_code == 422 and "levels deep" in r.text
    assert len(assistant.feedback.all()) == before
