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
- Ingestion runs in the background as a job (assistant/documents/jobs.py), run by the ingest worker
  (`python -m ingest.worker`, started by `python -m assistant serve`) through the same `Ingestor` and
  one-write manifest switch as `python -m ingest`, with origin "upload": folder runs never prune
  uploads, and uploads never prune anything.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from assistant.core.collections import DEFAULT, collection_of
from assistant.core.config import Settings
from assistant.core.files import UnsafeFile, open_verified
from assistant.core.formats import Limits, pdf_active_content
from assistant.documents.jobs import JobStore
from assistant.documents.states import DocumentStatus, FileStatus, UploadResult
from assistant.documents.store import DocumentStore
from assistant.documents.uploads import (
    SUFFIX_KIND,
    Rejected,
    StagedFile,
    _shown,
    check_name,
    doc_id,
    sniff,
)

log = logging.getLogger(__name__)

ORIGINAL_GONE = "the original file is no longer available"


class Conflict(Exception):
    """The request cannot be done in the document's present state; the message says why."""


class NotFound(LookupError):
    """No such document (or job) for this caller, or its original cannot be served; the message
    is the public text. `refused`: why an original was refused, for the log and the audit line."""

    def __init__(self, public: str, refused: str | None = None, source: str | None = None) -> None:
        super().__init__(public)
        self.public = public
        self.refused = refused
        self.source = source


