"""The Slack bot, end to end: signed requests posted to `/slack/events` of a real uvicorn server
running the real API over the real corpus, and a loopback stand-in for the Slack Web API
(`tests/fake_slack.py`) recording what the bot posts. Answers arrive after the acknowledgement,
so tests poll the fake's recorded calls (with a timeout), never sleep."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import re
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from assistant.api.app import create_app
from assistant.service.feedback import FeedbackStore
from assistant.slack import blocks
from assistant.slack.app import HELP, NOT_ENABLED, build_app
from assistant.slack.dedup import HandledEvents
from assistant.slack.text import clean_question, conversation_id, escape, split_text
from tests.fake_slack import BOT_ID, BOT_USER, TEAM, FakeSlack
from tests.server import serve

SECRET = "8f1c2e-test-signing-secret-b7d4"
BOT_TOKEN = "xoxb-1111-2222-test-bot-token-c9e1"
APP_TOKEN = "xapp-1-A0TEST-3333-test-app-token-f2a8"
CHANNEL = "C0GENERAL"  # in the allow-list
ELSEWHERE = "C0ELSEWHERE"  # not in it
DM = "D0ALICE"
ALICE = "U0ALICE"
MANIFEST = Path(__file__).resolve().parent.parent / "assistant" / "slack" / "manifest.yml"
_ts = itertools.count(1)


class CountingAssistant:
    """The real Assistant, counting questions; can be told to fail or to be slow."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.asked: list[tuple[str, dict]] = []
        self.fail_next = 0
        self.delay = 0.0
        self._lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def ask(self, question, **kwargs):
        with self._lock:
            self.asked.append((question, kwargs))
            fail, self.fail_next = self.fail_next > 0, max(0, self.fail_next - 1)
        if self.delay:
            time.sleep(self.delay)
        if fail:
            raise RuntimeError("simulated failure inside the assistant")
        return self.inner.ask(question, **kwargs)


class Bot:
    def __init__(self, base: str, fake: FakeSlack, assistant: CountingAssistant, settings) -> None:
        self.base, self.fake, self.assistant, self.settings = base, fake, assistant, settings

    # --- requests as Slack sends them -------------------------------------------------------

    def post(self, body: bytes, content_type: str, *, secret: str = SECRET, timestamp: int | None = None,
             headers: dict | None = None, base: str | None = None) -> httpx.Response:
        # Slack signs each retry anew, at the time it is sent (a later second than the first
        # delivery): an identical signature is a replay, which the server does not answer.
        retry = int((headers or {}).get("x-slack-retry-num", 0))
        ts = str(int(time.time()) + retry if timestamp is None else timestamp)
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        return httpx.post(f"{base or self.base}/slack/events", content=body, timeout=30, headers={
            "content-type": content_type, "x-slack-request-timestamp": ts,
            "x-slack-signature": signature, **(headers or {})})

    def event(self, event: dict, *, event_id: str | None = None, **kw) -> tuple[httpx.Response, str]:
        event_id = event_id or f"Ev{uuid.uuid4().hex[:12].upper()}"
        body = json.dumps({"token": "legacy-verification-token", "team_id": TEAM, "api_app_id": "A0TEST",
                           "type": "event_callback", "event_id": event_id,
                           "event_time": int(time.time()), "event": event}).encode()
        return self.post(body, "application/json", **kw), event_id

    def command(self, text: str, channel: str = CHANNEL, key: str | None = None) -> tuple[httpx.Response, str]:
        key = key or uuid.uuid4().hex
        body = urlencode({"token": "legacy", "team_id": TEAM, "team_domain": "test", "channel_id": channel,
                          "channel_name": "general", "user_id": ALICE, "user_name": "alice",
                          "command": "/ask", "text": text, "api_app_id": "A0TEST",
                          "response_url": f"{self.fake.base}/respond/{key}",
                          "trigger_id": f"trig.{key[:8]}"}).encode()
        return self.post(body, "application/x-www-form-urlencoded"), key

    def click(self, answer_id: str, helpful: bool, user: str = ALICE, channel: str = CHANNEL,
              message_ts: str = "1.0") -> tuple[httpx.Response, str]:
        key = uuid.uuid4().hex
        action = blocks.HELPFUL if helpful else blocks.NOT_HELPFUL
        payload = {"type": "block_actions", "team": {"id": TEAM, "domain": "test"},
                   "user": {"id": user, "username": "alice", "team_id": TEAM},
                   "api_app_id": "A0TEST", "token": "legacy", "trigger_id": f"trig.{key[:8]}",
                   "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                                 "is_ephemeral": False},
                   "channel": {"id": channel, "name": "general"},
                   "response_url": f"{self.fake.base}/respond/{key}",
                   "actions": [{"type": "button", "action_id": action, "block_id": "feedback",
                                "value": answer_id, "action_ts": str(time.time())}]}
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded"), key

    # --- what came back ---------------------------------------------------------------------

    def replies(self, channel: str, thread_ts: str, count: int = 1) -> list:
        return self.fake.wait_for("chat.postMessage", count=count, where=lambda c: (
            c.params.get("channel") == channel and c.params.get("thread_ts") == thread_ts))

    def posted_in(self, channel: str, thread_ts: str) -> list:
        return self.fake.recorded("chat.postMessage", lambda c: (
            c.params.get("channel") == channel and c.params.get("thread_ts") == thread_ts))

    def sentinel(self) -> None:
        """A question that must be answered: everything posted before it has been handled."""
        ts = new_ts()
        r, _ = self.event(mention("Which FDA designations has Fucaso been granted?", ts))
        assert r.status_code == 200
        self.replies(CHANNEL, ts)


