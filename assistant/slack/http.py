"""Slack's HTTP transport: the Events API, slash commands and interactivity all post to
`/slack/events` on the FastAPI app.

`assistant.slack.verify` checks the timestamp, the signature, the encoding and the nesting of
every request before Bolt parses it (401/400 otherwise), and acknowledges an exact replay
without answering it; Bolt then verifies again, acknowledges at once and answers afterwards on
its listener threads. The route is Bolt's FastAPI
adapter (`slack_bolt.adapter.fastapi`, i.e. its Starlette request/response conversion) with one
change: `App.dispatch` runs in a worker thread, so a slow Slack API call (the first request's
`auth.test`) never blocks the server's event loop.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from assistant.core.config import Settings
from assistant.slack.app import build_app
from assistant.slack.verify import Rejected, check, check_shape

MAX_BODY_BYTES = 1_000_000  # Slack's payloads are a few kB


def mount_slack(app: FastAPI, settings: Settings) -> App:
    """Add `POST /slack/events`. The Assistant is `app.state.assistant`, set when the app
    starts, so it is looked up when a request arrives."""
    bolt = build_app(settings, lambda: app.state.assistant)
    app.state.slack = bolt
    secret = settings.slack_signing_secret.get_secret_value()  # build_app refused to start without

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response(status_code=413, content="payload too large")
        try:
            signature = check(body, request.headers, secret)
            check_shape(body, request.headers.get("content-type", ""))
        except Rejected as exc:
            return Response(status_code=exc.status, content=str(exc))
        # The same signed request twice is a replay (Slack's retries carry a new signature).
        claimed = await run_in_threadpool(bolt.bot.events.claim, f"sig:{signature}")
        if not claimed:
            return Response(status_code=200, content="")
        bolt_response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    return bolt
