"""The documents API: upload, list, fetch and delete the documents the assistant answers from.

- Uploads stream to disk part by part (`python-multipart`), each file refused with a 413 as soon as
  it passes `ASSISTANT_MAX_UPLOAD_BYTES`; nothing is buffered whole in memory.
- Each file is judged by its content (magic bytes), not its name: PDF, DOCX (a zip holding
  `word/document.xml`, its unpacked size checked before anything expands it), HTML, or text
  (markdown when its name says .md). Empty, unsupported, corrupt or badly named files get a
  per-file error and change nothing.
- Accepted originals are kept in the documents folder under their sha256 (`<sha256>.<ext>`); the
  user's file name is only ever displayed (and, sanitised, offered in Content-Disposition).
  The same content uploaded twice is one document.
- Ingestion runs in the background as a job (assistant/documents/jobs.py) through the same `Ingestor` and
  one-write manifest switch as `python -m ingest`, with origin "upload": folder runs never prune
  uploads, and uploads never prune anything.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
import unicodedata
import uuid
import zipfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from filelock import FileLock
from starlette.concurrency import run_in_threadpool

from assistant.auth.deps import ReaderDep, WriterDep
from assistant.core.collections import DEFAULT, CollectionError, check_collection, collection_of
from assistant.core.config import Settings
from assistant.core.files import UnsafeFile, iter_fd, open_verified
from assistant.documents.jobs import JobStore, JobWorker, read_json, write_json_atomic
from ingest.loading import LIMITS, Limits, LoadError, check_archive

log = logging.getLogger(__name__)

# kind -> (stored extension, content type)
KINDS = {
    "pdf": (".pdf", "application/pdf"),
    "docx": (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "html": (".html", "text/html; charset=utf-8"),
    "markdown": (".md", "text/markdown; charset=utf-8"),
    "text": (".txt", "text/plain; charset=utf-8"),
}
SUFFIX_KIND = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".md": "markdown",
               ".markdown": "markdown", ".txt": "text"}
SUPPORTED_TEXT = "txt, md, html, pdf, docx"
MAX_NAME_CHARS = 255
SNIFF_BYTES = 64 * 1024


ORIGINAL_GONE = "the original file is no longer available"


class Rejected(Exception):
    """A file that is refused; the message says why."""


def doc_id(source: str) -> str:
    """A document's id: stable for its source name (the index's key)."""
    return hashlib.sha256(f"doc:{source}".encode()).hexdigest()[:16]


# --- names -------------------------------------------------------------------------------------

def check_name(raw: bytes | str | None) -> str:
    """The uploaded file name, for display; Rejected if it is not a plain file name."""
    if raw is None:
        raise Rejected("the part has no file name")
    name = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not name.strip():
        raise Rejected("empty file name")
    if len(name) > MAX_NAME_CHARS:
        raise Rejected(f"file name too long ({len(name)} characters; at most {MAX_NAME_CHARS})")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise Rejected("file name contains control characters")
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith(".."):
        raise Rejected("file name must not contain a path ('/', '\\\\' or '..')")
    return name.strip()


def ascii_name(name: str) -> str:
    """A Content-Disposition `filename=` fallback: printable ASCII, no quotes or separators."""
    out = "".join(c if 32 < ord(c) < 127 and c not in '"\\/;%' else "_"
                  for c in unicodedata.normalize("NFKD", name))
    return out.strip("._") or "document"


def content_disposition(name: str, disposition: str = "inline") -> str:
    return f"{disposition}; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


# --- content sniffing --------------------------------------------------------------------------

def sniff(path: Path, name: str, limits: Limits = LIMITS) -> str:
    """The kind of the file by its content (see KINDS); Rejected when it is none of them."""
    size = path.stat().st_size
    if size == 0:
        raise Rejected("empty file (0 bytes)")
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if b"%PDF-" in head[:1024]:
        _check_pdf(path)
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        _check_docx(path, limits)
        return "docx"
    if _is_text(head, size):
        text = head.decode("utf-8", "ignore").lstrip("\ufeff \t\r\n").lower()
        if text.startswith(("<!doctype html", "<html")) or "<html" in text[:1024] or \
                ("<body" in text[:4096] and "</" in text):
            return "html"
        return {"markdown": "markdown", "html": "html"}.get(
            SUFFIX_KIND.get(Path(name).suffix.lower(), ""), "text")
    raise Rejected(f"unsupported file type: the content is {_describe(head)}, not one of "
                   f"{SUPPORTED_TEXT} (judged by content, not by the file name)")


def _is_text(head: bytes, size: int) -> bool:
    if b"\x00" in head:
        return False
    sample = head if size <= len(head) else head[:-4]  # a multi-byte character may be cut off
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = sample.decode("cp1252")
        except UnicodeDecodeError:
            return False
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n\f")
    return controls <= max(1, len(text) // 100)


def _describe(head: bytes) -> str:
    try:
        import filetype

        kind = filetype.guess(head)
        if kind is not None:
            return f"{kind.mime} ({kind.extension})"
    except Exception:
        pass
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    return "binary data"


def _check_pdf(path: Path) -> None:
    from ingest.loading import LoadError, _check_pdf as loader_check_pdf

    try:
        loader_check_pdf(path)
    except LoadError as exc:
        raise Rejected(f"corrupt PDF: {exc}") from None


def _check_docx(path: Path, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "word/document.xml" not in names:
                raise Rejected("unsupported file type: a zip archive that is not a .docx "
                               f"(no word/document.xml); supported: {SUPPORTED_TEXT}")
    except zipfile.BadZipFile as exc:
        raise Rejected(f"corrupt .docx (not a readable zip): {exc}") from None
    # A zip bomb is refused from the sizes the zip declares, before anything unpacks it, by the
    # same check and limits (ASSISTANT_MAX_EXPANDED_BYTES, ..._COMPRESSION_RATIO) as the loader.
    try:
        check_archive(path, limits)
    except LoadError as exc:
        raise Rejected(f"refused as a zip bomb: {exc}") from None


# --- stored originals and upload records -------------------------------------------------------

class DocumentStore:
    """Originals (`<sha256>.<ext>`) and one record per uploaded content (`records/<sha256>.json`)
    in the documents folder; changes under a file lock in that folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.records_dir = self.folder / "records"
        self.incoming = self.folder / ".incoming"
        for d in (self.folder, self.records_dir, self.incoming):
            d.mkdir(parents=True, exist_ok=True)
        self.lock = FileLock(str(self.folder / ".lock"))

    def original(self, rec: dict) -> Path:
        return self.folder / f"{rec['sha256']}{KINDS[rec['type']][0]}"

    def record(self, sha: str) -> dict | None:
        return read_json(self.records_dir / f"{sha}.json") if sha.isalnum() else None

    def records(self) -> list[dict]:
        recs = [read_json(p) for p in self.records_dir.glob("*.json")]
        return [r for r in recs if r]

    def save(self, rec: dict) -> None:
        write_json_atomic(self.records_dir / f"{rec['sha256']}.json", rec)

    def update(self, sha: str, **changes) -> None:
        with self.lock:
            rec = self.record(sha)
            if rec is not None:
                rec.update(changes)
                self.save(rec)

    def drop(self, rec: dict) -> None:
        with self.lock:
            self.original(rec).unlink(missing_ok=True)
            (self.records_dir / f"{rec['sha256']}.json").unlink(missing_ok=True)