def new_ts() -> str:
    return f"{int(time.time())}.{next(_ts):06d}"


def mention(text: str, ts: str, channel: str = CHANNEL, thread_ts: str | None = None,
            user: str = ALICE, **extra) -> dict:
    ev = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts,
          "channel": channel, "team": TEAM, "event_ts": ts, **extra}
    if thread_ts:
        ev["thread_ts"] = thread_ts
    return ev


def dm(text: str, ts: str, thread_ts: str | None = None, user: str = ALICE, **extra) -> dict:
    ev = {"type": "message", "channel_type": "im", "channel": DM, "user": user, "text": text,
          "ts": ts, "event_ts": ts, "team": TEAM, **extra}
    if thread_ts:
        ev["thread_ts"] = thread_ts
    return ev


def all_text(call) -> str:
    """Every mrkdwn text of a posted message's blocks."""
    out = []
    for b in call.params.get("blocks") or []:
        if b["type"] == "section":
            out.append(b["text"]["text"])
        elif b["type"] == "context":
            out.extend(e.get("text", "") for e in b["elements"])
    return "\n".join(out)


def answer_id_of(call) -> str:
    actions = [b for b in call.params["blocks"] if b["type"] == "actions"]
    assert actions, "an answer carries feedback buttons"
    values = {e["value"] for e in actions[0]["elements"]}
    assert len(values) == 1
    return values.pop()


@pytest.fixture(scope="module")
def fake():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture(scope="module")
def slack_settings(indexed, fake):
    settings, _, _ = indexed
    return settings.model_copy(update={
        "slack_bot_token": SecretStr(BOT_TOKEN), "slack_signing_secret": SecretStr(SECRET),
        "slack_api_url": fake.api_url, "slack_allowed_channels": [CHANNEL]})


@pytest.fixture(scope="module")
def bot(indexed, fake, slack_settings):
    _, _, assistant = indexed
    counting = CountingAssistant(assistant)
    with serve(create_app(slack_settings, counting)) as base:
        yield Bot(base, fake, counting, slack_settings)


# --- events ---------------------------------------------------------------------------------


def test_mention_is_answered_in_its_thread(bot):
    ts = new_ts()
    r, _ = bot.event(mention("Which FDA designations has Fucaso been granted?", ts))
    assert r.status_code == 200
    [reply] = bot.replies(CHANNEL, ts)
    assert reply.auth == f"Bearer {BOT_TOKEN}"  # the token from settings
    assert bot.fake.recorded("auth.test")  # Bolt learns its own ids on the first event
    text = all_text(reply)
    assert "orphan drug" in text
    assert re.search(r"\[1\]", text)
    assert "*Sources*" in text
    assert "Innovent" in text  # a citation's document title
    assert "orphan drug" in reply.params["text"]  # the plain-text fallback
    assert reply.params["unfurl_links"] is False
    answer_id_of(reply)


def test_acknowledged_within_three_seconds_and_answered_after(bot):
    ts = new_ts()
    bot.assistant.delay = 3.5  # a slow answer (an LLM generator, say)
    try:
        start = time.monotonic()
        r, _ = bot.event(mention("Which FDA designations has Fucaso been granted?", ts))
        acked = time.time()
        assert r.status_code == 200
        assert time.monotonic() - start < 3.0
        [reply] = bot.replies(CHANNEL, ts)
        assert reply.at > acked
    finally:
        bot.assistant.delay = 0.0


