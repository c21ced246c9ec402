"""`/v1/documents` and `/v1/jobs/{id}`: upload, list, open and delete documents; follow the
background jobs that ingest or remove them (run by the ingest worker)."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import DocumentsDep, ReaderDep, UploadLimitDep, WriterDep
from assistant.api.multipart import read_uploads, storage_error
from assistant.core.collections import CollectionError, check_collection
from assistant.core.config import Settings
from assistant.core.files import iter_fd
from assistant.documents.service import ORIGINAL_GONE
from assistant.documents.states import DocumentStatus, UploadResult
from assistant.documents.uploads import KINDS, content_disposition

router = APIRouter(tags=["documents"])

_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                   "collection": {"type": "string", "default": "default"}}}}}}}


@router.post("/v1/documents", status_code=202, openapi_extra=_UPLOAD_BODY, responses={
    413: {"description": "A file over ASSISTANT_MAX_UPLOAD_BYTES (refused while it streams)."},
    429: {"description": "Over ASSISTANT_RATE_LIMIT_UPLOADS (per key and per address)."},
    503: {"description": "Out of disk space (or the upload could not be stored): nothing kept."},
    422: {"description": "No file was accepted; `files` says why for each."}})
async def upload_documents(request: Request, docs: DocumentsDep, principal: UploadLimitDep):
    """Upload one or more files (multipart field `files`; optional field `collection`, default
    `default`, one the key sees or 403). 202 with the background job's id and,
    per file, its document id and status: queued (ingesting in the background), duplicate (the
    same content is already a document) or rejected (with the reason; nothing stored)."""
    s = docs.settings
    fields: dict[str, str] = {}
    parts = await read_uploads(request, docs.store.incoming, s.max_upload_bytes, s.max_upload_files,
                               fields)
    try:
        try:
            collection = check_collection(fields.get("collection")
                                          or request.query_params.get("collection"))
        except CollectionError as exc:
            raise HTTPException(422, str(exc)) from None
        if not principal.sees(collection):
            raise HTTPException(403, f"This key cannot add documents to collection "
                                     f"{collection!r}; it sees: "
                                     f"{', '.join(principal.collections or ())}.")
        if not parts:
            raise HTTPException(422, "no file in the request: send multipart/form-data with files")
    except HTTPException:
        for p in parts:
            p.tmp.unlink(missing_ok=True)
        raise
    try:
        result = await run_in_threadpool(docs.accept, parts, collection, principal.collections)
    except OSError as exc:  # out of space: 503, and nothing of this upload is kept
        raise storage_error(exc) from None
    if not any(f["status"] in (UploadResult.QUEUED, UploadResult.DUPLICATE) for f in result["files"]):
        return JSONResponse(status_code=422, content={
            "detail": "no file was accepted: " + "; ".join(
                f"{f['name']!r}: {f['reason']}" for f in result["files"]), **result})
    return result


@router.get("/v1/documents")
def list_documents(docs: DocumentsDep, principal: ReaderDep):
    """Every document of the key's collections: indexed ones of any origin (folder, file,
    upload) and uploads that are queued, ingesting or failed."""
    return {"documents": docs.listing(principal.collections)}


@router.get("/v1/documents/{document_id}")
def get_document(document_id: str, docs: DocumentsDep, principal: ReaderDep):
    entry = docs.find(document_id, principal.collections)
    entry = dict(entry, url=f"/v1/documents/{document_id}/file")
    if entry["type"] == "pdf":
        entry["page_url"] = f"/v1/documents/{document_id}/file#page={{page}}"
    return entry


@router.get("/v1/documents/{document_id}/file", responses={
    200: {"description": "The original bytes."},
    307: {"description": "`?page=N` of a PDF: to the file at `#page=N`."}})
def get_document_file(document_id: str, docs: DocumentsDep, principal: ReaderDep,
                      page: Annotated[int | None, Query(ge=1, le=100_000)] = None):
    """The original file with its content type, always under `Content-Security-Policy: sandbox`
    (no script of it runs on this origin). Shown in the browser (inline): text, Markdown, HTML
    and PDFs without active content; downloaded (attachment): .docx and PDFs holding scripts,
    launch or form actions (Chromium's viewer runs a PDF's JavaScript even in a sandbox).
    `?page=N` on a PDF redirects to `#page=N` so that a browser's viewer opens at that page."""
    entry = docs.find(document_id, principal.collections)
    if entry["type"] not in KINDS or entry["status"] != DocumentStatus.INDEXED:
        raise HTTPException(404, ORIGINAL_GONE)
    fd = docs.open_original(entry)
    if page is not None and entry["type"] == "pdf":
        os.close(fd)
        return RedirectResponse(f"/v1/documents/{document_id}/file#page={page}", status_code=307)
    inline = entry["type"] in INLINE_KINDS and not (
        entry["type"] == "pdf" and docs.pdf_active(fd, entry["sha256"]))
    headers = {"Content-Disposition": content_disposition(
                   entry["name"].rsplit("/", 1)[-1], "inline" if inline else "attachment"),
               "X-Content-Type-Options": "nosniff", "Content-Length": str(os.fstat(fd).st_size),
               "Content-Security-Policy": ORIGINAL_CSP}
    return StreamingResponse(iter_fd(fd), media_type=KINDS[entry["type"]][1], headers=headers)


INLINE_KINDS = frozenset({"pdf", "text", "markdown", "html"})
# No script, plugin, form or frame of an original runs on this origin; PDFs still open in
# Chromium's viewer at #page=N under it (checked with the browser, red-team row 13).
ORIGINAL_CSP = ("sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@router.delete("/v1/documents/{document_id}", status_code=202)
def delete_document(document_id: str, docs: DocumentsDep, principal: WriterDep):
    """Remove an uploaded document from the index (one manifest switch, in a background job)
    and its stored original. Documents from a folder or file run live in that folder: remove
    the file there and run the ingest again (409 here)."""
    job = docs.delete(docs.find(document_id, principal.collections))
    return {"job_id": job["id"], "document_id": document_id}


@router.get("/v1/jobs/{job_id}")
def get_job(job_id: str, docs: DocumentsDep, principal: ReaderDep):
    """A background job: status (queued, waiting, running, done, failed), progress, and per-file
    results (indexed with its chunk count, or failed with the reason)."""
    return docs.job(job_id, principal.collections)


def path_limits(settings: Settings) -> dict[str, int]:
    """The request body limit of the upload route: its files plus multipart overhead."""
    return {"/v1/documents": settings.max_upload_bytes * settings.max_upload_files + 1_000_000}
