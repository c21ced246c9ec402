"""Authentication and authorisation for the HTTP API, as FastAPI dependencies.

Routes declare what they need (`ReaderDep`, `WriterDep`, `AdminDep`, and `ChatLimitDep` for the
chat routes); this module is the one place that decides. A request is authenticated by
`Authorization: Bearer <key>` or by the page's signed session cookie (then state-changing
requests also need the CSRF token). Without a valid key: 401; with a key whose role or
collections do not allow the action: 403; over a rate limit: 429 with Retry-After.

Auth mode (`ASSISTANT_AUTH`): `auto` (the default) turns authentication on as soon as one key
exists; `on` always requires a key; `off` never does (the server then refuses to bind anything but
loopback unless `off` was set explicitly, see `assistant.__main__.serve`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.api.schemas import ChatRequest
from assistant.auth.audit import AuditLog
from assistant.auth.keys import RANK, KeyStore
from assistant.auth.ratelimit import RateLimiter
from assistant.auth.session import COOKIE, CSRF_HEADER, Sessions, load_or_create_secret
from assistant.core.collections import scope
from assistant.core.config import Settings
from assistant.core.constants import SLACK_CONVERSATION_PREFIX
from assistant.documents.service import Documents
from assistant.index.json_records import JsonRecords
from assistant.service.assistant import Assistant
from assistant.service.conversations import UnknownConversation

log = logging.getLogger(__name__)

UNAUTHENTICATED = "A valid API key is required: send `Authorization: Bearer <key>`."
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# While no key exists (auto mode), how often to look again: a key created by the CLI turns
# authentication on within this many seconds in every running process.
RECHECK_S = 2.0


@dataclass(frozen=True)
class Principal:
    """Who is asking."""

    name: str  # the key's name; "local" when authentication is off
    role: str
    collections: tuple[str, ...] | None  # None: every collection
    key_id: str | None = None
    via: str = "none"  # "bearer" | "session" | "none"

    def sees(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections

    @property
    def owner(self) -> str:
        """The owner recorded on conversations and feedback: `key:<name>:<tag>` for an API key,
        where the tag is derived from the key's hash (not the hash itself), so a key created
        later under a revoked key's name owns nothing of the old one's; "local" when
        authentication is off."""
        if not self.key_id:
            return "local"
        tag = hashlib.sha256(f"owner:{self.key_id}".encode()).hexdigest()[:16]
        return f"key:{self.name}:{tag}"


LOCAL = Principal(name="local", role="admin", collections=None)


class Auth:
    def __init__(self, settings: Settings, client) -> None:
        self.settings = settings
        self.keys = KeyStore(client, settings.collection_prefix)
        self.limiter = RateLimiter.from_settings(settings)
        self.audit = AuditLog.from_settings(settings)
        secret = (settings.session_secret.get_secret_value() if settings.session_secret
                  else load_or_create_secret(JsonRecords(client, f"{settings.collection_prefix}-auth")))
        self.sessions = Sessions(secret, int(settings.session_hours * 3600))
        self._enabled = settings.auth == "on"
        self._checked = 0.0
        self._lock = threading.Lock()

    def enabled(self) -> bool:
        if self.settings.auth == "off":
            return False
        if self._enabled:
            return True
        now = time.monotonic()
        if now - self._checked > RECHECK_S:
            with self._lock:
                self._checked = now
                self._enabled = self.keys.active_count() > 0
        return self._enabled

    def refuse_failure(self, address: str, status: int = 401, detail: str = UNAUTHENTICATED,
                       headers: dict | None = None) -> HTTPException:
        """The error for a missing or bad key from `address`: counted against the address's
        failed-authentication budget, and a 429 once it is spent. A valid key is never refused
        here (red-team row 4): the budget slows guessing without locking out the colleagues
        who share an address (a NAT, a proxy) with a client that keeps failing."""
        blocked = self.limiter.auth_blocked(address)
        if not blocked.allowed:
            return HTTPException(429, "Too many failed sign-in attempts from your network; "
                                      "check the key and try again in a minute.",
                                 headers={"Retry-After": str(blocked.retry_after)})
        self.limiter.auth_failed(address)
        return HTTPException(status, detail, headers=headers)

    @staticmethod
    def principal(key, via: str) -> Principal:
        collections = scope(key.collections)
        return Principal(name=key.name, role=key.role, collections=collections, key_id=key.id, via=via)

    def authenticate(self, request: Request, bearer: HTTPAuthorizationCredentials | None) -> Principal:
        if not self.enabled():
            return LOCAL
        address = request.client.host if request.client else "?"
        if bearer is not None:
            key = self.keys.verify(bearer.credentials)
            via = "bearer"
        else:
            cookie = request.cookies.get(COOKIE)
            kid = self.sessions.key_id(cookie)
            key = self.keys.by_id(kid) if kid else None
            via = "session"
            if key is not None and request.method not in SAFE_METHODS:
                origin = request.headers.get("origin")
                if origin and origin.rstrip("/") != _own_origin(request):
                    raise HTTPException(403, "Cross-origin request refused.")
                if not self.sessions.csrf_ok(cookie, request.headers.get(CSRF_HEADER)):
                    raise HTTPException(403, "Missing or invalid CSRF token: reload the page.")
        if key is None:
            raise self.refuse_failure(address, headers={"WWW-Authenticate": "Bearer"})
        self.keys.touch(key)
        return self.principal(key, via)


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


_bearer = HTTPBearer(auto_error=False, description="An API key: `python -m assistant keys create`.")


def get_auth(request: Request) -> Auth:
    return request.app.state.auth


def current(request: Request,
            bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    p = get_auth(request).authenticate(request, bearer)
    request.state.principal = p
    return p


def require(role: str):
    def dependency(p: Annotated[Principal, Depends(current)]) -> Principal:
        if RANK[p.role] < RANK[role]:
            raise HTTPException(403, f"This key's role ({p.role}) does not allow this; it needs {role}.")
        return p

    return dependency


def _rate_limited(check: str, message: str, role: str = "reader"):
    """A `role` dependency that also counts the request against `RateLimiter.<check>` (per
    client address, and per key when there is one): 429 with Retry-After over the limit."""

    needed = Depends(require(role))  # (a default: the annotation is read as a string)

    def dependency(request: Request, p: Principal = needed) -> Principal:
        address = request.client.host if request.client else "?"
        v = getattr(get_auth(request).limiter, check)(p.name if p.key_id else None, address)
        if not v.allowed:
            raise HTTPException(429, message, headers={"Retry-After": str(v.retry_after)})
        return p

    return dependency


chat_limit = _rate_limited("chat", "Too many questions; slow down and try again shortly.")
feedback_limit = _rate_limited("feedback", "Too much feedback at once; try again shortly.")
upload_limit = _rate_limited("upload", "Too many uploads at once; wait a minute and send the "
                                       "rest.", role="writer")


ReaderDep = Annotated[Principal, Depends(require("reader"))]
WriterDep = Annotated[Principal, Depends(require("writer"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]
ChatLimitDep = Annotated[Principal, Depends(chat_limit)]
FeedbackLimitDep = Annotated[Principal, Depends(feedback_limit)]
UploadLimitDep = Annotated[Principal, Depends(upload_limit)]


def get_assistant(request: Request) -> Assistant:
    return request.app.state.assistant


def get_documents(request: Request) -> Documents:
    return request.app.state.documents


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
DocumentsDep = Annotated[Documents, Depends(get_documents)]


# --- what a question may refer to: its conversation and its sources

def check_conversation(conversation_id: str | None, assistant: Assistant,
                       principal: Principal) -> None:
    """404 "unknown conversation" unless the conversation exists and is this caller's
    (issue 13, point 4): an id that never existed, expired, or belongs to another key, or
    to a Slack thread (`slack-<team>-<channel>-<ts>`), gets the same answer, so nothing
    tells them apart and nothing of another's history is read or changed. Clients never
    choose new ids: a conversation starts with no id and the server returns one."""
    if conversation_id is None:
        return
    if conversation_id.startswith(SLACK_CONVERSATION_PREFIX):
        raise UnknownConversation(UnknownConversation.public)
    assistant.conversations.require(conversation_id, principal.owner)

def conversation(body: ChatRequest, assistant: Assistant, principal: Principal) -> str:
    """The id of the conversation this question continues, or of a new one (server-made)."""
    check_conversation(body.conversation_id, assistant, principal)
    return body.conversation_id or assistant.conversations.new_id()

def check_sources(body: ChatRequest, assistant: Assistant, principal: Principal) -> None:
    if body.sources:
        # A document of a collection this key does not see is unknown, word for word.
        known = assistant.retriever.sources(principal.collections)
        unknown = [s for s in body.sources if s not in known]
        if unknown:
            raise HTTPException(
                status_code=422,
                detail=f"unknown source(s): {', '.join(unknown)}; see GET /v1/sources",
            )