def test_direct_message_and_its_thread_follow_up(bot, indexed):
    ts = new_ts()
    r, _ = bot.event(dm("What cell therapy deals did AstraZeneca do in 2023?", ts))
    assert r.status_code == 200
    [first] = bot.replies(DM, ts)
    assert "Gracell" in all_text(first)

    # A reply in the thread is a follow-up: rewritten with the thread's earlier question.
    r, _ = bot.event(dm("And what did Novartis do?", new_ts(), thread_ts=ts))
    assert r.status_code == 200
    [_, second] = bot.replies(DM, ts, count=2)
    text = all_text(second)
    assert "Read as: _What cell therapy deals did Novartis do in 2023?_" in text
    assert "Legend Biotech" in text
    conv = conversation_id(TEAM, DM, ts)
    assert re.fullmatch(r"[A-Za-z0-9_.:-]{1,128}", conv)
    history = indexed[2].conversations.history(conv)
    assert [t.standalone for t in history] == ["What cell therapy deals did AstraZeneca do in 2023?",
                                               "What cell therapy deals did Novartis do in 2023?"]


def test_channel_thread_follow_up_that_mentions_the_bot(bot):
    root = new_ts()
    bot.event(mention("What cell therapy deals did AstraZeneca do in 2023?", root))
    bot.replies(CHANNEL, root)
    bot.event(mention("And what did Novartis do?", new_ts(), thread_ts=root))
    [_, follow] = bot.replies(CHANNEL, root, count=2)
    assert "Legend Biotech" in all_text(follow)
    question, kwargs = bot.assistant.asked[-1]
    assert question == "And what did Novartis do?"
    assert kwargs["conversation_id"] == f"slack-{TEAM}-{CHANNEL}-{root}"

    # The same words as a new question (not in the thread) have no context.
    alone = new_ts()
    bot.event(mention("And what did Novartis do?", alone))
    [reply] = bot.replies(CHANNEL, alone)
    assert "Read as" not in all_text(reply)


def test_abstention_says_the_documents_do_not_cover_it(bot):
    ts = new_ts()
    bot.event(mention("How much did Pfizer pay to acquire Seagen?", ts))
    [reply] = bot.replies(CHANNEL, ts)
    text = all_text(reply)
    assert "The documents don't cover this." in text
    assert "*Sources*" not in text
    answer_id_of(reply)  # a wrong abstention can be reported too


def test_a_mention_without_a_question_gets_help(bot):
    ts = new_ts()
    before = len(bot.assistant.asked)
    bot.event(mention("", ts))
    [reply] = bot.replies(CHANNEL, ts)
    assert "/ask" in reply.params["text"]
    assert len(bot.assistant.asked) == before


# --- slash command ----------------------------------------------------------------------------


def test_slash_command_answers_privately(bot):
    before_posts = len(bot.fake.recorded("chat.postMessage"))
    r, key = bot.command("Which FDA designations has Fucaso been granted?")
    assert r.status_code == 200 and r.text == ""  # acknowledged; the answer follows
    [resp] = bot.fake.wait_for("respond", where=lambda c: c.path.endswith(key))
    assert resp.params["response_type"] == "ephemeral"
    assert resp.params["replace_original"] is False
    text = all_text(resp)
    assert "*Question:* Which FDA designations has Fucaso been granted?" in text
    assert "orphan drug" in text and "*Sources*" in text
    answer_id_of(resp)
    posted = bot.fake.recorded("chat.postMessage")[before_posts:]
    assert not [c for c in posted if "orphan drug" in str(c.params) and c.params.get("channel") == CHANNEL
                and "thread_ts" not in c.params]


def test_slash_command_without_text_gets_usage(bot):
    before = len(bot.assistant.asked)
    r, _ = bot.command("   ")
    assert r.status_code == 200
    assert r.json() == {"response_type": "ephemeral", "text": HELP}
    assert len(bot.assistant.asked) == before


# --- never twice ------------------------------------------------------------------------------


def test_slack_retries_are_not_answered_twice(bot):
    ts = new_ts()
    ev = mention("Which FDA designations has Fucaso been granted?", ts)
    r, event_id = bot.event(ev)
    assert r.status_code == 200
    bot.replies(CHANNEL, ts)
    before = len(bot.assistant.asked)
    # The same event again, and as Slack's retries after a timeout.
    assert bot.event(ev, event_id=event_id)[0].status_code == 200
    for n in (1, 2):
        r, _ = bot.event(ev, event_id=event_id,
                         headers={"x-slack-retry-num": str(n), "x-slack-retry-reason": "http_timeout"})
        assert r.status_code == 200
    bot.sentinel()
    assert len(bot.posted_in(CHANNEL, ts)) == 1
    assert len(bot.assistant.asked) == before + 1  # the sentinel only


def test_a_retry_to_another_api_process_is_not_answered_again(bot, indexed, slack_settings):
    ts = new_ts()
    ev = mention("Which FDA designations has Fucaso been granted?", ts)
    _, event_id = bot.event(ev)
    bot.replies(CHANNEL, ts)
    before = len(bot.assistant.asked)
    # A second API process (its own Bolt app and claim cache) over the same store.
    with serve(create_app(slack_settings, bot.assistant)) as other:
        r, _ = bot.event(ev, event_id=event_id, base=other, headers={"x-slack-retry-num": "1"})
        assert r.status_code == 200
        ts2 = new_ts()  # while a new event to the second process is answered
        bot.event(mention("Which FDA designations has Fucaso been granted?", ts2), base=other)
        bot.replies(CHANNEL, ts2)
    assert len(bot.posted_in(CHANNEL, ts)) == 1
    assert len(bot.assistant.asked) == before + 1


