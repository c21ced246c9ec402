"""Rate limits on `/v1/chat*`, `/v1/feedback` and uploads per key and per client address, and on
failed authentication and unknown `/v1` paths per address, with the `limits` library (moving
windows).

The storage is a `limits` storage URI: `memory://` (the default) counts within one API process;
for several processes or machines point `ASSISTANT_RATE_LIMIT_STORAGE` at a shared Redis or
Memcached (`redis://host:6379`), which `limits` supports as is.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


@dataclass
class Verdict:
    allowed: bool
    retry_after: int = 0


class RateLimiter:
    def __init__(self, storage_uri: str, chat_per_key: str, chat_per_address: str,
                 failed_auth_per_address: str, feedback: str = "30/minute",
                 unmatched_per_address: str = "30/minute", uploads: str = "20/minute") -> None:
        self.storage = storage_from_string(storage_uri)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.chat_key = parse(chat_per_key)
        self.chat_address = parse(chat_per_address)
        self.failed_auth = parse(failed_auth_per_address)
        self.feedback_limit = parse(feedback)
        self.unmatched_limit = parse(unmatched_per_address)
        self.upload_limit = parse(uploads)
        self.refusal_lines = parse("1/minute")

    @classmethod
    def from_settings(cls, s) -> "RateLimiter":
        return cls(s.rate_limit_storage, s.rate_limit_chat_per_key, s.rate_limit_chat_per_address,
                   s.rate_limit_failed_auth_per_address, s.rate_limit_feedback,
                   s.rate_limit_unmatched_per_address, s.rate_limit_uploads)

    def _hit(self, item, *ids: str) -> Verdict:
        if self.limiter.hit(item, *ids):
            return Verdict(True)
        reset, _ = self.limiter.get_window_stats(item, *ids)
        return Verdict(False, max(1, math.ceil(reset - time.time())))

    def chat(self, key_name: str | None, address: str) -> Verdict:
        v = self._hit(self.chat_address, "chat-addr", address)
        if not v.allowed or key_name is None:
            return v
        return self._hit(self.chat_key, "chat-key", key_name)

    def feedback(self, key_name: str | None, address: str) -> Verdict:
        v = self._hit(self.feedback_limit, "feedback-addr", address)
        if not v.allowed or key_name is None:
            return v
        return self._hit(self.feedback_limit, "feedback-key", key_name)

    def upload(self, key_name: str | None, address: str) -> Verdict:
        v = self._hit(self.upload_limit, "upload-addr", address)
        if not v.allowed or key_name is None:
            return v
        return self._hit(self.upload_limit, "upload-key", key_name)

    def unmatched(self, address: str) -> Verdict:
        """A request to a path no route serves (a 404 anyone can cause), per address."""
        return self._hit(self.unmatched_limit, "unmatched-addr", address)

    def audit_refusal(self, address: str) -> bool:
        """May a rate-limit refusal of an unauthenticated client be written to the audit log?
        One line per address a minute: a flood of refusals cannot flush the log."""
        return self.limiter.hit(self.refusal_lines, "audit-429", address)

    def auth_blocked(self, address: str) -> Verdict:
        """Is this address over its failed-authentication budget (without counting a hit)?"""
        if self.limiter.test(self.failed_auth, "auth-fail", address):
            return Verdict(True)
        reset, _ = self.limiter.get_window_stats(self.failed_auth, "auth-fail", address)
        return Verdict(False, max(1, math.ceil(reset - time.time())))

    def auth_failed(self, address: str) -> None:
        self.limiter.hit(self.failed_auth, "auth-fail", address)
