"""The Slack bot: answers @mentions, direct messages and `/ask` with the same `Assistant.ask`
path as `/v1/chat`, formatted as Block Kit, with helpful / not helpful buttons.

Modules: `app.py` (the Bolt app and its handlers), `blocks.py` (Block Kit formatting),
`text.py` (Slack text in and out), `dedup.py` (handled events, shared by every process),
`feedback.py` (answers kept for the feedback buttons), `http.py` (the `/slack/events` route on the
FastAPI app), `socket_mode.py` + `__main__.py` (Socket Mode: `python -m assistant.slack`).
The app's manifest is `manifest.yml` next to this file.
"""
