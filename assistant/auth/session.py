"""The web page's session: a signed cookie instead of a key kept in the browser.

The page posts the key once (`POST /v1/session`); the server checks it and sets a cookie that
holds the key's *hash*, signed with `itsdangerous` (HMAC) and time-limited: HttpOnly (scripts
can't read it), SameSite=Strict (other sites' requests don't carry it), Secure when served over
HTTPS. The key itself never reaches localStorage or the cookie. Each request re-reads the key
record, so revoking the key ends its sessions at once.

CSRF: state-changing requests authenticated by the cookie must carry `X-CSRF-Token`, an HMAC of
the session cookie that only same-origin script can learn (from `POST`/`GET /v1/session`), and
their `Origin`, when sent, must be this server's. SameSite=Strict is the first line; the token
and the Origin check are the second.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

COOKIE = "bpa_session"
CSRF_HEADER = "x-csrf-token"


class Sessions:
    def __init__(self, secret: str, max_age_s: int) -> None:
        self.secret = secret
        self.max_age_s = max_age_s
        self.serializer = URLSafeTimedSerializer(secret, salt="bpa-session")

    def issue(self, key_id: str) -> str:
        return self.serializer.dumps({"kid": key_id, "n": secrets.token_hex(8)})

    def key_id(self, cookie: str | None) -> str | None:
        if not cookie or len(cookie) > 512:
            return None
        try:
            data = self.serializer.loads(cookie, max_age=self.max_age_s)
        except (BadSignature, SignatureExpired):
            return None
        kid = data.get("kid") if isinstance(data, dict) else None
        return kid if isinstance(kid, str) else None

    def csrf_token(self, cookie: str) -> str:
        return hmac.new(self.secret.encode(), b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, cookie: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(cookie), token or "")


def load_or_create_secret(records) -> str:
    """One signing secret shared by every API process (kept in the shared store)."""
    doc = records.get("session-secret")
    if doc and isinstance(doc.get("secret"), str):
        return doc["secret"]
    secret = secrets.token_urlsafe(48)
    records.put("session-secret", {"secret": secret}, {"kind": "secret"})
    # Two processes starting together may both write: read back so they agree.
    return records.get("session-secret")["secret"]
