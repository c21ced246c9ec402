"""Host and origin checks (red-team row 5), as a small pure-ASGI middleware.

- **Host**: while no API key exists (the default `make run`: anyone who can reach the server may
  ask), or whenever `ASSISTANT_ALLOWED_HOSTS` is set, a request whose Host header is not one of
  the loopback names (localhost, 127.0.0.1, [::1]), the address the server is bound to, or an
  allowed host gets a 400. A page on another site that makes its own name resolve to 127.0.0.1
  (DNS rebinding) sends its own name as Host, so it cannot read answers.
- **Origin**: a state-changing request (not GET, HEAD or OPTIONS) that a browser marks as coming
  from another site (an `Origin` that is not this server, `Origin: null`, or `Sec-Fetch-Site:
  cross-site` / `same-site`) gets a 403, with or without keys: a web page elsewhere cannot post a
  form that uploads or deletes documents, asks questions or signs in. API clients (curl, SDKs)
  send neither header and are not affected.
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

from assistant.core.config import Settings

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WILDCARD_BINDS = frozenset({"0.0.0.0", "::", ""})
BAD_HOST = ("This server does not answer to the host name {host!r}. Open it as "
            "http://localhost:PORT, or add the name to ASSISTANT_ALLOWED_HOSTS.")
CROSS_ORIGIN = "Cross-origin request refused: this server only accepts changes from its own page."


def host_name(value: str) -> str:
    """The name part of a Host header or URL netloc, lower-cased ("[::1]:8000" -> "::1")."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


class HostGuardMiddleware:
    def __init__(self, app, settings: Settings) -> None:
        self.app = app
        self.extra = {host_name(h) for h in settings.allowed_hosts}
        self.any_host = "*" in settings.allowed_hosts
        bound = host_name(settings.bind_host or "")
        self.allowed = LOOPBACK_NAMES | self.extra | ({bound} - WILDCARD_BINDS)
        self.always = bool(settings.allowed_hosts)

    def host_allowed(self, host: str) -> bool:
        name = host_name(host)
        if self.any_host or name in self.allowed:
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False

    def _checks_host(self, scope) -> bool:
        if self.always:
            return True
        auth = getattr(getattr(scope.get("app"), "state", None), "auth", None)
        return auth is None or not auth.enabled()  # no key yet: anyone may ask

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get(b"host", "")
        if self._checks_host(scope) and not self.host_allowed(host):
            return await _refuse(send, 400, BAD_HOST.format(host=host[:100]))
        if scope.get("method", "GET") not in SAFE_METHODS and \
                _cross_origin(headers, host, scope.get("scheme", "http")):
            return await _refuse(send, 403, CROSS_ORIGIN)
        return await self.app(scope, receive, send)


def _cross_origin(headers: dict, host: str, scheme: str) -> bool:
    origin = headers.get(b"origin")
    if origin is not None:
        if origin.strip() == "null":
            return True
        parts = urlsplit(origin.strip())
        return (host_name(parts.netloc) != host_name(host)
                or _port(parts.netloc, parts.scheme) != _port(host, scheme))
    return headers.get(b"sec-fetch-site", "").lower() in ("cross-site", "same-site")


def _port(netloc: str, scheme: str) -> str:
    """The port of a netloc, or the scheme's default ("localhost" over http -> "80")."""
    netloc = netloc.strip().lower()
    tail = netloc.rsplit("]", 1)[-1] if netloc.startswith("[") else netloc
    if tail.count(":") == 1 and tail.rsplit(":", 1)[1]:
        return tail.rsplit(":", 1)[1]
    return "443" if scheme in ("https", "wss") else "80"


async def _refuse(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
