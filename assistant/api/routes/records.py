"""`GET /v1/records`: the deals, regulatory events and facilities of the caller's documents, as
JSON or CSV (`assistant/service/records.py` does the work; the MCP `records` tool calls it too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

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
