"""API key management (admins): list, create (shown once), revoke. Times (`created`,
`last_used`, `revoked`) are ISO 8601 in UTC, or null."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from assistant.api.deps import AdminDep, get_auth
from assistant.api.routes.audit import iso
from assistant.api.schemas import KeyCreate
from assistant.auth.keys import KeyError_

router = APIRouter(tags=["auth"])
TIMES = ("created", "last_used", "revoked")


def key_out(record) -> dict:
    """A key's public record with its times in ISO 8601."""
    out = record.public()
    return {**out, **{t: iso(out.get(t)) for t in TIMES}}


@router.get("/v1/keys")
def list_keys(request: Request, _: AdminDep):
    return {"keys": [key_out(k) for k in get_auth(request).keys.list()]}


@router.post("/v1/keys", status_code=201)
def create_key(body: KeyCreate, request: Request, _: AdminDep):
    """Create a key; the response is the only time the key is shown."""
    try:
        key, record = get_auth(request).keys.create(body.name, body.role, body.collections)
    except KeyError_ as exc:
        raise HTTPException(422, str(exc)) from None
    return {"key": key, **key_out(record)}


@router.delete("/v1/keys/{name}")
def revoke_key(name: str, request: Request, _: AdminDep):
    try:
        return key_out(get_auth(request).keys.revoke(name))
    except KeyError_ as exc:
        raise HTTPException(404, str(exc)) from None
