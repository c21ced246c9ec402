"""Checks on a raw `/slack/events` request before Bolt parses anything (hardening row 8).

Bolt parses first and verifies after: a non-numeric timestamp, a body that is not UTF-8 or JSON
nested thousands deep made it fail with a 500. Here, in order:
1. the timestamp is digits and within 5 minutes (401 otherwise);
2. the signature is Slack's v0 HMAC-SHA256 of the raw bytes, compared in constant time (401);
3. the body is UTF-8 and its JSON nests at most MAX_DEPTH deep (400);
4. the same signed request seen before within the window is a replay: acknowledged with an
   empty 200 and not answered again (Slack signs its own retries anew, with a new timestamp).
"""

from __future__ import annotations

import hashlib
import hmac
import time

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