def test_a_direct_mention_delivered_as_two_events_is_answered_once(bot):
    ts = new_ts()
    text = f"<@{BOT_USER}> Which FDA designations has Fucaso been granted?"
    bot.event(dm(text, ts))
    bot.event({"type": "app_mention", "user": ALICE, "text": text, "ts": ts, "channel": DM,
               "team": TEAM, "event_ts": ts})
    bot.replies(DM, ts)
    bot.sentinel()
    assert len(bot.posted_in(DM, ts)) == 1


@pytest.mark.parametrize("name,event", [
    ("own message", lambda ts: dm("Here is what I found [1].", ts, user=BOT_USER, bot_id=BOT_ID)),
    ("own message in a channel thread", lambda ts: mention("Which FDA designations has Fucaso been granted?",
                                                           ts, user=BOT_USER, bot_id=BOT_ID)),
    ("another bot", lambda ts: dm("Which FDA designations has Fucaso been granted?", ts,
                                  user="U0OTHERBOT", bot_id="B0OTHER", subtype="bot_message")),
    ("another bot's mention", lambda ts: mention("Which FDA designations has Fucaso been granted?", ts,
                                                 user="U0OTHERBOT", bot_id="B0OTHER",
                                                 bot_profile={"id": "B0OTHER", "name": "other"})),
    ("message edit", lambda ts: {"type": "message", "subtype": "message_changed", "channel_type": "im",
                                 "channel": DM, "ts": ts, "event_ts": ts, "hidden": True,
                                 "message": {"type": "message", "user": ALICE, "ts": "1.1",
                                             "text": "Which FDA designations has Fucaso been granted?",
                                             "edited": {"user": ALICE, "ts": ts}},
                                 "previous_message": {"type": "message", "user": ALICE, "ts": "1.1",
                                                      "text": "Which FDA designations?"}}),
    ("edited mention", lambda ts: mention("Which FDA designations has Fucaso been granted?", ts,
                                          edited={"user": ALICE, "ts": ts})),
    ("deleted message", lambda ts: {"type": "message", "subtype": "message_deleted", "channel_type": "im",
                                    "channel": DM, "ts": ts, "deleted_ts": "1.1", "hidden": True}),
    ("channel message without a mention", lambda ts: {
        "type": "message", "channel_type": "channel", "channel": CHANNEL, "user": ALICE, "ts": ts,
        "text": "Which FDA designations has Fucaso been granted?"}),
])
def test_events_that_are_ignored(bot, name, event):
    ts = new_ts()
    before = len(bot.assistant.asked)
    r, _ = bot.event(event(ts))
    assert r.status_code == 200, name  # acknowledged, so Slack does not retry it
    bot.sentinel()
    assert len(bot.assistant.asked) == before + 1, name
    assert not bot.fake.recorded("chat.postMessage", lambda c: c.params.get("thread_ts") == ts), name


# --- security ---------------------------------------------------------------------------------


def test_bad_signatures_and_stale_timestamps_are_refused(bot):
    before_asked = len(bot.assistant.asked)
    before_calls = len(bot.fake.recorded())
    ts = new_ts()
    ev = mention("Which FDA designations has Fucaso been granted?", ts)
    r, _ = bot.event(ev, secret="not-the-signing-secret")
    assert r.status_code == 401
    r, _ = bot.event(ev, timestamp=int(time.time()) - 6 * 60)  # correctly signed, but stale
    assert r.status_code == 401
    r = httpx.post(f"{bot.base}/slack/events", json={"type": "event_callback", "event": ev})  # unsigned
    assert r.status_code == 401
    r, _ = bot.command("Which FDA designations has Fucaso been granted?")
    assert r.status_code == 200  # (control: a signed request passes)
    bot.fake.wait_for("respond", count=1, where=lambda c: "Fucaso" in str(c.params))
    r = bot.post(b"payload=%7B%7D", "application/x-www-form-urlencoded", secret="wrong")
    assert r.status_code == 401
    bot.sentinel()
    assert len(bot.assistant.asked) == before_asked + 2  # the control and the sentinel
    assert not bot.posted_in(CHANNEL, ts)
    new_calls = bot.fake.recorded()[before_calls:]
    assert not [c for c in new_calls if c.params.get("thread_ts") == ts]


