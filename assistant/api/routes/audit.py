"""The audit log (admins): filtered by key, route and time, as JSON or as a CSV download.

The log is read as a stream (`AuditLog.read` keeps only the newest `limit` matching entries in
memory). Times are given as ISO 8601 (`at`) beside the epoch seconds (`time`); `since` and
`until` accept either. A CSV cell that a spreadsheet would run as a formula (it starts with
= + - @, a tab or a carriage return) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Annotated, Iterator, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from assistant.api.deps import AdminDep, get_auth

router = APIRouter(tags=["auth"])

CSV_COLUMNS = ("at", "key", "via", "method", "route", "status", "latency_ms", "client",
               "question", "collections", "cited", "abstained", "refused", "source", "path")


def iso(t: float | int | None) -> str | None:
    """Epoch seconds as ISO 8601 in UTC ("2026-05-01T12:00:00.123+00:00")."""
    if not isinstance(t, (int, float)):
        return None
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds")


def _epoch(t: datetime | None) -> float | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()


@router.get("/v1/audit", responses={200: {"content": {"text/csv": {}}}})
def read_audit(request: Request, _: AdminDep,
               since: Annotated[datetime | None, Query(
                   description="From this time: ISO 8601 or epoch seconds.")] = None,
               until: Annotated[datetime | None, Query(
                   description="Up to this time: ISO 8601 or epoch seconds.")] = None,
               key: Annotated[str | None, Query(max_length=64,
                                                description="Only this key's name.")] = None,
               route: Annotated[str | None, Query(max_length=200, description=(
                   "Only routes containing this text (`/v1/chat`)."))] = None,
               limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
               format: Annotated[Literal["json", "csv"], Query()] = "json"):
    """The newest `limit` entries that match, oldest first."""
    start, end = _epoch(since), _epoch(until)

    def match(e: dict) -> bool:
        t = e.get("time") if isinstance(e.get("time"), (int, float)) else 0
        return ((end is None or t <= end) and (key is None or e.get("key") == key)
                and (route is None or route in str(e.get("route", ""))))

    entries = [dict(e, at=iso(e.get("time")))
               for e in get_auth(request).audit.read(since=start, limit=limit, match=match)]
    if format == "json":
        return {"entries": entries}
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(_csv(entries), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(entries: list[dict]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow([_cell(e.get(c)) for c in CSV_COLUMNS])
        if buf.tell() > 64_000:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
