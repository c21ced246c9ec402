"""Answers the bot posted, kept so that a click on helpful / not helpful can record the question,
the answer and its citations (a button carries only a 2,000-character value: the answer's id).
Feedback goes to the same `FeedbackStore` as the web page's (channel "slack"), which
`python -m eval feedback` reads."""

from __future__ import annotations

import logging
import time
import uuid

from assistant.index.json_records import JsonRecords
from assistant.service.feedback import Feedback, FeedbackStore
from assistant.slack.dedup import collection_name

log = logging.getLogger(__name__)

ANSWER_TTL_SECONDS = 30 * 24 * 3600.0


class AnswerLog:
    def __init__(self, client, prefix: str, ttl: float = ANSWER_TTL_SECONDS, clock=time.time) -> None:
        self.records = JsonRecords(client, collection_name(prefix, "answers"))
        self.ttl = ttl
        self.clock = clock

    def save(self, *, asked: str, response: dict, user: str | None, channel: str | None,
             team: str | None, thread_ts: str | None = None) -> str:
        answer_id = uuid.uuid4().hex
        now = self.clock()
        self.records.put(answer_id, {
            "question": asked, "standalone": response.get("question"),
            "answer": response.get("answer", ""), "citations": response.get("citations", []),
            "abstained": response.get("abstained"), "generator": response.get("generator"),
            "conversation_id": response.get("conversation_id"), "user": user,
            "channel": channel, "team": team, "thread_ts": thread_ts, "at": now,
        }, {"at": now})
        try:
            self.records.delete({"at": {"$lt": now - self.ttl}})
        except Exception:
            log.warning("could not expire old Slack answers", exc_info=True)
        return answer_id

    def get(self, answer_id: str) -> dict | None:
        return self.records.get(answer_id)


def record(store: FeedbackStore, answers: AnswerLog, answer_id: str, helpful: bool,
           user: str | None) -> str | None:
    """Store one click; a second click by the same person on the same answer replaces the first.
    None when the answer is unknown (expired, or a forged value)."""
    answer = answers.get(answer_id) if answer_id else None
    if answer is None:
        return None
    fb = Feedback(helpful=helpful, question=answer["question"], answer=answer["answer"],
                  citations=answer["citations"], channel="slack",
                  standalone=answer.get("standalone"), user=user,
                  conversation_id=answer.get("conversation_id"),
                  id=f"slack-{answer_id}-{user or 'anonymous'}")
    return store.add(fb)