def test_url_verification(bot):
    body = json.dumps({"token": "legacy", "challenge": "3eZbrw1aB", "type": "url_verification"}).encode()
    r = bot.post(body, "application/json")
    assert r.status_code == 200 and "3eZbrw1aB" in r.text
    assert bot.post(body, "application/json", secret="wrong").status_code == 401


def test_channels_outside_the_allow_list_are_not_answered(bot):
    before = len(bot.assistant.asked)
    ts = new_ts()
    r, _ = bot.event(mention("Which FDA designations has Fucaso been granted?", ts, channel=ELSEWHERE))
    assert r.status_code == 200
    [notice] = bot.fake.wait_for("chat.postEphemeral", where=lambda c: c.params.get("channel") == ELSEWHERE)
    assert notice.params["user"] == ALICE and "not enabled" in notice.params["text"]
    r, _ = bot.command("Which FDA designations has Fucaso been granted?", channel=ELSEWHERE)
    assert r.json() == {"response_type": "ephemeral", "text": NOT_ENABLED}
    bot.sentinel()  # the allowed channel is answered; DMs are always allowed (tested above)
    assert len(bot.assistant.asked) == before + 1
    assert not bot.fake.recorded("chat.postMessage", lambda c: c.params.get("channel") == ELSEWHERE)


def test_tokens_and_secret_never_reach_logs_or_messages(bot, caplog):
    caplog.set_level(logging.DEBUG)
    ts = new_ts()
    bot.event(mention("Which FDA designations has Fucaso been granted?", ts))
    bot.replies(CHANNEL, ts)
    _, key = bot.command("What is TECELRA?")
    bot.fake.wait_for("respond", where=lambda c: c.path.endswith(key))
    bot.event(mention("x", new_ts()), secret="wrong")
    bot.sentinel()
    assert any(r.name.startswith(("slack_bolt", "slack_sdk")) for r in caplog.records)  # were logging
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (BOT_TOKEN, SECRET, BOT_TOKEN.split("-", 1)[1]):
        assert secret not in logged
        assert not [c for c in bot.fake.recorded() if secret in json.dumps(c.params)]
    # the Settings object masks them too
    assert BOT_TOKEN not in repr(bot.settings) and SECRET not in repr(bot.settings)


# --- feedback ---------------------------------------------------------------------------------


def test_feedback_buttons_are_recorded_for_the_eval_tool(bot, indexed):
    _, store, _ = indexed
    ts = new_ts()
    question = "Which FDA designations has Fucaso been granted?"
    bot.event(mention(question, ts))
    [reply] = bot.replies(CHANNEL, ts)
    answer_id = answer_id_of(reply)

    r, key = bot.click(answer_id, helpful=False)
    assert r.status_code == 200
    [thanks] = bot.fake.wait_for("respond", where=lambda c: c.path.endswith(key))
    assert thanks.params["response_type"] == "ephemeral" and "not helpful" in thanks.params["text"]
    feedback = FeedbackStore(store.client, bot.settings.collection_prefix)  # what `eval feedback` reads
    [fb] = [f for f in feedback.all() if answer_id in f.id]
    assert (fb.channel, fb.helpful, fb.user, fb.question) == ("slack", False, ALICE, question)
    assert "orphan drug" in fb.answer
    # the stored answer is what was shown, list items drawn as Slack bullets
    shown = fb.answer.replace("\n- ", "\n• ").removeprefix("- ")
    assert shown.split("\n")[0].removeprefix("• ") in all_text(reply)
    assert fb.citations and {"n", "source", "title", "text", "page"} <= set(fb.citations[0])
    assert fb.conversation_id == f"slack-{TEAM}-{CHANNEL}-{ts}"

    # Changing one's mind replaces the vote; another person's vote is separate.
    _, key = bot.click(answer_id, helpful=True)
    bot.fake.wait_for("respond", where=lambda c: c.path.endswith(key))
    _, key = bot.click(answer_id, helpful=True, user="U0BOB")
    bot.fake.wait_for("respond", where=lambda c: c.path.endswith(key))
    votes = {f.user: f.helpful for f in feedback.all() if answer_id in f.id}
    assert votes == {ALICE: True, "U0BOB": True}

    _, key = bot.click("0" * 32, helpful=True)  # an unknown answer: nothing stored, user told
    [reply] = bot.fake.wait_for("respond", where=lambda c: c.path.endswith(key))
    assert "no longer have that answer" in reply.params["text"]


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [{"status": 500}, {"error": "channel_not_found"}])
def test_a_failing_slack_api_is_logged_and_the_bot_stays_up(bot, caplog, failure):
    caplog.set_level(logging.INFO, logger="assistant.slack")
    bot.fake.fail("chat.postMessage", times=1, **failure)
    ts = new_ts()
    r, event_id = bot.event(mention("Which FDA designations has Fucaso been granted?", ts))
    assert r.status_code == 200
    bot.replies(CHANNEL, ts)  # the attempt that failed
    deadline = time.monotonic() + 30
    while not [m for m in caplog.messages if event_id in m and "chat_postMessage failed" in m]:
        assert time.monotonic() < deadline, caplog.text
        time.sleep(0.02)
    bot.sentinel()  # the next question is answered


