"""API key management (admins): list, create (shown once), revoke."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from assistant.api.deps import AdminDep, get_auth
from assistant.api.schemas import KeyCreate
from assistant.auth.keys import KeyError_

router = APIRouter(tags=["auth"])


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
