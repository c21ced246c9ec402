"""The Bolt app: @mentions, direct messages, `/ask` and the feedback buttons.

Every question goes through `Assistant.ask` and `assistant.service.responses.build_response`, the path behind
`/v1/chat`; the answer is formatted by `blocks.answer_messages`.

- **@mention in a channel** (`app_mention`): answered in the thread of the question. A later
  mention in that thread continues the conversation (`slack-<team>-<channel>-<thread_ts>`), so the
  Assistant rewrites follow-ups into standalone questions using the thread's earlier questions.
- **Direct message** (`message.im`): every message is answered in its thread; replies in that
  thread are follow-ups.
- **`/ask QUESTION`**: answered privately (ephemeral, through the command's `response_url`).
- **Buttons**: helpful / not helpful, stored as `Feedback(channel="slack")`.

Ignored before acknowledging (so nothing is scheduled): the bot's own messages (Bolt), other bots,
edits and other message subtypes, channel messages that do not mention the bot, and events already
handled (`dedup.HandledEvents`, shared by all processes). Acknowledgement is immediate
(`process_before_response=False`): answering runs afterwards on the listener thread pool.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from pydantic import ValidationError
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from assistant.api.schemas import MAX_QUESTION_CHARS, ChatRequest
from assistant.auth.audit import AuditLog
from assistant.core.collections import scope, shown
from assistant.core.config import Settings
from assistant.service.responses import (
    build_response,  # the /v1/chat JSON: one answering path
)
from assistant.slack import blocks
from assistant.slack.blocks import HELPFUL, NOT_HELPFUL, Message
from assistant.slack.dedup import HandledEvents
from assistant.slack.feedback import AnswerLog, record
from assistant.slack.text import clean_question, conversation_id, owner, shorten

log = logging.getLogger(__name__)

ANSWER_THREADS = 8  # questions answered at once per process
ALLOWED_SUBTYPES = {None, "thread_broadcast", "file_share"}
HELP = ("Ask me a question about the documents, for example "
        "_Which FDA designations has Fucaso been granted?_ Mention me in a channel, write to me "
        "directly, or use `/ask QUESTION` for an answer only you can see.")
SLACK_DOWN = "I can't reach Slack's API right now; please try again in a minute."
NOT_ENABLED = "I'm not enabled in this channel. Ask me in a direct message or with `/ask` elsewhere."


def make_client(settings: Settings) -> WebClient:
    """The Web API client, with the bot token from settings and `slack_api_url` as base URL."""
    if settings.slack_bot_token is None:
        raise ValueError("ASSISTANT_SLACK_BOT_TOKEN is not set")
    base = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=base, timeout=15)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def build_app(settings: Settings, get_assistant: Callable[[], object], *,
              client: WebClient | None = None, socket_mode: bool = False) -> App:
    """A Bolt app answering with the Assistant that `get_assistant()` returns when a request
    arrives. HTTP mode verifies every request's signature with `slack_signing_secret` (a bad or
    stale one is a 401 before any handler runs); Socket Mode needs no signing secret."""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if not socket_mode and not secret:
        raise ValueError("ASSISTANT_SLACK_SIGNING_SECRET is not set (needed for the HTTP Events API)")
    bot = SlackBot(settings, get_assistant)
    app = App(
        client=client or make_client(settings),
        before_authorize=bot.ensure_identity,
        signing_secret=secret or None,
        token_verification_enabled=False,  # no auth.test at start-up; Bolt calls it on the first event
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=ANSWER_THREADS,
                                             thread_name_prefix="slack-answer"),
    )
    app.middleware(bot.skip_unwanted)
    app.event("app_mention")(bot.on_mention)
    app.event("message")(bot.on_message)
    app.command("/ask")(bot.on_ask)
    app.action(HELPFUL)(bot.on_feedback)
    app.action(NOT_HELPFUL)(bot.on_feedback)
    app.error(bot.on_error)
    app.bot = bot  # for tests and introspection
    return app


class SlackBot:
    def __init__(self, settings: Settings, get_assistant: Callable[[], object]) -> None:
        self.settings = settings
        self.get_assistant = get_assistant
        self.allowed = set(settings.slack_allowed_channels)
        self.events = HandledEvents(lambda: self.get_assistant().store.client,
                                    settings.collection_prefix)
        self._answers: AnswerLog | None = None
        self._answers_client = None
        self._identified = False
        self.audit = AuditLog.from_settings(settings)

    # --- shared state -------------------------------------------------------------------------

    @property
    def answers(self) -> AnswerLog:
        client = self.get_assistant().store.client
        if self._answers is None or client is not self._answers_client:
            self._answers = AnswerLog(client, self.settings.collection_prefix)
            self._answers_client = client
        return self._answers

    def channel_allowed(self, channel: str | None, is_dm: bool) -> bool:
        return is_dm or not self.allowed or channel in self.allowed

    def collections_for(self, team: str | None, channel: str | None):
        """The collections searched for a question in `channel` (ASSISTANT_SLACK_COLLECTIONS:
        the channel's entry, else its workspace's, else "default"): a tuple, None for every
        collection, or False when nothing is mapped there (the bot does not answer)."""
        mapping = self.settings.slack_collections
        if mapping is None:
            return None
        for where in (channel, team, "default"):
            if where and where in mapping:
                names = mapping[where]
                return scope(names) if names else False
        return False

    # --- before the acknowledgement -----------------------------------------------------------

    def ensure_identity(self, body, client, next):
        """Runs after signature verification, before Bolt's authorization: makes sure the bot's
        own ids are known (`auth.test`, once per process). If the Web API fails, Bolt would answer
        200 and the event would be lost; a 503 makes Slack deliver it again later instead."""
        if self._identified or body.get("type") in ("url_verification", "ssl_check"):
            return next()
        try:
            client.auth_test()
        except Exception as exc:
            detail = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            log.error("Slack auth.test failed (%s); event %s left for Slack to retry", detail,
                      body.get("event_id") or body.get("trigger_id") or "-")
            if body.get("type") == "event_callback":
                return BoltResponse(status=503, body="")
            return BoltResponse(status=200, body=json.dumps(
                {"response_type": "ephemeral", "text": SLACK_DOWN}),
                headers={"content-type": "application/json"})
        self._identified = True
        return next()

    def skip_unwanted(self, req, body, context, next):
        """Global middleware, after signature verification and Bolt's own-message filter: drops
        events not to be answered with a plain 200, so Slack does not retry them."""
        if body.get("type") != "event_callback":
            return next()
        event = body.get("event") or {}
        event_id = body.get("event_id")
        reason = self._skip_reason(event, context.bot_user_id)
        if reason:
            log.debug("Slack event %s ignored: %s", event_id, reason)
            return BoltResponse(status=200, body="")
        retry = (req.headers.get("x-slack-retry-num") or [None])[0]
        keys = [f"event:{event_id}"] if event_id else []
        if event.get("channel") and event.get("ts"):  # one message can arrive as two events
            keys.append(f"message:{event['channel']}:{event['ts']}")
        try:
            for key in keys:
                if not self.events.claim(key, {"event_id": event_id, "type": event.get("type")}):
                    log.info("Slack event %s already handled (%s, retry %s, reason %s): skipped",
                             event_id, key.split(":", 1)[0], retry,
                             (req.headers.get("x-slack-retry-reason") or ["-"])[0])
                    return BoltResponse(status=200, body="")
        except Exception:  # the store is down: answer anyway (answering will report the problem)
            log.exception("could not record Slack event %s as handled", event_id)
        return next()

    @staticmethod
    def _skip_reason(event: dict, bot_user_id: str | None) -> str | None:
        etype = event.get("type")
        if etype not in ("app_mention", "message"):
            return f"event type {etype}"
        if event.get("bot_id") or event.get("bot_profile") or event.get("subtype") == "bot_message":
            return "from a bot"
        if event.get("subtype") not in ALLOWED_SUBTYPES:
            return f"message subtype {event.get('subtype')}"
        if event.get("edited"):
            return "an edit"
        if not event.get("user") or (bot_user_id and event.get("user") == bot_user_id):
            return "no user, or the bot itself"
        if etype == "message" and event.get("channel_type") != "im":
            return "a channel message without a mention"
        if not event.get("channel") or not event.get("ts"):
            return "no channel or timestamp"
        return None

    # --- handlers (after the acknowledgement) -------------------------------------------------

    def on_mention(self, event, body, context, client):
        self._answer_event(event, body, context, client)

    def on_message(self, event, body, context, client):
        self._answer_event(event, body, context, client)

    def _answer_event(self, event: dict, body: dict, context, client: WebClient) -> None:
        channel, user, ts = event["channel"], event.get("user"), event["ts"]
        thread_ts = event.get("thread_ts") or ts
        team = body.get("team_id") or event.get("team")
        event_id = body.get("event_id") or f"{channel}:{ts}"
        is_dm = event.get("channel_type") == "im" or channel.startswith("D")
        collections = self.collections_for(team, channel)
        if not self.channel_allowed(channel, is_dm) or collections is False:
            log.info("Slack event %s: channel %s is not in the allow-list or maps to no "
                     "collection", event_id, channel)
            self._call(client.chat_postEphemeral, event_id, channel=channel, user=user,
                       **blocks.notice(NOT_ENABLED).kwargs())
            return
        question = clean_question(event.get("text", ""), context.bot_user_id)
        conv = conversation_id(team, channel, thread_ts)
        log.info("Slack event %s: answering in %s (thread %s)", event_id, channel, thread_ts)
        for message in self.answer(question, conv, ref=event_id, user=user, channel=channel,
                                   team=team, thread_ts=thread_ts, collections=collections):
            if not self._post(client, channel, thread_ts, message, event_id):
                break

    def on_ask(self, ack, command, respond, context):
        question = clean_question(command.get("text", ""), context.bot_user_id)
        channel = command.get("channel_id")
        is_dm = (command.get("channel_name") == "directmessage"
                 or (channel or "").startswith("D"))
        if not question:
            ack(response_type="ephemeral", text=HELP)
            return
        collections = self.collections_for(command.get("team_id"), channel)
        if not self.channel_allowed(channel, is_dm) or collections is False:
            ack(response_type="ephemeral", text=NOT_ENABLED)
            return
        ack()
        ref = command.get("trigger_id") or "slash-command"
        for message in self.answer(question, None, ref=ref, user=command.get("user_id"),
                                   channel=channel, team=command.get("team_id"), show_question=True,
                                   collections=collections, route="slack:/ask"):
            if not self._respond(respond, message, ref):
                break

    def on_feedback(self, ack, body, action, respond):
        ack()
        helpful = action.get("action_id") == HELPFUL
        user = (body.get("user") or {}).get("id")
        answer_id = str(action.get("value") or "")[:64]
        ref = f"feedback:{answer_id}"
        try:
            fid = record(self.get_assistant().feedback, self.answers, answer_id, helpful, user)
        except Exception:
            log.exception("could not record Slack feedback on answer %s", answer_id)
            self._respond(respond, blocks.notice(":warning: Sorry, I couldn't record that."), ref)
            return
        if fid is None:
            text = "I no longer have that answer, so I couldn't record your feedback."
        else:
            log.info("Slack feedback %s recorded (helpful=%s)", fid, helpful)
            text = (":thumbsup: Thanks, recorded as helpful." if helpful
                    else ":thumbsdown: Thanks, recorded as not helpful.")
        self._respond(respond, blocks.notice(text), ref)

    def on_error(self, error, body):
        log.error("Slack handler failed (event %s, type %s): %s: %s",
                  (body or {}).get("event_id"), (body or {}).get("type"),
                  type(error).__name__, error, exc_info=error)

    # --- answering ----------------------------------------------------------------------------

    def answer(self, question: str, conv: str | None, *, ref: str, user: str | None,
               channel: str | None, team: str | None, thread_ts: str | None = None,
               show_question: bool = False, collections=None,
               route: str = "slack:event") -> list[Message]:
        """The messages to post for one question: the answer, help, or a short error (logged).
        `collections`: what the channel may see (`collections_for`; None: all)."""
        if not question:
            return [blocks.notice(HELP)]
        try:
            req = ChatRequest(question=question, conversation_id=conv)
        except ValidationError:
            return [blocks.error_message(
                f"That question is too long: the limit is {MAX_QUESTION_CHARS:,} characters.")]
        start = time.perf_counter()
        audit = {"key": f"slack:{team}/{channel}", "via": "slack", "route": route,
                 "question": req.question, "collections": shown(collections)}
        try:
            assistant = self.get_assistant()
            result = assistant.ask(req.question, conversation_id=req.conversation_id,
                                   owner=owner(team) if req.conversation_id else None,
                                   collections=collections)
            response = build_response(result)
        except Exception as exc:
            log.exception("Slack: answering failed (event %s)", ref)
            self._audit(audit, start, status=500)
            return [blocks.error_message(public_error(exc, ref))]
        self._audit(audit, start, status=200,
                    cited=sorted({c["source"] for c in response.get("citations", [])}),
                    abstained=response.get("abstained"))
        answer_id = None
        try:
            answer_id = self.answers.save(asked=req.question, response=response, user=user,
                                          channel=channel, team=team, thread_ts=thread_ts)
        except Exception:  # the answer still goes out, without feedback buttons
            log.exception("Slack: could not keep the answer for feedback (event %s)", ref)
        return blocks.answer_messages(response, asked=req.question, answer_id=answer_id,
                                      show_question=show_question)

    def _audit(self, entry: dict, start: float, **more) -> None:
        """One audit line per question (the HTTP API's format; key `slack:<team>/<channel>`)."""
        try:
            self.audit.write(**entry, **more,
                             latency_ms=round((time.perf_counter() - start) * 1000, 1))
        except Exception:  # auditing must not keep the answer from going out
            log.exception("could not write the audit log")

    # --- talking to Slack ---------------------------------------------------------------------

    def _post(self, client: WebClient, channel: str, thread_ts: str, message: Message,
              ref: str) -> bool:
        return self._call(client.chat_postMessage, ref, channel=channel, thread_ts=thread_ts,
                          unfurl_links=False, unfurl_media=False, **message.kwargs())

    @staticmethod
    def _call(method, ref: str, **kwargs) -> bool:
        try:
            method(**kwargs)
            return True
        except SlackApiError as exc:
            log.error("Slack API %s failed (event %s): %s", method.__name__, ref,
                      exc.response.get("error") if exc.response is not None else exc)
        except Exception as exc:  # network errors: log, stay up
            log.error("Slack API %s failed (event %s): %s: %s", method.__name__, ref,
                      type(exc).__name__, exc)
        return False

    @staticmethod
    def _respond(respond, message: Message, ref: str) -> bool:
        try:
            resp = respond(response_type="ephemeral", replace_original=False, **message.kwargs())
        except Exception as exc:
            log.error("Slack response_url failed (%s): %s: %s", ref, type(exc).__name__, exc)
            return False
        if resp is not None and getattr(resp, "status_code", 200) >= 300:
            log.error("Slack response_url failed (%s): HTTP %s", ref, resp.status_code)
            return False
        return True


def public_error(exc: Exception, ref: str) -> str:
    """A short message for the user; details stay in the log under `ref`."""
    from assistant.answers.llm import GenerationError
    from assistant.index.errors import StoreError
    from assistant.retrieval.hybrid import EmptyIndexError

    if isinstance(exc, GenerationError):
        return f"{exc.public} (ref {ref})"
    if isinstance(exc, EmptyIndexError):
        return "Nothing has been ingested yet, so I can't answer. Ask an admin to run `make ingest`."
    if isinstance(exc, StoreError):
        return f"The document index is unavailable right now; please try again later. (ref {ref})"
    return f"Sorry, I couldn't answer that because of an internal error. (ref {shorten(ref, 80)})"
