"""Routes of the auth layer: the page's session, key management and the audit log (admins), and
the middleware that writes one audit line per `/v1/*` request."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from assistant.auth.deps import AdminDep, Auth, Principal, ReaderDep, current, get_auth  # noqa: F401
from assistant.auth.keys import KeyError_
from assistant.auth.session import COOKIE
from assistant.core.collections import shown

log = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])


class SessionRequest(BaseModel):
    key: str = Field(min_length=1, max_length=200)


class SessionResponse(BaseModel):
    name: str
    role: str
    collections: list[str] | None
    csrf_token: str | None
    auth: bool


class KeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    role: str = Field(pattern="^(reader|writer|admin)$")
    collections: list[str] = Field(default_factory=lambda: ["default"], max_length=100)


def _session_body(auth: Auth, p: Principal, cookie: str | None) -> dict:
    return {"name": p.name, "role": p.role,
            "collections": None if p.collections is None else list(p.collections),
            "csrf_token": auth.sessions.csrf_token(cookie) if cookie else None,
            "auth": auth.enabled()}


@router.post("/v1/session", response_model=SessionResponse)
def sign_in(body: SessionRequest, request: Request, response: Response):
    """Exchange a key for the page's session cookie (HttpOnly, SameSite=Strict)."""
    auth = get_auth(request)
    address = request.client.host if request.client else "?"
    auth.refuse_if_blocked(address)
    key = auth.keys.verify(body.key)
    if key is None:
        auth.limiter.auth_failed(address)
        raise HTTPException(401, "That key is not valid (or has been revoked).")
    cookie = auth.sessions.issue(key.id)
    response.set_cookie(COOKIE, cookie, max_age=auth.sessions.max_age_s, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    p = auth.principal(key, "session")
    request.state.principal = p
    return _session_body(auth, p, cookie)


@router.get("/v1/session", response_model=SessionResponse)
def who_am_i(request: Request, p: ReaderDep):
    """Who the page is signed in as (and its CSRF token), or 401."""
    return _session_body(get_auth(request), p, request.cookies.get(COOKIE))


@router.delete("/v1/session", status_code=204)
def sign_out(request: Request):
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
    return response


@router.get("/v1/keys")
def list_keys(request: Request, _: AdminDep):
    return {"keys": [k.public() for k in get_auth(request).keys.list()]}


@router.post("/v1/keys", status_code=201)
def create_key(body: KeyCreate, request: Request, _: AdminDep):
    """Create a key; the response is the only time the key is shown."""
    try:
        key, record = get_auth(request).keys.create(body.name, body.role, body.collections)
    except KeyError_ as exc:
        raise HTTPException(422, str(exc)) from None
    return {"key": key, **record.public()}


@router.delete("/v1/keys/{name}")
def revoke_key(name: str, request: Request, _: AdminDep):
    try:
        return get_auth(request).keys.revoke(name).public()
    except KeyError_ as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/v1/audit")
def read_audit(request: Request, _: AdminDep, since: float | None = None,
               limit: Annotated[int, Query(ge=1, le=10000)] = 1000):
    return {"entries": list(get_auth(request).audit.read(since=since, limit=limit))}


class AuditMiddleware:
    """Writes one audit line per `/v1/*` request when it ends (streams included)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").startswith("/v1/"):
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        state = scope.setdefault("state", {})
        status = {"code": 500}

        async def wrapped(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self._write(scope, state, status["code"], start)

        try:
            await self.app(scope, receive, wrapped)
        except BaseException:
            self._write(scope, state, 500, start)
            raise

    @staticmethod
    def _write(scope, state: dict, code: int, start: float) -> None:
        if state.get("_audited"):
            return
        state["_audited"] = True
        auth = getattr(scope.get("app").state, "auth", None) if scope.get("app") else None
        if auth is None:
            return
        p = state.get("principal")
        extra = state.get("audit") or {}
        if p is not None and "collections" not in extra:  # what this key may see ("*": all)
            extra = {"collections": shown(p.collections), **extra}
        try:
            auth.audit.write(
                key=getattr(p, "name", None), via=getattr(p, "via", None),
                method=scope.get("method"), route=scope.get("path"), status=code,
                latency_ms=round((time.perf_counter() - start) * 1000, 1),
                client=(scope.get("client") or ["?"])[0], **extra)
        except Exception:  # auditing must not take the request down with it
            log.exception("could not write the audit log")


__all__ = ["router", "AuditMiddleware", "current"]
