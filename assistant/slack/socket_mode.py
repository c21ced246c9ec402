"""Socket Mode: the bot opens a WebSocket to Slack, so the workspace needs no public URL.
Needs the app-level token (`ASSISTANT_SLACK_APP_TOKEN`, xapp-..., scope `connections:write`) and
the bot token; no signing secret (nothing comes in over HTTP)."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from assistant.core.config import Settings
from assistant.slack.app import build_app

log = logging.getLogger(__name__)


def socket_mode_handler(settings: Settings, assistant) -> SocketModeHandler:
    if settings.slack_app_token is None or settings.slack_bot_token is None:
        raise ValueError("Socket Mode needs ASSISTANT_SLACK_APP_TOKEN (xapp-...) and "
                         "ASSISTANT_SLACK_BOT_TOKEN (xoxb-...)")
    app: App = build_app(settings, lambda: assistant, socket_mode=True)
    return SocketModeHandler(app, app_token=settings.slack_app_token.get_secret_value())
