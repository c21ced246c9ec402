"""`GET /v1/records`: the deals, regulatory events and facilities of the caller's documents, as
JSON or CSV (`assistant/service/records.py` does the work; the MCP `records` tool calls it too).
`GET /v1/records/{id}/passage?field=`: the indexed passage that holds a cell's quote (the web
page's Tables view opens it in its passage viewer)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from assistant.api.deps import AssistantDep, ReaderDep
from assistant.api.schemas import UNAVAILABLE, ErrorResponse, RecordsResponse
from assistant.core.collections import shown
from assistant.index.records import RecordQueryError
from assistant.service.records import (
    DATE_FORMS,
    FORMATS,
    RecordFilters,
    UnknownSource,
    csv_filename,
    find_records,
    to_csv,
)

router = APIRouter(tags=["records"])
CSV = "text/csv"
_DATE = f"Event dates from/to, as {DATE_FORMS}: a record counts when its date reaches into " \
        f"the range; undated records are left out when either is given."


@router.get("/v1/records", response_model=RecordsResponse, responses={
    **UNAVAILABLE,
    200: {"content": {CSV: {"schema": {"type": "string"}}},
          "description": "The records as JSON, or as CSV with `format=csv` or `Accept: text/csv`."},
    422: {"model": ErrorResponse, "description": "A filter that is not allowed, and why."}})
def records(
        request: Request, response: Response, assistant: AssistantDep, principal: ReaderDep,
        type: Annotated[str | None, Query(description="deal, regulatory or facility.")] = None,
        company: Annotated[str | None, Query(
            max_length=200, description="Any name of the company (GSK, GlaxoSmithKline and "
                                        "GSK plc are one).")] = None,
        since: Annotated[str | None, Query(max_length=40, description=_DATE)] = None,
        until: Annotated[str | None, Query(max_length=40, description=_DATE)] = None,
        min_usd: Annotated[str | None, Query(
            max_length=40, description="The deal's total (else upfront) or the facility's "
                                       "investment, in US dollars, at least this (>= 0).")] = None,
        source: Annotated[str | None, Query(
            max_length=1000, description="Only this document (as citations and /v1/sources "
                                         "name it).")] = None,
        format: Annotated[str | None, Query(
            description="json (the default) or csv; without it, `Accept: text/csv` asks "
                        "for CSV.")] = None):
    """The records of the documents this key's collections hold, newest event first (undated
    last). Every cell carries the verbatim quote of its document that states it. CSV: one row
    per record, columns `id, type, source, date`, then per field of the type its value and
    `<field>_quote` (money: also `<field>_currency`); text cells that would start a spreadsheet
    formula (`=`, `+`, `-`, `@`) start with an apostrophe."""
    fmt = _format(format, request.headers.get("accept", ""))
    try:
        filters = RecordFilters.parse(type, company, since, until, min_usd, source)
        found = find_records(assistant.store, filters, principal.collections)
    except UnknownSource as exc:
        raise HTTPException(422, f"{exc}; see GET /v1/sources") from None
    except RecordQueryError as exc:
        raise HTTPException(422, str(exc)) from None
    request.state.audit = {"records": len(found), "filters": filters.given(), "format": fmt,
                           "collections": shown(principal.collections)}
    if fmt == "csv":
        return Response(to_csv(found, filters.type), media_type=f"{CSV}; charset=utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="{csv_filename(filters)}"',
                                 "Vary": "Accept"})
    response.headers["Vary"] = "Accept"
    return {"records": found}


class RecordPassage(BaseModel):
    id: str
    field: str
    source: str
    title: str
    section: str | None = None
    page: int | None = None
    text: str
    quote: str
    start: int
    end: int


NO_PASSAGE = "no passage of this document holds the quote"


@router.get("/v1/records/{record_id}/passage", response_model=RecordPassage, responses={
    **UNAVAILABLE,
    404: {"model": ErrorResponse, "description": "No such record for this key, no such field, "
                                                 "or no indexed passage holds its quote."}})
def record_passage(
        record_id: str, assistant: AssistantDep, principal: ReaderDep,
        field: Annotated[str, Query(max_length=40, pattern=r"^[a-z_]+$",
                                    description="The field (column) whose quote to find.")]):
    """The indexed passage (chunk) of the record's document that holds the quote of one of its
    cells, with the quote's place in it (`start`, `end`, character offsets into `text`): the
    page shows it with the quote highlighted, as it shows a cited passage. A record of another
    collection is unknown in the same words as one that does not exist."""
    view = assistant.retriever.snapshot().scoped(principal.collections)  # no index: 503
    version = record_id.split(":", 1)[0]
    source = view.live_versions.get(version)
    if source is None or source not in view.docs:
        raise HTTPException(404, "no such record")
    found = find_records(assistant.store, RecordFilters(source=source), principal.collections)
    record = next((r for r in found if r["id"] == record_id), None)
    if record is None:
        raise HTTPException(404, "no such record")
    cell = (record.get("fields") or {}).get(field)
    if not cell or not cell.get("quote"):
        raise HTTPException(404, f"the record has no field {field!r}")
    quote = cell["quote"]
    n = int(view.docs[source].get("chunks", 0))
    ids = [f"{version}:{i}" for i in range(n)]
    passages = view.fetch(ids)
    pattern = re.compile(r"\s+".join(re.escape(w) for w in quote.split()))
    for id_ in ids:
        p = passages.get(id_)
        m = pattern.search(p.text) if p is not None else None
        if m:
            return {"id": record_id, "field": field, "source": source, "title": p.title or source,
                    "section": p.section, "page": p.page, "text": p.text, "quote": quote,
                    "start": m.start(), "end": m.end()}
    raise HTTPException(404, NO_PASSAGE)


def _format(format: str | None, accept: str) -> str:
    if format is not None:
        fmt = format.strip().lower()
        if fmt not in FORMATS:
            raise HTTPException(422, f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        return fmt
    return "csv" if _prefers_csv(accept) else "json"


def _prefers_csv(accept: str) -> bool:
    """Does the Accept header rank text/csv above JSON (application/json, */*)?"""
    best = {"csv": -1.0, "json": -1.0}
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.lower().startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        kind = {"text/csv": "csv", "application/json": "json", "*/*": "json"}.get(media.lower())
        if kind:
            best[kind] = max(best[kind], q)
    return best["csv"] > 0 and best["csv"] >= best["json"]