# --- the streaming multipart reader ------------------------------------------------------------

class TooLarge(Exception):
    pass


class _Part:
    def __init__(self, tmp: Path) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.field = b""
        self.value = b""
        self.name: bytes | None = None
        self.form_name = b""
        self.tmp = tmp
        self.fh = None
        self.size = 0
        self.sha = hashlib.sha256()
        self.data = b""  # a plain form field's value


async def read_uploads(request: Request, incoming: Path, max_bytes: int, max_files: int,
                       fields: dict[str, str] | None = None) -> list[_Part]:
    """The file parts of a multipart body, each written to a temporary file as it arrives;
    plain form fields (`collection`) go into `fields`."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise HTTPException(415, "send the files as multipart/form-data (field name `files`)")
    parts: list[_Part] = []
    current: list[_Part] = []

    def on_part_begin():
        current[:] = [_Part(incoming / uuid.uuid4().hex)]

    def on_header_field(data, start, end):
        current[0].field += data[start:end]

    def on_header_value(data, start, end):
        current[0].value += data[start:end]

    def on_header_end():
        p = current[0]
        p.headers[p.field.lower()] = p.value
        p.field, p.value = b"", b""

    def on_headers_finished():
        p = current[0]
        _, opts = parse_options_header(p.headers.get(b"content-disposition", b""))
        p.form_name = opts.get(b"name", b"")
        p.name = opts.get(b"filename")
        if p.name is not None:
            if len(parts) >= max_files:
                raise HTTPException(413, f"too many files in one request (at most {max_files})")
            p.fh = p.tmp.open("wb")

    def on_part_data(data, start, end):
        p = current[0]
        chunk = data[start:end]
        p.size += len(chunk)
        if p.fh is None:  # a plain form field: bounded
            if p.size > 65536:
                raise HTTPException(413, "form field too large")
            p.data += chunk
            return
        if p.size > max_bytes:
            shown = (p.name or b"").decode("utf-8", "replace")[:100]
            raise TooLarge(f"file {shown!r} is larger than the upload limit of {max_bytes} bytes "
                           f"(ASSISTANT_MAX_UPLOAD_BYTES); nothing was stored")
        p.sha.update(chunk)
        p.fh.write(chunk)

    def on_part_end():
        p = current[0]
        if p.fh is not None:
            p.fh.close()
            parts.append(p)
        elif fields is not None and p.form_name:
            fields[p.form_name.decode("utf-8", "replace")] = p.data.decode("utf-8", "replace")

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end})

    def cleanup():
        for p in parts + current:
            if p.fh is not None and not p.fh.closed:
                p.fh.close()
            p.tmp.unlink(missing_ok=True)

    try:
        async for chunk in request.stream():
            await run_in_threadpool(parser.write, chunk)
        parser.finalize()
    except TooLarge as exc:
        cleanup()
        raise HTTPException(413, str(exc)) from None
    except HTTPException:
        cleanup()
        raise
    except Exception as exc:
        cleanup()
        raise HTTPException(400, f"malformed multipart body: {type(exc).__name__}: {exc}"[:300]) \
            from None
    if current and current[0].fh is not None and not current[0].fh.closed:
        cleanup()
        raise HTTPException(400, "malformed multipart body: it ends inside a file")
    return parts


# --- the service behind the routes -------------------------------------------------------------

class Documents:
    def __init__(self, settings: Settings, assistant) -> None:
        self.settings = settings
        self.assistant = assistant
        self.store = DocumentStore(settings.documents_path)
        self.jobs = JobStore(settings.jobs_path)
        self.worker = JobWorker(self.jobs, self.run_job)

    # uploads
    def accept(self, parts: list[_Part], collection: str = DEFAULT,
               visible: tuple[str, ...] | None = None) -> dict:
        """Validate each stored part; register the accepted ones (in `collection`); one job for
        the new ones. `visible`: the uploader's collections (None: all), for what a duplicate
        may say."""
        results, new = [], []
        try:
            for p in parts:
                entry: dict[str, Any] = {"name": None, "document_id": None, "status": None,
                                         "reason": None, "size": p.size}
                try:
                    name = check_name(p.name)
                    entry["name"] = name
                    kind = sniff(p.tmp, name, Limits.from_settings(self.settings))
                except Rejected as exc:
                    entry.update(status="rejected", reason=str(exc),
                                 name=entry["name"] or _shown(p.name))
                    results.append(entry)
                    continue
                sha = p.sha.hexdigest()
                with self.store.lock:
                    rec = self.store.record(sha)
                    if rec is not None and rec.get("status") == "deleting":
                        entry.update(status="rejected", document_id=rec["id"],
                                     reason="the same content is being deleted; upload it again "
                                            "when that has finished")
                    elif rec is not None and rec.get("status") != "failed" and \
                            collection_of(rec) != collection and \
                            not (visible is None or collection_of(rec) in visible):
                        # Never named: it lives in a collection this key does not see.
                        entry.update(status="rejected",
                                     reason=f"this content cannot be added to collection "
                                            f"{collection!r}")
                    elif rec is not None and rec.get("status") != "failed":
                        entry.update(status="duplicate", document_id=rec["id"],
                                     reason=f"the same content was already uploaded as "
                                            f"{rec['name']!r} (collection "
                                            f"{collection_of(rec)!r}): one document")
                    else:
                        if rec is None:
                            rec = self._new_record(sha, name, kind, p.size)
                        else:  # a failed upload sent again: try again
                            rec.update(status="queued", reason=None)
                        rec["collection"] = collection
                        os.replace(p.tmp, self.store.original(rec))
                        self.store.save(rec)
                        entry.update(status="queued", document_id=rec["id"])
                        new.append(rec)
                results.append(entry)
        finally:
            for p in parts:
                p.tmp.unlink(missing_ok=True)
        job = None
        if new:
            job = self.jobs.create("upload", [
                {"document_id": r["id"], "sha256": r["sha256"], "name": r["name"],
                 "status": "queued", "reason": None, "chunks": None} for r in new],
                collection=collection)
            for r in new:
                self.store.update(r["sha256"], job_id=job["id"])
            self.worker.wake()
        return {"job_id": job["id"] if job else None, "files": results}

    def _new_record(self, sha: str, name: str, kind: str, size: int) -> dict:
        taken = {r["source"]: r["sha256"] for r in self.store.records()}
        source = f"uploads/{name}"
        live = self.assistant.store.live_records([source])  # (that one record only)
        if taken.get(source, sha) != sha or (source in live and
                                              live[source].get("origin_kind") != "upload"):
            source = f"uploads/{sha[:8]}-{name}"
        return {"id": doc_id(source), "sha256": sha, "name": name, "source": source,
                "type": kind, "size": size, "added_at": time.time(), "status": "queued",
                "reason": None, "job_id": None}

    # jobs
    def run_job(self, job: dict, save) -> None:
        from ingest.pipeline import IngestBusy, Ingestor

        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            """Files read, then chunks embedded, saved at most twice a second."""
            now = time.monotonic()
            if now - last[0] < 0.5 and done < total:
                return
            last[0] = now
            job["progress"].update(stage=stage, stage_done=done, stage_total=total)
            if stage == "reading":
                job["progress"]["done"] = min(done, job["progress"]["total"])
            save(job)

        ingestor = Ingestor(self.settings, self.assistant.store, self.assistant.embedder,
                            progress=False, on_progress=progress)
        while True:
            try:
                if job["kind"] == "upload":
                    self._run_upload(job, save, ingestor)
                else:
                    self._run_delete(job, save, ingestor)
                return
            except IngestBusy as exc:
                if job["status"] != "waiting":
                    job["status"], job["message"] = "waiting", str(exc)
                    save(job)
                time.sleep(0.5)

    def _run_upload(self, job: dict, save, ingestor) -> None:
        names, paths, by_path, collections = {}, [], {}, {}
        for f in job["files"]:
            rec = self.store.record(f["sha256"])
            if rec is None or rec.get("status") == "deleting":
                f["status"], f["reason"] = "failed", "deleted before it was ingested"
                continue
            path = self.store.original(rec)
            paths.append(path)
            names[path] = (rec["source"], rec["name"])
            collections[path] = collection_of(rec)
            by_path[str(path)] = (f, rec)
            f["status"] = "ingesting"
            self.store.update(rec["sha256"], status="ingesting")
        job["status"], job["message"] = "running", None
        save(job)
        summary = ingestor.run(paths, prune=False, origin="upload", names=names,
                               collections=collections) if paths else None
        failed = {x.path: x.reason for x in summary.failed} if summary else {}
        live = self.assistant.store.live_records(rec["source"] for _, rec in by_path.values())
        for path, (f, rec) in by_path.items():
            if path in failed:
                f["status"], f["reason"] = "failed", failed[path]
                self.store.update(rec["sha256"], status="failed", reason=failed[path])
            else:
                f["status"] = "indexed"
                f["chunks"] = int(live.get(rec["source"], {}).get("chunks", 0))
                self.store.update(rec["sha256"], status="indexed", reason=None)
        job["progress"].update(done=len(job["files"]), stage="done")
        job["status"], job["finished_at"] = "done", time.time()
        save(job)

    def _run_delete(self, job: dict, save, ingestor) -> None:
        recs = [self.store.record(f["sha256"]) for f in job["files"]]
        live = self.assistant.store.live_records(r["source"] for r in recs if r is not None)
        for f, rec in zip(job["files"], recs):
            if rec is None:
                f["status"] = "removed"
                continue
            if rec["source"] in live:
                ingestor.remove([rec["source"]])
            self.store.drop(rec)
            f["status"] = "removed"
            job["progress"]["done"] += 1
            save(job)
        job["status"], job["finished_at"] = "done", time.time()
        save(job)

    # listing
    def listing(self, collections: tuple[str, ...] | None = None) -> list[dict]:
        """The documents of `collections` (None: all)."""
        return [e for e in self._listing()
                if collections is None or e["collection"] in collections]

    def _listing(self) -> list[dict]:
        store = self.assistant.store
        live = store.live_docs()
        failures = store.failures()
        recs = {r["source"]: r for r in self.store.records()}
        out = []
        for src, d in sorted(live.items()):
            rec = recs.pop(src, None)
            out.append(self._entry(src, d, rec, failures.get(src)))
        for src, rec in sorted(recs.items()):  # uploads not (yet) in the index
            out.append(self._entry(src, None, rec, None))
        for src, (sha, reason, *rest) in sorted(failures.items()):
            if src not in live and not any(e["source"] == src for e in out):
                out.append({"id": doc_id(src), "name": src, "source": src, "title": None,
                            "type": SUFFIX_KIND.get(Path(src).suffix.lower()), "size": None,
                            "sha256": sha or None, "added_at": None, "chunks": 0,
                            "status": "failed", "reason": reason,
                            "collection": rest[0] if rest and rest[0] else DEFAULT,
                            "origin": {"kind": None, "path": None}})
        return out

    def _entry(self, src: str, d: dict | None, rec: dict | None, failure) -> dict:
        d = d or {}
        path = Path(d["path"]) if d.get("path") else None
        if rec is not None:
            status = "indexed" if d else rec["status"]
            reason = None if d else rec.get("reason")
            if rec.get("status") == "deleting":
                status = "deleting"
            return {"id": rec["id"], "name": rec["name"], "source": src, "title": d.get("title"),
                    "type": rec["type"], "size": rec["size"], "sha256": rec["sha256"],
                    "added_at": rec["added_at"], "chunks": int(d.get("chunks", 0)),
                    "status": status, "reason": reason,
                    "collection": collection_of(d) if d else collection_of(rec),
                    "origin": {"kind": "upload", "path": None}, "job_id": rec.get("job_id")}
        size = None
        if path is not None:
            try:
                size = path.stat().st_size
            except OSError:
                size = None
        return {"id": doc_id(src), "name": src, "source": src, "title": d.get("title"),
                "type": SUFFIX_KIND.get(Path(src).suffix.lower()), "size": size,
                "sha256": d.get("file_hash"), "added_at": d.get("ingested_at"),
                "chunks": int(d.get("chunks", 0)), "status": "indexed",
                "reason": failure[1] if failure else None, "collection": collection_of(d),
                "origin": {"kind": d.get("origin_kind"), "path": d.get("origin")}}

    def open_original(self, entry: dict, request: Request | None = None) -> int:
        """An open descriptor of the document's original, verified by `open_verified` (a regular
        file inside the corpus folder, the upload folder or the folder it was ingested from,
        holding the indexed bytes), or a 404; a refusal is logged and put on the audit line."""
        roots = [self.settings.corpus_dir, self.store.folder]
        if entry["origin"]["kind"] == "upload":
            rec = self.store.record(entry["sha256"] or "")
            path = self.store.original(rec) if rec else None
        else:
            live = self.assistant.store.live_records([entry["source"]]).get(entry["source"], {})
            path = Path(live["path"]) if live.get("path") else None
            origin = live.get("origin")
            if origin:  # the folder (or the file's folder) the operator ingested it from
                roots.append(Path(origin) if live.get("origin_kind") == "folder" else Path(origin).parent)
        if path is None:
            raise HTTPException(404, ORIGINAL_GONE)
        try:
            return open_verified(path, roots, entry["sha256"])
        except UnsafeFile as exc:
            log.warning("refused to serve %s: %s", entry["source"], exc)
            if request is not None:
                request.state.audit = {"refused": str(exc)[:300], "source": entry["source"]}
            raise HTTPException(404, ORIGINAL_GONE) from None

    def find(self, document_id: str, collections: tuple[str, ...] | None = None) -> dict:
        """The document, or 404; a document of a collection outside `collections` is a 404
        with the same text as one that does not exist."""
        for e in self.listing(collections):
            if e["id"] == document_id:
                return e
        raise HTTPException(404, f"no document with id {document_id!r}")


def _shown(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    name = raw.decode("utf-8", "replace")
    return "".join(c if unicodedata.category(c)[0] != "C" else "\ufffd" for c in name)[:100]


# --- routes ------------------------------------------------------------------------------------

def get_documents(request: Request) -> Documents:
    return request.app.state.documents


DocumentsDep = Annotated[Documents, Depends(get_documents)]
router = APIRouter(tags=["documents"])

_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                   "collection": {"type": "string", "default": "default"}}}}}}}


@router.post("/v1/documents", status_code=202, openapi_extra=_UPLOAD_BODY, responses={
    413: {"description": "A file over ASSISTANT_MAX_UPLOAD_BYTES (refused while it streams)."},
    422: {"description": "No file was accepted; `files` says why for each."}})
async def upload_documents(request: Request, docs: DocumentsDep, principal: WriterDep):
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
    result = await run_in_threadpool(docs.accept, parts, collection, principal.collections)
    if not any(f["status"] in ("queued", "duplicate") for f in result["files"]):
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
def get_document_file(document_id: str, request: Request, docs: DocumentsDep, principal: ReaderDep,
                      page: Annotated[int | None, Query(ge=1, le=100_000)] = None):
    """The original file, inline, with its content type; `?page=N` on a PDF redirects to
    `#page=N` so that a browser's viewer opens at that page."""
    entry = docs.find(document_id, principal.collections)
    if entry["type"] not in KINDS:
        raise HTTPException(404, ORIGINAL_GONE)
    fd = docs.open_original(entry, request)
    if page is not None and entry["type"] == "pdf":
        os.close(fd)
        return RedirectResponse(f"/v1/documents/{document_id}/file#page={page}", status_code=307)
    headers = {"Content-Disposition": content_disposition(entry["name"].rsplit("/", 1)[-1]),
               "X-Content-Type-Options": "nosniff", "Content-Length": str(os.fstat(fd).st_size)}
    if entry["type"] == "html":  # never run an uploaded page's scripts on this origin
        headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return StreamingResponse(iter_fd(fd), media_type=KINDS[entry["type"]][1], headers=headers)


