"""The audit log (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from assistant.api.deps import AdminDep, get_auth

router = APIRouter(tags=["auth"])


@router.get("/v1/audit")
def read_audit(request: Request, _: AdminDep, since: float | None = None,
               limit: Annotated[int, Query(ge=1, le=10000)] = 1000):
    return {"entries": list(get_auth(request).audit.read(since=since, limit=limit))}