def test_slack_unreachable_on_the_first_event_leaves_it_for_slacks_retry(bot, slack_settings, caplog):
    caplog.set_level(logging.INFO, logger="assistant.slack")
    before = len(bot.assistant.asked)
    with serve(create_app(slack_settings, bot.assistant)) as fresh:  # has not called auth.test yet
        bot.fake.fail("auth.test", times=1, status=500)
        ts = new_ts()
        ev = mention("Which FDA designations has Fucaso been granted?", ts)
        r, event_id = bot.event(ev, base=fresh)
        assert r.status_code == 503  # not a 200: Slack delivers it again
        assert any("auth.test failed" in m and event_id in m for m in caplog.messages)
        assert len(bot.assistant.asked) == before
        r, _ = bot.event(ev, event_id=event_id, base=fresh, headers={"x-slack-retry-num": "1"})
        assert r.status_code == 200
        [reply] = bot.replies(CHANNEL, ts)
        assert "orphan drug" in all_text(reply)


def test_a_failing_answer_gets_a_short_message_in_the_thread(bot, caplog):
    caplog.set_level(logging.INFO, logger="assistant.slack")
    bot.assistant.fail_next = 1
    ts = new_ts()
    _, event_id = bot.event(mention("Which FDA designations has Fucaso been granted?", ts))
    [reply] = bot.replies(CHANNEL, ts)
    assert reply.params["text"].startswith("Sorry, I couldn't answer that")
    assert event_id in reply.params["text"]  # a reference to find the log entry
    assert "simulated failure" not in json.dumps(reply.params)  # no internals shown
    [record] = [r for r in caplog.records if "answering failed" in r.getMessage()]
    assert event_id in record.getMessage() and record.exc_info
    bot.sentinel()


# --- Socket Mode ------------------------------------------------------------------------------


