"""`python -m assistant.slack`: run the Slack bot in Socket Mode (no public URL needed).

Reads the settings (ASSISTANT_SLACK_BOT_TOKEN, ASSISTANT_SLACK_APP_TOKEN, optionally
ASSISTANT_SLACK_ALLOWED_CHANNELS, and the store settings) from the environment and `.env`, loads
the index and answers until interrupted. For the HTTP Events API instead, set
ASSISTANT_SLACK_BOT_TOKEN and ASSISTANT_SLACK_SIGNING_SECRET and run the API (`make run`)."""

from __future__ import annotations

import logging
import signal
import sys
import threading


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("assistant.slack")
    from assistant.core.config import get_settings
    from assistant.index.errors import StoreError
    from assistant.retrieval.hybrid import EmptyIndexError
    from assistant.service.assistant import Assistant
    from assistant.slack.socket_mode import (
        SlackUnreachable,
        check_slack,
        connect,
        socket_mode_handler,
    )

    settings = get_settings()
    if settings.slack_app_token is None or settings.slack_bot_token is None:
        print("error: Socket Mode needs ASSISTANT_SLACK_APP_TOKEN (xapp-...) and "
              "ASSISTANT_SLACK_BOT_TOKEN (xoxb-...)", file=sys.stderr)
        return 2
    try:  # before loading anything: say at once, in one line, if Slack cannot be used
        check_slack(settings)
    except SlackUnreachable as exc:
        print(f"error: {exc}; the bot did not start", file=sys.stderr)
        return 3
    assistant = Assistant.from_settings(settings)
    try:
        assistant.retriever.snapshot()
    except (EmptyIndexError, StoreError) as exc:
        log.warning("index not ready: %s (questions get an error until `make ingest` runs)", exc)
    handler = socket_mode_handler(settings, assistant)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        connect(handler, settings)
    except SlackUnreachable as exc:
        print(f"error: {exc}; the bot did not start", file=sys.stderr)
        return 3
    log.info("Slack bot connected in Socket Mode; Ctrl-C to stop")
    stop.wait()
    handler.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
