"""Checks on a raw `/slack/events` request before Bolt parses anything (hardening row 8).

Bolt parses first and verifies after: a non-numeric timestamp, a body that is not UTF-8 or JSON
nested thousands deep made it fail with a 500. Here, in order:
1. the timestamp is digits and within 5 minutes (401 otherwise);
2. the signature is Slack's v0 HMAC-SHA256 of the raw bytes, compared in constant time (401);
3. the body is UTF-8 and its JSON nests at most MAX_DEPTH deep (400);
4. the same signed request seen before within the window is a replay: acknowledged with an
   empty 200 and not answered again (Slack signs its own retries anew, with a new timestamp);
5. (`check_shape`) the body parses as Bolt will parse it, into a JSON object whose `event`,
   `actions`, `authorizations`, `team`, `user`, `channel` and `container` have the types Slack
   sends (400 otherwise): a signed but malformed body was a 500 (red-team row 11).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs

WINDOW_SECONDS = 300  # Slack's own tolerance for the request timestamp
MAX_DEPTH = 64  # Slack's payloads nest about 10 deep


class Rejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def json_depth(body: bytes) -> int:
    """Deepest nesting of [ and { in a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for b in body:
        if in_string:
            if escaped:
                escaped = False
            elif b == 0x5C:  # backslash
                escaped = True
            elif b == 0x22:
                in_string = False
        elif b == 0x22:
            in_string = True
        elif b in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif b in (0x5D, 0x7D):
            depth -= 1
    return deepest


def check(body: bytes, headers, secret: str, now: float | None = None) -> str:
    """The request's signature when it passes; raises Rejected otherwise."""
    ts = headers.get("x-slack-request-timestamp", "")
    sig = headers.get("x-slack-signature", "")
    if not ts.isdigit() or len(ts) > 12:
        raise Rejected(401, "invalid or missing x-slack-request-timestamp")
    if abs((now if now is not None else time.time()) - int(ts)) > WINDOW_SECONDS:
        raise Rejected(401, "stale x-slack-request-timestamp")
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body,
                                hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), sig.encode("utf-8", "replace")):
        raise Rejected(401, "invalid x-slack-signature")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "the body is not UTF-8") from None
    if "json" in headers.get("content-type", "") and json_depth(body) > MAX_DEPTH:
        raise Rejected(400, f"the JSON body nests deeper than {MAX_DEPTH}")
    return sig


OBJECT_FIELDS = ("team", "user", "channel", "container", "enterprise", "message", "view")


def check_shape(body: bytes, content_type: str) -> None:
    """Rejected(400) unless the body parses as Bolt parses it (JSON, or a form whose `payload`
    is JSON) into an object with the field types Slack sends."""
    text = body.decode("utf-8")
    if "application/json" in content_type or text.startswith("{"):
        payload = _json(text, "the JSON body")
    else:
        try:
            form = parse_qs(text, keep_blank_values=True)
        except ValueError:
            raise Rejected(400, "the form body cannot be parsed") from None
        if any(len(v) > 1 for v in form.values()):
            raise Rejected(400, "a form field is repeated")
        if "payload" not in form:
            return  # a slash command: form fields, all strings
        payload = _json(form["payload"][0], "the form's payload")
    _check_payload(payload)


def _json(text: str, what: str):
    try:
        value = json.loads(text)
    except ValueError:
        raise Rejected(400, f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise Rejected(400, f"{what} is not a JSON object")
    return value


def _check_payload(p: dict) -> None:
    for name in OBJECT_FIELDS:
        if p.get(name) is not None and not isinstance(p[name], (dict, str)):
            raise Rejected(400, f"`{name}` must be an object or a string")
    if "event" in p and not isinstance(p["event"], dict):
        raise Rejected(400, "`event` must be an object")
    for name in ("actions", "authorizations"):
        items = p.get(name)
        if items is not None and not (isinstance(items, list) and
                                      all(isinstance(i, dict) for i in items)):
            raise Rejected(400, f"`{name}` must be a list of objects")
    for action in p.get("actions") or ():
        if not isinstance(action.get("action_id"), str):
            raise Rejected(400, "every action needs an `action_id` string")
    if not isinstance(p.get("type", ""), str):
        raise Rejected(400, "`type` must be a string")