def test_socket_mode_answers_over_a_websocket(indexed, fake):
    from websockets.sync.server import serve as ws_serve

    from assistant.slack.socket_mode import socket_mode_handler

    settings, _, assistant = indexed
    settings = settings.model_copy(update={  # no signing secret: nothing comes in over HTTP
        "slack_bot_token": SecretStr(BOT_TOKEN), "slack_app_token": SecretStr(APP_TOKEN),
        "slack_api_url": fake.api_url})
    ts = new_ts()
    envelope = {"envelope_id": uuid.uuid4().hex, "type": "events_api", "accepts_response_payload": False,
                "retry_attempt": 0, "retry_reason": "",
                "payload": {"team_id": TEAM, "api_app_id": "A0TEST", "type": "event_callback",
                            "event_id": f"Ev{uuid.uuid4().hex[:10]}", "event_time": int(time.time()),
                            "event": dm("Which FDA designations has Fucaso been granted?", ts)}}
    acks: list[dict] = []

    def session(ws):
        ws.send(json.dumps({"type": "hello", "num_connections": 1}))
        ws.send(json.dumps(envelope))
        for message in ws:
            acks.append(json.loads(message))

    with ws_serve(session, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        fake.ws_url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link"
        handler = socket_mode_handler(settings, assistant)
        handler.connect()
        try:
            [reply] = fake.wait_for("chat.postMessage", where=lambda c: c.params.get("thread_ts") == ts)
            assert "orphan drug" in all_text(reply)
            deadline = time.monotonic() + 10
            while not any(a.get("envelope_id") == envelope["envelope_id"] for a in acks):
                assert time.monotonic() < deadline, acks
                time.sleep(0.02)
            [opened] = fake.recorded("apps.connections.open")
            assert opened.auth == f"Bearer {APP_TOKEN}"
        finally:
            handler.close()
            server.shutdown()


def test_socket_mode_needs_the_app_token(indexed):
    from assistant.slack.socket_mode import socket_mode_handler

    settings, _, assistant = indexed
    with pytest.raises(ValueError, match="ASSISTANT_SLACK_APP_TOKEN"):
        socket_mode_handler(settings.model_copy(update={"slack_bot_token": SecretStr(BOT_TOKEN)}), assistant)


# --- configuration and manifest ---------------------------------------------------------------


def test_the_route_exists_only_when_slack_is_configured(indexed, slack_settings):
    settings, _, assistant = indexed
    paths = lambda app: {getattr(r, "path", None) for r in app.routes}  # noqa: E731
    assert "/slack/events" not in paths(create_app(settings, assistant))
    assert "/slack/events" in paths(create_app(slack_settings, assistant))
    with pytest.raises(ValueError, match="SIGNING_SECRET"):
        build_app(slack_settings.model_copy(update={"slack_signing_secret": None}), lambda: assistant)


def test_manifest_matches_the_handlers():
    m = yaml.safe_load(MANIFEST.read_text())
    events = m["settings"]["event_subscriptions"]
    assert set(events["bot_events"]) == {"app_mention", "message.im"}
    assert [c["command"] for c in m["features"]["slash_commands"]] == ["/ask"]
    urls = [events["request_url"], m["settings"]["interactivity"]["request_url"],
            m["features"]["slash_commands"][0]["url"]]
    assert all(u.endswith("/slack/events") for u in urls)
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert set(m["oauth_config"]["scopes"]["bot"]) == {"app_mentions:read", "chat:write", "commands",
                                                       "im:history"}


# --- formatting and pieces (no server) --------------------------------------------------------


def citation(n: int, text: str = "A passage sentence.", page: int | None = None) -> dict:
    return {"n": n, "source": f"doc{n}.pdf", "title": f"Document <{n}> & co", "text": text,
            "page": page, "score": 0.5, "section": None}


def test_long_answers_are_split_within_slacks_limits():
    sentence = "The facility & its <HEPA> filters were validated in 2023 [1]. "
    answer = (sentence * 60 + "\n\n") * 3  # about 11,000 characters
    response = {"answer": answer, "citations": [citation(i, "word " * 400, page=i) for i in range(1, 61)],
                "abstained": False, "question": "q?", "generator": "extractive"}
    messages = blocks.answer_messages(response, asked="q?", answer_id="abc")
    assert len(messages) == 2
    every = [b for m in messages for b in m.blocks]
    for m in messages:
        assert len(m.blocks) <= blocks.MAX_BLOCKS
        assert len(m.text) <= 4000  # the notification text; Slack truncates it at 4,000
        for b in m.blocks:
            if b["type"] == "section":
                assert 0 < len(b["text"]["text"]) <= blocks.SECTION_CHARS
    answer_sections = [b["text"]["text"] for b in every if b["type"] == "section"][:5]
    joined = " ".join(" ".join(answer_sections).split())
    assert joined.startswith(" ".join(escape(answer).split())[:5000])
    assert "&lt;HEPA&gt;" in joined and "&amp;" in joined  # escaped for mrkdwn
    assert [b["type"] for b in every].count("actions") == 1 and messages[-1].blocks[-1]["type"] == "actions"
    sources = [b["text"]["text"] for b in every if b["type"] == "section" and b["text"]["text"].startswith("*[")]
    assert len(sources) == 60
    assert sources[2].startswith("*[3]* *Document &lt;3&gt; &amp; co* · page 3\n> word word")
    assert len(sources[2]) < 300  # a short quote, readable on a phone


def test_abstention_and_fallback_formatting():
    response = {"answer": "The documents don't cover this. (No retrieved passage mentions Seagen.)",
                "citations": [], "abstained": True, "reason": "no retrieved passage mentions Seagen",
                "question": "How much did Pfizer pay for Seagen?", "generator": "extractive"}
    [m] = blocks.answer_messages(response, asked="How much did Pfizer pay for Seagen?")
    assert m.blocks[0]["text"]["text"] == ":mag: *The documents don't cover this.*"
    assert m.blocks[1]["elements"][0]["text"] == "No retrieved passage mentions Seagen."
    assert m.text.startswith("The documents don't cover this.")
    assert not [b for b in m.blocks if b["type"] == "actions"]  # no answer id, no buttons


def test_split_text_keeps_everything():
    text = "word " * 2000 + "x" * 4000 + " &amp; " * 500
    pieces = split_text(text, 3000)
    assert all(0 < len(p) <= 3000 for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
    for p in pieces:
        assert not re.search(r"&[a-z]{0,3}$", p)  # never cut inside an escape


def test_clean_question_and_conversation_ids():
    assert clean_question(f"<@{BOT_USER}>  What is   TECELRA?  ", BOT_USER) == "What is TECELRA?"
    assert clean_question(f"hey <@{BOT_USER}|assistant> see <https://x.io/a|this> in <#C1|deals> "
                          f"with <@U2|bob> &amp; <!here> &lt;3", BOT_USER) == \
        "hey see this in #deals with @bob & @here <3"
    assert clean_question(f"<@{BOT_USER}>", BOT_USER) == ""
    cid = conversation_id("T1", "C1", "1700000000.000100")
    assert cid == "slack-T1-C1-1700000000.000100"
    assert re.fullmatch(r"[A-Za-z0-9_.:-]{1,128}", conversation_id("T 1", "C/1", "9" * 200))


def test_slack_state_is_not_taken_for_an_index_generation(indexed):
    """An ingest drops every collection that `generation_names` lists; the bot's must survive."""
    from assistant.slack.feedback import AnswerLog

    settings, store, _ = indexed
    prefix = settings.collection_prefix
    HandledEvents(lambda: store.client, prefix).records.collection  # noqa: B018  (creates it)
    AnswerLog(store.client, prefix).records.collection  # noqa: B018
    names = {c if isinstance(c, str) else c.name for c in store.client.list_collections()}
    assert {f"{prefix}-slack-events", f"{prefix}-slack-answers"} <= names
    assert not [n for n in store.generation_names() if "slack" in n]


def test_socket_mode_command_explains_missing_tokens(tmp_path):
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_SLACK")}
    env["PYTHONPATH"] = str(root)
    r = subprocess.run([sys.executable, "-m", "assistant.slack"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "ASSISTANT_SLACK_APP_TOKEN" in r.stderr


def test_claims_are_first_come_across_instances_and_expire(indexed):
    _, store, _ = indexed
    prefix = f"dedup{uuid.uuid4().hex[:6]}"
    now = [1_000_000.0]
    instances = [HandledEvents(lambda: store.client, prefix, clock=lambda: now[0]) for _ in range(8)]
    results: list[bool] = []
    barrier = threading.Barrier(len(instances))

    def claim(h):
        barrier.wait()
        results.append(h.claim("event:Ev1"))

    threads = [threading.Thread(target=claim, args=(h,)) for h in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert instances[0].seen("event:Ev1")
    now[0] += 3601  # after an hour the claim has expired
    assert not instances[0].seen("event:Ev1")
    assert instances[1].claim("event:Ev1") is True


def test_unreported_premise_shows_what_the_documents_say():
    from assistant.slack.blocks import answer_messages

    response = {"answer": "The documents do not report “FDA” in this connection. What they do say: "
                          "China's NMPA approved BAT1806. [1]",
                "abstained": True, "reason": "no cited passage mentions “FDA”",
                "citations": [{"n": 1, "source": "a.html", "title": "A", "text": "China's NMPA "
                               "approved BAT1806.", "page": None, "score": 0.5, "section": None}]}
    text = json.dumps([m.blocks for m in answer_messages(response, asked="When did the FDA approve BAT1806?")])
    assert "NMPA approved BAT1806" in text



def test_requests_that_would_crash_the_parser_are_refused_before_it(bot):
    body = json.dumps({"type": "event_callback", "event": {}}).encode()
    r = httpx.post(f"{bot.base}/slack/events", content=body, headers={
        "content-type": "application/json", "x-slack-request-timestamp": "abc",
        "x-slack-signature": "v0=00"})
    assert r.status_code == 401 and "timestamp" in r.text
    raw, ts = b"\xff\xfe not utf-8", str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
    r = httpx.post(f"{bot.base}/slack/events", content=raw, headers={
        "content-type": "application/json", "x-slack-request-timestamp": ts, "x-slack-signature": sig})
    assert r.status_code == 400 and "UTF-8" in r.text
    deep = b"[" * 5000 + b"]" * 5000
    r = bot.post(deep, "application/json")
    assert r.status_code == 400 and "nests" in r.text
    r = bot.post(body, "application/json", secret="wrong-secret")
    assert r.status_code == 401


def test_a_replayed_slash_command_is_answered_once(bot):
    before = len(bot.assistant.asked)
    ts = int(time.time())
    body = urlencode({"token": "legacy", "team_id": TEAM, "team_domain": "test",
                      "channel_id": CHANNEL, "channel_name": "general", "user_id": ALICE,
                      "user_name": "alice", "command": "/ask", "text": "Who acquired Gracell?",
                      "api_app_id": "A0TEST", "response_url": f"{bot.fake.base}/respond/replay",
                      "trigger_id": "trig.replay"}).encode()
    first = bot.post(body, "application/x-www-form-urlencoded", timestamp=ts)
    again = bot.post(body, "application/x-www-form-urlencoded", timestamp=ts)
    assert first.status_code == 200 and again.status_code == 200
    deadline = time.time() + 30
    while len(bot.assistant.asked) == before and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    assert len(bot.assistant.asked) == before + 1


def test_a_table_answer_is_a_compact_cited_list(bot):
    """Issue 20 point 7: a table answer (one line per record, every cell cited) is drawn as
    Slack bullets, each line keeping its [n], with the sources below."""
    ts = new_ts()
    bot.event(mention("What are the largest deals?", ts))
    [reply] = bot.replies(CHANNEL, ts)
    text = all_text(reply)
    assert "The documents' tables hold" in text and "largest first" in text
    bullets = [line for line in text.split("\n") if line.startswith("• ")]
    assert len(bullets) >= 2 and all(re.search(r"\[\d+\]", b) for b in bullets)
    assert "Gracell" in bullets[0] and "*Sources*" in text
