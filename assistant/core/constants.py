"""Limits and names that several layers share, each defined once."""

MAX_QUESTION_CHARS = 2000
MAX_JSON_DEPTH = 32
# Conversation ids of Slack threads start with this; the HTTP API never accepts them.
SLACK_CONVERSATION_PREFIX = "slack-"
