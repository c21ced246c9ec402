"""Socket Mode: the bot opens a WebSocket to Slack, so the workspace needs no public URL.
Needs the app-level token (`ASSISTANT_SLACK_APP_TOKEN`, xapp-..., scope `connections:write`) and
the bot token; no signing secret (nothing comes in over HTTP)."""

from __future__ import annotations

import contextlib
import logging
import socket
from urllib.error import URLError

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


class SlackUnreachable(RuntimeError):
    """Slack's API could not be used; the message is one line saying what failed."""


@contextlib.contextmanager
def _quiet_sdk():
    """slack_sdk logs each failed attempt with a traceback; the caller reports it once."""
    sdk = logging.getLogger("slack_sdk")
    level = sdk.level
    sdk.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        sdk.setLevel(level)


def describe(exc: BaseException, url: str) -> str:
    """One line for a failed Slack API call."""
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError):
        error = (exc.response or {}).get("error", "error") if exc.response is not None else "error"
        hint = {"invalid_auth": "check ASSISTANT_SLACK_BOT_TOKEN / ASSISTANT_SLACK_APP_TOKEN",
                "not_authed": "the token is missing",
                "token_revoked": "the token was revoked: install the app again"}.get(error, "")
        return f"Slack's API at {url} refused the request ({error}){'; ' + hint if hint else ''}"
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, socket.gaierror):
        reason = f"cannot resolve the host name: {reason.strerror or reason}"
    elif isinstance(reason, OSError) and reason.strerror:
        reason = reason.strerror
    kind = "cannot reach" if isinstance(exc, (URLError, OSError)) else "failed calling"
    return (f"{kind} Slack's API at {url} ({reason}); check the network or proxy, or "
            f"ASSISTANT_SLACK_API_URL")


def check_slack(settings: Settings) -> None:
    """SlackUnreachable unless the bot token works (`auth.test`, one attempt, 10 s at most)."""
    from slack_sdk import WebClient

    url = settings.slack_api_url
    client = WebClient(token=settings.slack_bot_token.get_secret_value(),
                       base_url=url if url.endswith("/") else url + "/", timeout=10,
                       retry_handlers=[])
    try:
        with _quiet_sdk():
            client.auth_test()
    except Exception as exc:
        raise SlackUnreachable(describe(exc, url)) from None


def connect(handler: SocketModeHandler, settings: Settings) -> None:
    """Open the Socket Mode connection; SlackUnreachable (one line) when it cannot."""
    try:
        with _quiet_sdk():
            handler.client.web_client.retry_handlers.clear()
            handler.connect()
    except Exception as exc:
        raise SlackUnreachable(describe(exc, settings.slack_api_url)) from None
