"""The web page's session: exchange a key for a signed cookie, who am I, sign out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from assistant.api.deps import Auth, Principal, ReaderDep, get_auth
from assistant.api.schemas import SessionRequest, SessionResponse
from assistant.auth.session import COOKIE

router = APIRouter(tags=["auth"])
BAD_KEY = ("That key was not recognised. Check that you pasted the whole key (it starts with "
           "bpa_); if it still fails, it may have been revoked: ask your administrator for a "
           "new one.")


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
    key = auth.keys.verify(body.key)
    if key is None:
        raise auth.refuse_failure(address, detail=BAD_KEY)
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
