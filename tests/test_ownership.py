"""Conversations and feedback belong to their key (issue 13, point 4), against a real server.

The original attack: posting "And what about them?" with another user's conversation id
returned that user's earlier question, and changed what their next follow-up searched.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid

import httpx
import pytest

from assistant.api.app import create_app
from assistant.auth.keys import KeyStore, hash_key
from assistant.core.turn import Turn
from assistant.index.store import ChunkStore
from assistant.service.assistant import Assistant
from assistant.service.conversations import ConversationStore, UnknownConversation
from assistant.service.responses import NO_INDEX
from tests.conftest import CORPUS, make_settings
from tests.server import serve

FIRST = "What cell therapy deals did AstraZeneca do in 2023?"
FOLLOW = "And what did Novartis do?"
REWRITTEN = "What cell therapy deals did Novartis do in 2023?"
UNKNOWN = {"detail": "unknown conversation"}
SERVER_ID = re.compile(r"[0-9a-f]{48}")  # 192 bits from `secrets`


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def owned(indexed, tmp_path_factory):
    """A server with authentication on and two reader keys: (base, key_a, key_b, assistant)."""
    settings, store, assistant = indexed
    tmp = tmp_path_factory.mktemp("owned")
    cfg = make_settings(tmp, settings.corpus_dir, chroma_path=settings.chroma_path, auth="on",
                        collection_prefix=f"own{uuid.uuid4().hex[:8]}",
                        rate_limit_chat_per_key="1000/minute",
                        rate_limit_chat_per_address="1000/minute",
                        rate_limit_feedback="1000/minute")
    keys = KeyStore(store.client, cfg.collection_prefix)
    key_a, _ = keys.create("alice", "reader", ["*"])
    key_b, _ = keys.create("bob", "reader", ["*"])
    with serve(create_app(cfg, assistant)) as base:
        yield base, key_a, key_b, assistant


def chat(base, key, path="/v1/chat", **body):
    return httpx.post(f"{base}{path}", json=body, headers=bearer(key), timeout=60)


def events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_another_key_cannot_read_or_continue_a_conversation(owned):
    base, key_a, key_b, assistant = owned
    r = chat(base, key_a, question=FIRST)
    assert r.status_code == 200 and "Gracell" in r.json()["answer"]
    cid = r.json()["conversation_id"]
    assert SERVER_ID.fullmatch(cid), cid
    stored = assistant.conversations.records.get(cid)
    assert stored["owner"].startswith("key:alice:") and len(stored["turns"]) == 1
    assert key_a not in json.dumps(stored) and hash_key(key_a) not in json.dumps(stored)

    # Bob, with Alice's id: the answer of an id that never existed, and nothing read or changed
    never = secrets.token_hex(24)
    for path in ("/v1/chat", "/v1/chat/stream"):
        theirs = chat(base, key_b, path, question=FOLLOW, conversation_id=cid)
        nobody = chat(base, key_b, path, question=FOLLOW, conversation_id=never)
        assert theirs.status_code == nobody.status_code == 404, (path, theirs.text)
        assert theirs.json() == nobody.json() == UNKNOWN
        assert "AstraZeneca" not in theirs.text
    assert assistant.conversations.records.get(cid) == stored  # history and time untouched
    assert assistant.conversations.records.get(never) is None  # and no conversation was made

    # Alice's follow-up still resolves against her own history
    r = chat(base, key_a, question=FOLLOW, conversation_id=cid)
    assert r.status_code == 200
    assert r.json()["question"] == REWRITTEN and r.json()["conversation_id"] == cid
    turns = assistant.conversations.history(cid)
    assert [t.question for t in turns] == [FIRST, FOLLOW]


def test_feedback_on_a_conversation_only_by_its_owner(owned):
    base, key_a, key_b, assistant = owned
    cid = chat(base, key_a, question=FIRST).json()["conversation_id"]
    body = {"helpful": True, "question": FIRST, "answer": "a", "conversation_id": cid}
    before = len(assistant.feedback.all())
    r = httpx.post(f"{base}/v1/feedback", json=body, headers=bearer(key_b))
    assert r.status_code == 404 and r.json() == UNKNOWN
    assert len(assistant.feedback.all()) == before
    r = httpx.post(f"{base}/v1/feedback", json={**body, "conversation_id": secrets.token_hex(24)},
                   headers=bearer(key_a))
    assert r.status_code == 404 and r.json() == UNKNOWN
    r = httpx.post(f"{base}/v1/feedback", json=body, headers=bearer(key_a))
    assert r.status_code == 201
    fb = next(f for f in assistant.feedback.all() if f.id == r.json()["id"])
    assert fb.user == "alice" and fb.owner.startswith("key:alice:") and fb.conversation_id == cid
    assert fb.owner == assistant.conversations.owner(cid)
    # feedback without a conversation is anyone's to give
    r = httpx.post(f"{base}/v1/feedback", json={**body, "conversation_id": None},
                   headers=bearer(key_b))
    assert r.status_code == 201


def test_ids_are_made_by_the_server(owned):
    base, key_a, _, assistant = owned
    # a client cannot pick a new id: an id the server did not make is unknown, and not created
    mine = f"my-own-{uuid.uuid4().hex}"
    r = chat(base, key_a, question=FIRST, conversation_id=mine)
    assert r.status_code == 404 and r.json() == UNKNOWN
    assert assistant.conversations.records.get(mine) is None
    # without an id: a fresh one each time, 192 random bits
    ids = {chat(base, key_a, question=FIRST).json()["conversation_id"] for _ in range(3)}
    assert len(ids) == 3 and all(SERVER_ID.fullmatch(i) for i in ids)
    assert len(ConversationStore.new_id()) * 4 >= 128
    # the stream tells the id in its first event and in its final one
    r = chat(base, key_a, "/v1/chat/stream", question=FIRST)
    evs = events(r.text)
    assert evs[0][0] == "question" and evs[-1][0] == "final"
    cid = evs[0][1]["conversation_id"]
    assert SERVER_ID.fullmatch(cid) and evs[-1][1]["conversation_id"] == cid
    r = chat(base, key_a, "/v1/chat/stream", question=FOLLOW, conversation_id=cid)
    assert events(r.text)[0][1]["standalone"] == REWRITTEN


def test_the_session_cookie_of_the_same_key_owns_the_same_conversations(owned):
    base, key_a, key_b, _ = owned
    cid = chat(base, key_a, question=FIRST).json()["conversation_id"]
    for key, expected in ((key_a, 200), (key_b, 404)):
        with httpx.Client(base_url=base, timeout=60) as c:
            csrf = c.post("/v1/session", json={"key": key}).json()["csrf_token"]
            r = c.post("/v1/chat", json={"question": FOLLOW, "conversation_id": cid},
                       headers={"x-csrf-token": csrf})
            assert r.status_code == expected, r.text
    assert r.json() == UNKNOWN


def test_a_revoked_key_s_name_reused_owns_nothing_of_the_old_key(indexed, tmp_path):
    settings, store, assistant = indexed
    cfg = make_settings(tmp_path, settings.corpus_dir, chroma_path=settings.chroma_path,
                        auth="on", collection_prefix=f"own{uuid.uuid4().hex[:8]}")
    keys = KeyStore(store.client, cfg.collection_prefix)
    old, _ = keys.create("carol", "reader", ["*"])
    with serve(create_app(cfg, assistant)) as base:
        cid = chat(base, old, question=FIRST).json()["conversation_id"]
        keys.revoke("carol")
        new, _ = keys.create("carol", "reader", ["*"])
        r = chat(base, new, question=FOLLOW, conversation_id=cid)
    assert r.status_code == 404 and r.json() == UNKNOWN


def test_without_keys_the_local_user_keeps_conversations(indexed):
    """Authentication off (`make run` on loopback): one local owner, same id rules."""
    settings, _, assistant = indexed
    foreign = assistant.conversations.new_id()
    assistant.conversations.append(foreign, Turn(question=FIRST, standalone=FIRST, answer="...",
                                                 abstained=False), owner="key:alice:0123")
    with serve(create_app(settings, assistant)) as base:
        first = httpx.post(f"{base}/v1/chat", json={"question": FIRST}, timeout=60).json()
        cid = first["conversation_id"]
        assert SERVER_ID.fullmatch(cid)
        assert assistant.conversations.owner(cid) == "local"
        r = httpx.post(f"{base}/v1/chat", json={"question": FOLLOW, "conversation_id": cid},
                       timeout=60)
        assert r.status_code == 200 and r.json()["question"] == REWRITTEN
        for other in ("chosen-by-client", foreign):  # unknown, or a key's: 404 here too
            r = httpx.post(f"{base}/v1/chat", json={"question": FOLLOW, "conversation_id": other},
                           timeout=60)
            assert r.status_code == 404 and r.json() == UNKNOWN
    assert len(assistant.conversations.history(foreign)) == 1


def test_slack_and_http_conversations_never_cross(indexed):
    settings, _, assistant = indexed
    from assistant.slack.text import conversation_id, owner

    slack = conversation_id("T9", "C9", "1700000000.000900")
    assistant.ask(FIRST, conversation_id=slack, owner=owner("T9"))
    assert assistant.conversations.owner(slack) == "slack:T9"
    # an HTTP caller's owner can neither read nor extend it, even in-process
    with pytest.raises(UnknownConversation):
        assistant.ask(FOLLOW, conversation_id=slack, owner="local")
    with pytest.raises(UnknownConversation):
        assistant.ask(FOLLOW, conversation_id=slack, owner=owner("T-other"))
    assert len(assistant.conversations.history(slack)) == 1
    # ... and Slack cannot continue an HTTP conversation
    with serve(create_app(settings, assistant)) as base:
        cid = httpx.post(f"{base}/v1/chat", json={"question": FIRST}, timeout=60).json()[
            "conversation_id"]
        # a Slack-owned conversation is unknown over HTTP by its owner, not only by its prefix
        unprefixed = assistant.conversations.new_id()
        assistant.ask(FIRST, conversation_id=unprefixed, owner=owner("T9"))
        r = httpx.post(f"{base}/v1/chat", json={"question": FOLLOW, "conversation_id": unprefixed},
                       timeout=60)
        assert r.status_code == 404 and r.json() == UNKNOWN
    with pytest.raises(UnknownConversation):
        assistant.ask(FOLLOW, conversation_id=cid, owner=owner("T9"))
    assert len(assistant.conversations.history(cid)) == 1


def test_health_says_nothing_about_documents(indexed, tmp_path, embedder):
    """/health is open to everyone: no names, no counts, and one generic body whatever the
    reason it cannot answer; the authenticated routes say why."""
    settings, _, assistant = indexed
    empty = make_settings(tmp_path, CORPUS, chroma_path=tmp_path / "empty-chroma")
    with serve(create_app(settings, assistant)) as base:
        assert httpx.get(f"{base}/health").text == '{"status":"ok"}'
    with serve(create_app(empty, Assistant(empty, ChunkStore(empty), embedder))) as base:
        h = httpx.get(f"{base}/health")
        assert h.status_code == 503 and h.text == '{"detail":"not ready"}'
        r = httpx.post(f"{base}/v1/chat", json={"question": FIRST}, timeout=60)
        assert r.status_code == 503 and r.json() == {"detail": NO_INDEX}