@router.delete("/v1/documents/{document_id}", status_code=202)
def delete_document(document_id: str, docs: DocumentsDep, principal: WriterDep):
    """Remove an uploaded document from the index (one manifest switch, in a background job)
    and its stored original. Documents from a folder or file run live in that folder: remove
    the file there and run the ingest again (409 here)."""
    entry = docs.find(document_id, principal.collections)
    if entry["origin"]["kind"] != "upload":
        raise HTTPException(409, f"{entry['source']!r} comes from a {entry['origin']['kind']} run "
                                 f"({entry['origin']['path']}): remove the file there and run "
                                 f"`python -m ingest` on it again")
    with docs.store.lock:
        rec = docs.store.record(entry["sha256"])
        if rec is None or rec.get("status") == "deleting":
            raise HTTPException(409, "this document is already being deleted")
        rec["status"] = "deleting"
        docs.store.save(rec)
    job = docs.jobs.create("delete", [{"document_id": rec["id"], "sha256": rec["sha256"],
                                       "name": rec["name"], "status": "queued", "reason": None}],
                           collection=entry["collection"])
    docs.worker.wake()
    return {"job_id": job["id"], "document_id": document_id}


@router.get("/v1/jobs/{job_id}")
def get_job(job_id: str, docs: DocumentsDep, principal: ReaderDep):
    """A background job: status (queued, waiting, running, done, failed), progress, and per-file
    results (indexed with its chunk count, or failed with the reason)."""
    job = docs.jobs.get(job_id)
    if job is None or not principal.sees(job.get("collection") or DEFAULT):
        raise HTTPException(404, f"no job with id {job_id!r}")
    job.pop("worker", None)
    for f in job["files"]:
        f.pop("sha256", None)
    return job


def path_limits(settings: Settings) -> dict[str, int]:
    """The request body limit of the upload route: its files plus multipart overhead."""
    return {"/v1/documents": settings.max_upload_bytes * settings.max_upload_files + 1_000_000}


def install(app, settings: Settings) -> Documents:
    """Create the service, start its job worker (call from the lifespan)."""
    docs = Documents(settings, app.state.assistant)
    app.state.documents = docs
    docs.worker.start()
    return docs
