"""Collections: document-level access (issue 13, points 3, 6 and 8).

Two collections (`alpha`, `beta`) beside the project corpus (`default`), each holding a document
with a fact of its own; two reader keys, each seeing one collection. For key A every path that
could show B's document is tried: answers and citations, the keyword index (a word only B has),
the source filter, `/v1/sources`, the documents API, the spelling suggestion, a follow-up, Slack;
and the audit line says which collections were searched. Real embedded Chroma, the packaged
embedder, a real server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from pydantic import SecretStr

from assistant.api.app import create_app
from assistant.auth.keys import KeyStore
from assistant.index.store import ChunkStore
from assistant.retrieval.hybrid import HybridRetriever
from assistant.service.assistant import Assistant
from ingest.pipeline import Ingestor
from tests.conftest import CORPUS, ROOT, make_settings
from tests.server import serve

A_DOC = "alpha/helion-borvexa-license.md"
B_DOC = "beta/marvell-zentrofix-acquisition.md"
A_TEXT = """# Helion Therapeutics licenses Borvexa to Quintar Pharma

Boston, March 4, 2024. Helion Therapeutics licensed its kinase inhibitor Borvexa to Quintar
Pharma for $310 million upfront. Quintar Pharma will run the Phase 3 trial of Borvexa in lung
cancer, and Helion Therapeutics keeps the rights to Borvexa in Japan.

The Borvexa agreement also includes milestone payments of up to $1.1 billion and royalties on
net sales. Helion Therapeutics said the upfront payment funds its research into two further
kinase inhibitors.
"""
B_TEXT = """# Marvell Biologics acquires Zentrofix from Obsidian Bio

Basel, June 12, 2024. Marvell Biologics acquired the antibody Zentrofix from Obsidian Bio for
$870 million. Zentrofix is made at the Kryptonel plant in Ireland, which Marvell Biologics takes
over with the deal.

