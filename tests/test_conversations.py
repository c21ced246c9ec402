"""Conversations: follow-ups rewritten into standalone questions, history kept across restarts,
old conversations expired."""

from __future__ import annotations

import httpx

from assistant.api.app import create_app
from assistant.core.turn import Turn
from assistant.index.store import ChunkStore
from assistant.retrieval.followup import RuleRewriter
from assistant.service.assistant import Assistant
from assistant.service.conversations import ConversationStore
from tests.server import serve


def turn(standalone: str) -> Turn:
    return Turn(question=standalone, standalone=standalone, answer="...", abstained=False)


def test_rule_rewriter():
    r = RuleRewriter()
    h = [turn("What cell therapy deals did AstraZeneca do in 2023?")]
    assert r.rewrite("And what did Novartis do?", h) == "What cell therapy deals did Novartis do in 2023?"
    assert r.rewrite("What about Roche?", h) == "What cell therapy deals did Roche do in 2023?"
    assert r.rewrite("Which of those were in 2023?", [turn("Which therapies did the FDA approve?")]) \
        == "Which therapies did the FDA approve in 2023?"  # one question, never nested
    standalone = "Which FDA designations has Fucaso been granted?"
    assert r.rewrite(standalone, h) == standalone  # a complete question is left alone
    assert r.rewrite("And what did Novartis do?", []) == "And what did Novartis do?"


def test_follow_up_through_the_api_and_after_a_restart(indexed):
    settings, store, assistant = indexed
    with serve(create_app(settings, assistant)) as api:
        first = httpx.post(f"{api}/v1/chat", json={
            "question": "What cell therapy deals did AstraZeneca do in 2023?"}, timeout=60).json()
        assert "Gracell" in first["answer"]
    cid = first["conversation_id"]  # the server's id (the client sent none)
    # A new process over the same store (a restart) continues the conversation.
    restarted = Assistant(settings, ChunkStore(settings), assistant.embedder)
    with serve(create_app(settings, restarted)) as api:
        second = httpx.post(f"{api}/v1/chat", json={
            "question": "And what did Novartis do?", "conversation_id": cid}, timeout=60).json()
    assert second["question"] == "What cell therapy deals did Novartis do in 2023?"
    assert second["conversation_id"] == cid
    assert "Legend Biotech" in second["answer"]
    # Without the id, the same words are a new question.
    alone = restarted.ask("And what did Novartis do?")
    assert alone.standalone == "And what did Novartis do?"


def test_bad_conversation_id_is_a_422(indexed):
    settings, _, assistant = indexed
    with serve(create_app(settings, assistant)) as api:
        r = httpx.post(f"{api}/v1/chat", json={"question": "Hi?", "conversation_id": "bad id!"})
    assert r.status_code == 422 and "conversation_id" in r.text


def test_a_slack_thread_s_conversation_is_unknown_over_http(indexed):
    settings, _, assistant = indexed
    from assistant.slack.text import conversation_id

    cid = conversation_id("T1", "C1", "1700000000.000100")
    assistant.ask("What cell therapy deals did AstraZeneca do in 2023?", conversation_id=cid)
    with serve(create_app(settings, assistant)) as api:
        for path, body in (("/v1/chat", {"question": "And what about them?"}),
                           ("/v1/chat/stream", {"question": "And what about them?"}),
                           ("/v1/feedback", {"helpful": True, "question": "q", "answer": "a"})):
            r = httpx.post(f"{api}{path}", json={**body, "conversation_id": cid}, timeout=60)
            assert r.status_code == 404 and "AstraZeneca" not in r.text, (path, r.text)
    # the Slack thread's own history is untouched
    assert assistant.conversations.history(cid)[-1].question.startswith("What cell therapy deals")


def test_conversations_expire(indexed):
    _, store, _ = indexed
    now = [1_000_000.0]
    conversations = ConversationStore(store.client, "expiry-test", ttl_seconds=3600,
                                      clock=lambda: now[0])
    conversations.append("old", turn("What is TECELRA?"))
    assert len(conversations.history("old")) == 1
    now[0] += 3601
    assert conversations.history("old") == []  # expired, even before the sweep
    conversations.append("new", turn("What is HEPA?"))  # appending sweeps expired ones
    assert conversations.records.get("old") is None
    assert len(conversations.history("new")) == 1