class Documents:
    def __init__(self, settings: Settings, assistant) -> None:
        self.settings = settings
        self.assistant = assistant
        self.store = DocumentStore(settings.documents_path)
        self.jobs = JobStore(settings.jobs_path, settings.job_retention_hours * 3600)
        self._active: dict[str, str | None] = {}  # sha256 -> a PDF's active content

    # uploads
    def accept(self, parts: list[StagedFile], collection: str = DEFAULT,
               visible: tuple[str, ...] | None = None) -> dict:
        """Validate each stored part; register the accepted ones (in `collection`); one job for
        the new ones. `visible`: the uploader's collections (None: all), for what a duplicate
        may say."""
        results, new = [], []
        try:
            self._accept_parts(parts, collection, visible, results, new)
            job = self._queue(new, collection) if new else None
        except OSError:  # out of space (or another storage failure): nothing half-written
            self._forget(new)
            raise
        finally:
            for p in parts:
                p.tmp.unlink(missing_ok=True)
        return {"job_id": job["id"] if job else None, "files": results}

    def _queue(self, new: list[dict], collection: str) -> dict:
        job = self.jobs.create("upload", [
            {"document_id": r["id"], "sha256": r["sha256"], "name": r["name"],
             "status": FileStatus.QUEUED, "reason": None, "chunks": None} for r in new],
            collection=collection)
        for r in new:
            self.store.update(r["sha256"], job_id=job["id"])
        return job

    def _forget(self, new: list[dict]) -> None:
        """Undo the registration of uploads whose job could not be written."""
        for rec in new:
            try:
                self.store.drop(rec)
            except OSError:
                log.exception("could not remove the stored upload %s", rec.get("sha256"))

    def _accept_parts(self, parts, collection, visible, results: list, new: list) -> None:
        """Judge each part; store the new ones (original and record), appended to `new`."""
        for p in parts:
            entry: dict[str, Any] = {"name": None, "document_id": None, "status": None,
                                     "reason": None, "size": p.size}
            try:
                name = check_name(p.name)
                entry["name"] = name
                kind = sniff(p.tmp, name, Limits.from_settings(self.settings))
            except Rejected as exc:
                entry.update(status=UploadResult.REJECTED, reason=str(exc),
                             name=entry["name"] or _shown(p.name))
                results.append(entry)
                continue
            sha = p.sha.hexdigest()
            if self._indexed_elsewhere(sha, collection, visible, entry):
                results.append(entry)
                continue
            with self.store.lock:
                rec = self.store.record(sha)
                if rec is not None and rec.get("status") == DocumentStatus.DELETING:
                    entry.update(status=UploadResult.REJECTED, document_id=rec["id"],
                                 reason="the same content is being deleted; upload it again "
                                        "when that has finished")
                elif rec is not None and rec.get("status") != DocumentStatus.FAILED and \
                        collection_of(rec) != collection and \
                        not (visible is None or collection_of(rec) in visible):
                    # Never named: it lives in a collection this key does not see.
                    entry.update(status=UploadResult.REJECTED,
                                 reason=f"this content cannot be added to collection "
                                        f"{collection!r}")
                elif rec is not None and rec.get("status") != DocumentStatus.FAILED:
                    entry.update(status=UploadResult.DUPLICATE, document_id=rec["id"],
                                 reason=f"the same content was already uploaded as "
                                        f"{rec['name']!r} (collection "
                                        f"{collection_of(rec)!r}): one document")
                else:
                    if rec is None:
                        rec = self._new_record(sha, name, kind, p.size)
                    else:  # a failed upload sent again: try again
                        rec.update(status=DocumentStatus.QUEUED, reason=None)
                    rec["collection"] = collection
                    new.append(rec)
                    os.replace(p.tmp, self.store.original(rec))
                    self.store.save(rec)
                    entry.update(status=UploadResult.QUEUED, document_id=rec["id"])
            results.append(entry)

    def _indexed_elsewhere(self, sha: str, collection: str, visible, entry: dict) -> bool:
        """Is this content already a document added from a folder or file (red-team row 15)?
        Then the upload is that one document (a duplicate), not a second one with the same
        title; `entry` says so. A document of a collection the uploader does not see is never
        named."""
        live = {src: d for src, d in self.assistant.store.live_by_hash(sha).items()
                if d.get("origin_kind") != "upload"}
        if not live:
            return False
        seen = {s: d for s, d in live.items()
                if visible is None or collection_of(d) in visible or collection_of(d) == collection}
        if not seen:
            entry.update(status=UploadResult.REJECTED,
                         reason=f"this content cannot be added to collection {collection!r}")
            return True
        src, d = sorted(seen.items())[0]
        entry.update(status=UploadResult.DUPLICATE, document_id=doc_id(src),
                     reason=f"the same content is already a document: {src!r} (added from a "
                            f"{d.get('origin_kind') or 'folder'}, collection "
                            f"{collection_of(d)!r}): one document")
        return True

    def _new_record(self, sha: str, name: str, kind: str, size: int) -> dict:
        taken = {r["source"]: r["sha256"] for r in self.store.records()}
        source = f"uploads/{name}"
        live = self.assistant.store.live_records([source])  # (that one record only)
        if taken.get(source, sha) != sha or (source in live and
                                              live[source].get("origin_kind") != "upload"):
            source = f"uploads/{sha[:8]}-{name}"
        return {"id": doc_id(source), "sha256": sha, "name": name, "source": source,
                "type": kind, "size": size, "added_at": time.time(), "status": DocumentStatus.QUEUED,
                "reason": None, "job_id": None}

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
                            "status": DocumentStatus.FAILED, "reason": reason,
                            "collection": rest[0] if rest and rest[0] else DEFAULT,
                            "origin": {"kind": None, "path": None}})
        return out

    def _entry(self, src: str, d: dict | None, rec: dict | None, failure) -> dict:
        d = d or {}
        path = Path(d["path"]) if d.get("path") else None
        if rec is not None:
            status = DocumentStatus.INDEXED if d else rec["status"]
            reason = None if d else rec.get("reason")
            if rec.get("status") == DocumentStatus.DELETING:
                status = DocumentStatus.DELETING
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
                "chunks": int(d.get("chunks", 0)), "status": DocumentStatus.INDEXED,
                "reason": failure[1] if failure else None, "collection": collection_of(d),
                "origin": {"kind": d.get("origin_kind"), "path": d.get("origin")}}

    def open_original(self, entry: dict) -> int:
        """An open descriptor of the document's original, verified by `open_verified` (a regular
        file inside the corpus folder, the upload folder or the folder it was ingested from,
        holding the indexed bytes); NotFound otherwise, with the refusal's reason (logged)."""
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
            raise NotFound(ORIGINAL_GONE)
        try:
            return open_verified(path, roots, entry["sha256"])
        except UnsafeFile as exc:
            log.warning("refused to serve %s: %s", entry["source"], exc)
            raise NotFound(ORIGINAL_GONE, refused=str(exc)[:300], source=entry["source"]) from None

    def pdf_active(self, fd: int, sha256: str | None) -> str | None:
        """The active content of the PDF open at `fd` (see `pdf_active_content`), remembered
        by content hash; the descriptor's position is left at the start."""
        if sha256 and sha256 in self._active:
            return self._active[sha256]
        with os.fdopen(os.dup(fd), "rb") as fh:
            found = pdf_active_content(fh)
        os.lseek(fd, 0, os.SEEK_SET)
        if sha256:
            if len(self._active) > 1000:
                self._active.clear()
            self._active[sha256] = found
        return found

    def delete(self, entry: dict) -> dict:
        """Queue the removal of an uploaded document (from the index, in one manifest switch, and
        its stored original); the job. Conflict for a folder or file run's document (it lives in
        that folder) or one already being deleted."""
        if entry["origin"]["kind"] != "upload":
            raise Conflict(f"{entry['source']!r} comes from a {entry['origin']['kind']} run "
                           f"({entry['origin']['path']}): remove the file there and run "
                           f"`python -m ingest` on it again")
        with self.store.lock:
            rec = self.store.record(entry["sha256"])
            if rec is None or rec.get("status") == DocumentStatus.DELETING:
                raise Conflict("this document is already being deleted")
            rec["status"] = DocumentStatus.DELETING
            self.store.save(rec)
        return self.jobs.create("delete", [{"document_id": rec["id"], "sha256": rec["sha256"],
                                            "name": rec["name"], "status": FileStatus.QUEUED,
                                            "reason": None}], collection=entry["collection"])

    def job(self, job_id: str, collections: tuple[str, ...] | None = None) -> dict:
        """A job as its owner may see it (NotFound for another collection's job)."""
        job = self.jobs.get(job_id)
        if job is None or not (collections is None or (job.get("collection") or DEFAULT) in collections):
            raise NotFound(f"no job with id {job_id!r}")
        job.pop("worker", None)
        for f in job["files"]:
            f.pop("sha256", None)
        return job

    def find(self, document_id: str, collections: tuple[str, ...] | None = None) -> dict:
        """The document, or 404; a document of a collection outside `collections` is a 404
        with the same text as one that does not exist."""
        for e in self.listing(collections):
            if e["id"] == document_id:
                return e
        raise NotFound(f"no document with id {document_id!r}")