Marvell Biologics plans to file Zentrofix with the FDA in 2025. Obsidian Bio will use the $870
million to fund its pipeline of antibody therapies.
"""
B_QUESTION = "How much did Marvell Biologics pay for Zentrofix?"
A_QUESTION = "How much did Quintar Pharma pay upfront for Borvexa?"


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def build_corpus(tmp) -> tuple:
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "alpha").mkdir()
    (corpus / "beta").mkdir()
    (corpus / A_DOC).write_text(A_TEXT, encoding="utf-8")
    (corpus / B_DOC).write_text(B_TEXT, encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def env(tmp_path_factory, embedder):
    """The corpus in `default`, alpha/ in `alpha`, beta/ in `beta`; a server with auth on; keys:
    reader A (alpha), reader B (beta), writer A (alpha), admin (all)."""
    tmp = tmp_path_factory.mktemp("collections")
    corpus = build_corpus(tmp)
    settings = make_settings(tmp, corpus, auth="on", rate_limit_chat_per_key="1000/minute",
                             rate_limit_chat_per_address="1000/minute")
    store = ChunkStore(settings)
    ing = Ingestor(settings, store, embedder, progress=False)
    # the project corpus (its top-level files) in `default`, each subfolder in its collection
    assert not ing.run([corpus / p.name for p in CORPUS.iterdir()], prune=False).failed
    assert not ing.run([corpus / "alpha"], collection="alpha").failed
    assert not ing.run([corpus / "beta"], collection="beta").failed
    assistant = Assistant(settings, store, embedder)
    keys = KeyStore(store.client, settings.collection_prefix)
    ka, _ = keys.create("reader-a", "reader", ["alpha"])
    kb, _ = keys.create("reader-b", "reader", ["beta"])
    wa, _ = keys.create("writer-a", "writer", ["alpha"])
    admin, _ = keys.create("root", "admin", ["*"])
    with serve(create_app(settings, assistant)) as base:
        yield {"base": base, "settings": settings, "store": store, "assistant": assistant,
               "a": ka, "b": kb, "wa": wa, "admin": admin}


def chat(env, key, question, **body):
    r = httpx.post(f"{env['base']}/v1/chat", json={"question": question, **body},
                   headers=bearer(env[key]), timeout=120)
    return r


# --- the index --------------------------------------------------------------------------------


def test_every_document_and_chunk_carries_its_collection(env):
    store = env["store"]
    live = store.live_docs()
    assert live[A_DOC]["collection"] == "alpha" and live[B_DOC]["collection"] == "beta"
    assert {d["collection"] for s, d in live.items() if "/" not in s} == {"default"}
    for rec in store.iter_live():
        assert rec.metadata["collection"] == live[rec.metadata["source"]]["collection"]


def test_retrieval_filters_in_the_store_query(env):
    retriever = HybridRetriever(env["store"], env["assistant"].embedder, env["settings"])
    # "Kryptonel" is a word only B's document has: a BM25-only hit
    for mode in ("bm25", "dense", "hybrid"):
        seen_all = {p.source for p in retriever.retrieve("Kryptonel plant", mode=mode)}
        assert B_DOC in seen_all, mode
        only_a = retriever.retrieve("Kryptonel plant", mode=mode, collections=["alpha"])
        assert all(p.source == A_DOC for p in only_a), (mode, [p.source for p in only_a])
        only_b = retriever.retrieve("Kryptonel plant", mode=mode, collections=["beta"])
        assert only_b and {p.source for p in only_b} == {B_DOC}, mode
    # with a source filter naming B's document, key A's scope finds nothing
    assert retriever.retrieve("Kryptonel", sources=[B_DOC], collections=["alpha"]) == []
    # the dense query itself carries the filter (a Chroma `where`), combined with a source filter
    view = retriever.snapshot(refresh=True)  # a fresh view: none of its scopes built yet
    wheres = []

    class Spy:
        def __init__(self, inner):
            self.inner = inner

        def query(self, **kw):
            wheres.append(kw.get("where"))
            return self.inner.query(**kw)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    for seg in view.segments:
        seg.collection = Spy(seg.collection)
    retriever.search("Zentrofix", mode="dense", view=view, collections=["alpha"])
    assert wheres and all(w == {"collection": {"$in": ["alpha"]}} for w in wheres), wheres
    wheres.clear()
    retriever.search("Zentrofix", mode="dense", view=view, collections=["alpha"], sources=[A_DOC])
    assert all(w == {"$and": [{"source": {"$in": [A_DOC]}}, {"collection": {"$in": ["alpha"]}}]}
               for w in wheres), wheres


def test_a_scoped_view_never_reaches_another_collection(env):
    retriever = HybridRetriever(env["store"], env["assistant"].embedder, env["settings"])
    view = retriever.snapshot()
    [b_passage, *_] = retriever.retrieve("Kryptonel", mode="bm25", collections=["beta"])
    scoped = view.scoped(["alpha"])
    assert scoped is view.scoped(["alpha"]) and view.scoped(None) is view
    assert set(scoped.docs) == {A_DOC}
    assert scoped.header(B_DOC) is None and view.header(B_DOC) is not None
    assert scoped.neighbor(b_passage, 0) is None and scoped.neighbor(b_passage, 1) is None
    assert scoped.fetch([b_passage.id]) == {}
    # the speller's vocabulary and document frequencies: only the visible documents
    vocab = set(scoped.vocabulary())
    assert "borvexa" in vocab and "zentrofix" not in vocab and "kryptonel" not in vocab
    assert scoped.doc_freq("zentrofix") == 0 and view.doc_freq("zentrofix") > 0
    # idf stays that of the whole index (a number, never a passage)
    assert scoped.idf("zentrofix") == view.idf("zentrofix")
    # `sources`
    assert set(retriever.sources(["alpha"])) == {A_DOC}
    assert B_DOC in retriever.sources()


# --- the API, with two keys -------------------------------------------------------------------


def test_each_key_is_answered_only_from_its_collection(env):
    r = chat(env, "b", B_QUESTION)
    assert r.status_code == 200
    assert "870" in r.json()["answer"] and {c["source"] for c in r.json()["citations"]} == {B_DOC}
    r = chat(env, "a", B_QUESTION)
    assert r.status_code == 200
    body = r.json()
    assert all(c["source"] == A_DOC for c in body["citations"])
    text = json.dumps(body)
    assert "870" not in text and "Obsidian" not in text and "Kryptonel" not in text
    # key A's own fact is answered
    r = chat(env, "a", A_QUESTION)
    assert "310" in r.json()["answer"] and {c["source"] for c in r.json()["citations"]} == {A_DOC}


def test_the_stream_is_scoped_too(env):
    with httpx.stream("POST", f"{env['base']}/v1/chat/stream", json={"question": B_QUESTION},
                      headers=bearer(env["a"]), timeout=120) as r:
        assert r.status_code == 200
        text = "".join(r.iter_text())
    # (the conversation id is random hex and may hold "870" itself: it is not what is checked)
    text = re.sub(r'"conversation_id": "[0-9a-f]*"', "", text)
    assert "event: final" in text and "870" not in text and B_DOC not in text


def test_a_source_of_another_collection_is_an_unknown_source(env):
    unknown = chat(env, "a", B_QUESTION, sources=["nope/no-such-document.md"])
    forbidden = chat(env, "a", B_QUESTION, sources=[B_DOC])
    assert unknown.status_code == forbidden.status_code == 422
    assert forbidden.json()["detail"].replace(B_DOC, "X") == \
        unknown.json()["detail"].replace("nope/no-such-document.md", "X")
    assert chat(env, "b", B_QUESTION, sources=[B_DOC]).status_code == 200


def test_sources_lists_only_the_keys_documents(env):
    base = env["base"]
    a = [s["source"] for s in httpx.get(f"{base}/v1/sources", headers=bearer(env["a"])).json()["sources"]]
    b = [s["source"] for s in httpx.get(f"{base}/v1/sources", headers=bearer(env["b"])).json()["sources"]]
    every = [s["source"] for s in httpx.get(f"{base}/v1/sources", headers=bearer(env["admin"])).json()["sources"]]
    assert a == [A_DOC] and b == [B_DOC] and {A_DOC, B_DOC} < set(every)


def test_documents_of_another_collection_are_not_found(env):
    base = env["base"]
    docs_a = httpx.get(f"{base}/v1/documents", headers=bearer(env["a"])).json()["documents"]
    assert [d["source"] for d in docs_a] == [A_DOC] and docs_a[0]["collection"] == "alpha"
    every = httpx.get(f"{base}/v1/documents", headers=bearer(env["admin"])).json()["documents"]
    b_id = next(d["id"] for d in every if d["source"] == B_DOC)
    missing = "0123456789abcdef"
    for suffix in ("", "/file"):
        r = httpx.get(f"{base}/v1/documents/{b_id}{suffix}", headers=bearer(env["a"]))
        nothing = httpx.get(f"{base}/v1/documents/{missing}{suffix}", headers=bearer(env["a"]))
        assert r.status_code == nothing.status_code == 404
        assert r.json()["detail"].replace(b_id, "X") == nothing.json()["detail"].replace(missing, "X")
        assert httpx.get(f"{base}/v1/documents/{b_id}{suffix}", headers=bearer(env["b"])).status_code == 200
    r = httpx.delete(f"{base}/v1/documents/{b_id}", headers=bearer(env["wa"]))
    nothing = httpx.delete(f"{base}/v1/documents/{missing}", headers=bearer(env["wa"]))
    assert r.status_code == nothing.status_code == 404
    assert r.json()["detail"].replace(b_id, "X") == nothing.json()["detail"].replace(missing, "X")
    assert B_DOC in env["store"].live_docs()


def test_a_misspelt_name_is_never_corrected_to_another_collections_name(env):
    q = "What did Marvell Biologics pay for Zentrofx?"
    b = chat(env, "b", q).json()
    assert any(c["searched"] == "Zentrofix" for c in b.get("corrections") or [])
    a = chat(env, "a", q).json()
    assert "zentrofix" not in json.dumps(a).lower()
    assert not any("Zentrofix" in c["searched"] for c in a.get("corrections") or [])


def test_a_follow_up_stays_in_the_keys_collection(env):
    first = chat(env, "a", A_QUESTION).json()
    assert "310" in first["answer"]
    conv = first["conversation_id"]  # server-made: clients never choose one
    follow = chat(env, "a", "And what about Zentrofix from Obsidian Bio?", conversation_id=conv)
    assert follow.status_code == 200
    body = follow.json()
    assert all(c["source"] == A_DOC for c in body["citations"])
    assert "870" not in json.dumps(body) and "Kryptonel" not in json.dumps(body)


def test_the_audit_line_records_the_collections_searched(env):
    chat(env, "a", A_QUESTION)
    chat(env, "admin", A_QUESTION)
    entries = httpx.get(f"{env['base']}/v1/audit", headers=bearer(env["admin"])).json()["entries"]
    a = [e for e in entries if e["route"] == "/v1/chat" and e["key"] == "reader-a"][-1]
    assert a["collections"] == ["alpha"] and a["cited"] == [A_DOC] and a["status"] == 200
    assert a["question"] == A_QUESTION and a["latency_ms"] > 0 and "time" in a
    root = [e for e in entries if e["route"] == "/v1/chat" and e["key"] == "root"][-1]
    assert root["collections"] == "*"
    sources = [e for e in entries if e["route"] == "/v1/sources" and e["key"] == "reader-b"]
    assert sources and sources[-1]["collections"] == ["beta"]


# --- uploads into a collection ----------------------------------------------------------------


def upload(env, key, name, data, collection=None):
    boundary = f"----c{uuid.uuid4().hex}"
    parts = []
    if collection is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="collection"\r\n\r\n'
                     f'{collection}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                 f'filename="{name}"\r\nContent-Type: text/plain\r\n\r\n'.encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return httpx.post(f"{env['base']}/v1/documents", content=body, timeout=120, headers={
        "content-type": f"multipart/form-data; boundary={boundary}", **bearer(env[key])})


def wait_job(env, key, job_id):
    deadline = time.time() + 180
    while time.time() < deadline:
        job = httpx.get(f"{env['base']}/v1/jobs/{job_id}", headers=bearer(env[key])).json()
        if job.get("status") in ("done", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(job)


def test_uploads_go_into_a_collection_the_writer_sees(env):
    data = b"Helion Therapeutics appointed Dana Whitlock as chief medical officer in May 2024.\n"
    r = upload(env, "wa", "helion-cmo.txt", data, collection="beta")
    assert r.status_code == 403 and "beta" in r.json()["detail"]
    r = upload(env, "wa", "helion-cmo.txt", data, collection="no such/name")
    assert r.status_code == 422 and "invalid collection name" in r.json()["detail"]
    r = upload(env, "wa", "helion-cmo.txt", data, collection="alpha")
    assert r.status_code == 202, r.text
    job_id, doc_id = r.json()["job_id"], r.json()["files"][0]["document_id"]
    # a key of another collection does not see the job
    assert httpx.get(f"{env['base']}/v1/jobs/{job_id}", headers=bearer(env["b"])).status_code == 404
    assert wait_job(env, "wa", job_id)["status"] == "done"
    assert env["store"].live_docs()["uploads/helion-cmo.txt"]["collection"] == "alpha"
    seen_a = {d["id"] for d in httpx.get(f"{env['base']}/v1/documents",
                                         headers=bearer(env["a"])).json()["documents"]}
    seen_b = {d["id"] for d in httpx.get(f"{env['base']}/v1/documents",
                                         headers=bearer(env["b"])).json()["documents"]}
    assert doc_id in seen_a and doc_id not in seen_b
    assert httpx.get(f"{env['base']}/v1/documents/{doc_id}", headers=bearer(env["b"])).status_code == 404
    r = chat(env, "b", "Who is the chief medical officer of Helion Therapeutics?").json()
    assert "Whitlock" not in json.dumps(r)
    r = chat(env, "a", "Who is the chief medical officer of Helion Therapeutics?").json()
    assert "Whitlock" in r["answer"]


# --- the ingest command -----------------------------------------------------------------------


def test_ingest_collection_option(tmp_path):
    folder = tmp_path / "deals"
    folder.mkdir()
    (folder / "borvexa.md").write_text(A_TEXT, encoding="utf-8")
    env = {**os.environ, "ASSISTANT_CHROMA_PATH": str(tmp_path / "chroma"),
           "ASSISTANT_CORPUS_DIR": str(tmp_path), "ASSISTANT_AUDIT_PATH": str(tmp_path / "a.jsonl")}

    def ingest(*args):
        return subprocess.run([sys.executable, "-m", "ingest", *args, "-q"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    bad = ingest(str(folder), "--collection", "no/such")
    assert bad.returncode == 2 and "invalid collection name" in bad.stderr
    ok = ingest(str(folder), "--collection", "deals")
    assert ok.returncode == 0, ok.stderr
    settings = make_settings(tmp_path, tmp_path)
    [doc] = ChunkStore(settings).live_docs().values()
    assert doc["collection"] == "deals"
    # a later run without --collection keeps it; --collection moves it (a new version)
    assert ingest(str(folder), "--if-stale").stderr.strip().endswith("index is up to date")
    moved = ingest(str(folder), "--collection", "cdmo", "--json")
    assert moved.returncode == 0 and json.loads(moved.stdout)["files_changed"] == 1
    store = ChunkStore(settings)
    [doc] = store.live_docs().values()
    assert doc["collection"] == "cdmo"
    assert {r.metadata["collection"] for r in store.iter_live()} == {"cdmo"}


def test_an_index_written_before_collections_reads_as_default(tmp_path, embedder):
    """Segments whose chunks have no `collection` (written before collections existed): their
    documents are `default`, and a scoped dense query filters them by document name."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "borvexa.md").write_text(A_TEXT, encoding="utf-8")
    (corpus / "zentrofix.md").write_text(B_TEXT, encoding="utf-8")
    settings = make_settings(tmp_path, corpus)
    store = ChunkStore(settings)
    Ingestor(settings, store, embedder, progress=False).run([corpus])
    # make it look old: no collection on records, chunks or the segment's marker
    state = store.state()
    [name] = state["segments"]
    col = store.segment(name)
    got = col.get(include=["documents", "metadatas", "embeddings"])
    col.delete(ids=got["ids"])
    col.add(ids=got["ids"], documents=got["documents"], embeddings=got["embeddings"],
            metadatas=[{k: v for k, v in m.items() if k != "collection"} for m in got["metadatas"]])
    assert not any("collection" in m for m in col.get(include=["metadatas"])["metadatas"])
    meta_path = store.keyword_dir / name / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta.pop("collections")
    meta_path.write_text(json.dumps(meta))
    records = [{k: v for k, v in d.items() if k != "collection"} for d in store.live_docs().values()]
    state["seq"] += 1
    store._manifest().delete(ids=[r["source"] for r in records])  # an upsert would merge
    store.commit(state, [dict(r, seq=state["seq"]) for r in records])
    retriever = HybridRetriever(ChunkStore(settings), embedder, settings)
    view = retriever.snapshot()
    assert {d.get("collection") for d in view.docs.values()} == {None}
    assert not view.segments[0].keyword.has_collections
    found = retriever.retrieve("Zentrofix acquisition", mode="dense", collections=["default"])
    assert "zentrofix.md" in {p.source for p in found}
    assert retriever.retrieve("Zentrofix acquisition", collections=["beta"]) == []
    assert set(retriever.sources(["default"])) == {"borvexa.md", "zentrofix.md"}
    assert retriever.sources(["beta"]) == {}


# --- Slack --------------------------------------------------------------------------------------


def test_slack_channels_search_only_their_mapped_collections(env):
    from tests.fake_slack import TEAM, FakeSlack
    from tests.test_slack import BOT_TOKEN, SECRET, Bot, all_text, mention, new_ts

    mapping = {"C0ALPHA": ["alpha"], "C0NOTHING": [], "default": ["beta"]}
    with FakeSlack() as fake:
        settings = env["settings"].model_copy(update={
            "slack_bot_token": SecretStr(BOT_TOKEN), "slack_signing_secret": SecretStr(SECRET),
            "slack_api_url": fake.api_url, "slack_allowed_channels": [],
            "slack_collections": mapping})
        with serve(create_app(settings, env["assistant"])) as base:
            bot = Bot(base, fake, env["assistant"], settings)
            ts = new_ts()
            assert bot.event(mention(B_QUESTION, ts, channel="C0ALPHA"))[0].status_code == 200
            [reply] = bot.replies("C0ALPHA", ts)
            assert "870" not in all_text(reply) and "Obsidian" not in all_text(reply)
            ts = new_ts()
            bot.event(mention(B_QUESTION, ts, channel="C0OTHER"))  # unmapped: "default" -> beta
            [reply] = bot.replies("C0OTHER", ts)
            assert "870" in all_text(reply)
            # a channel mapped to nothing is not answered, neither by mention nor by /ask
            ts = new_ts()
            bot.event(mention(B_QUESTION, ts, channel="C0NOTHING"))
            [notice] = fake.wait_for("chat.postEphemeral",
                                     where=lambda c: c.params.get("channel") == "C0NOTHING")
            assert "not enabled" in notice.params["text"]
            r, _ = bot.command(B_QUESTION, channel="C0NOTHING")
            assert "not enabled" in r.json()["text"]
            assert not fake.recorded("chat.postMessage",
                                     lambda c: c.params.get("channel") == "C0NOTHING")
    lines = [json.loads(x) for x in env["settings"].audit_path.read_text().splitlines()]
    slack = [e for e in lines if e.get("via") == "slack"]
    alpha = [e for e in slack if e["key"] == f"slack:{TEAM}/C0ALPHA"][-1]
    assert alpha["collections"] == ["alpha"] and alpha["question"] == B_QUESTION
    assert alpha["status"] == 200 and B_DOC not in alpha["cited"] and "latency_ms" in alpha
    other = [e for e in slack if e["key"] == f"slack:{TEAM}/C0OTHER"][-1]
    assert other["collections"] == ["beta"] and other["cited"] == [B_DOC]


def test_slack_collections_setting_is_validated(tmp_path, monkeypatch):
    from assistant.core.config import Settings

    s = Settings(chroma_path=tmp_path / "c", slack_collections={"C1": ["deals"], "default": ["*"]})
    assert s.slack_collections["C1"] == ["deals"]
    with pytest.raises(ValueError, match="invalid collection name"):
        Settings(chroma_path=tmp_path / "c", slack_collections={"C1": ["no such"]})
    monkeypatch.setenv("ASSISTANT_SLACK_COLLECTIONS", '{"C9": ["deals", "cdmo"]}')
    assert Settings(chroma_path=tmp_path / "c").slack_collections == {"C9": ["deals", "cdmo"]}
