"""Background ingest jobs, kept on disk so that any API process can report on any job.

A job is one JSON file in the jobs folder (`Settings.jobs_path`), written atomically (a temporary
file renamed over it); `pending/` holds an empty file per unfinished job, which is all a worker's
poll reads, and finished jobs are deleted after `ASSISTANT_JOB_RETENTION_HOURS`. Kinds: `upload`
(ingest stored originals with origin "upload") and `delete` (remove documents from the index).
The ingest worker (`python -m ingest.worker`, its own niced process) runs one `JobWorker`: it
claims the oldest queued job (under a claim lock in the jobs folder, so two workers never take
the same job), then runs it through the same `Ingestor` and atomic manifest switch as
`python -m ingest`.
The ingest lock still decides who writes: while a CLI run (or another process's job) holds it, the
job waits with status "waiting". Questions go on being answered from the previous index until the
job's one manifest write switches it.

Job statuses: queued, waiting (for the ingest lock), running, done, failed. Per-file results:
queued, ingesting, indexed, failed (with a reason), removed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from filelock import FileLock

from assistant.documents.states import FileStatus, JobStatus

log = logging.getLogger(__name__)

JOB_STATUSES = tuple(JobStatus)


def write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_json(path: Path) -> Any | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


FINISHED = (JobStatus.DONE, JobStatus.FAILED)
PRUNE_EVERY_S = 300.0


class JobStore:
    """Job records (`<id>.json`) and the index of unfinished ones (`pending/<id>`, an empty file
    per queued, waiting or running job): a worker's poll lists that folder and reads only those
    jobs, never every finished one (red-team row 7: 20,000 finished jobs cost 0.81 s a poll).
    Finished jobs older than `retention_s` are deleted by `prune` (run by the worker)."""

    def __init__(self, folder: Path, retention_s: float = 86400.0, clock=time.time) -> None:
        self.folder = Path(folder)
        self.pending_dir = self.folder / "pending"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._claim = FileLock(str(self.folder / ".claim.lock"))
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.retention_s = retention_s
        self.clock = clock
        self._pruned = float("-inf")
        if not self.pending_dir.is_dir():
            self._build_pending_index()

    def _build_pending_index(self) -> None:
        """Once, for a jobs folder written before the index existed: mark its unfinished jobs."""
        with self._claim:
            if self.pending_dir.is_dir():
                return
            tmp = self.folder / f".pending.{uuid.uuid4().hex[:8]}"
            tmp.mkdir()
            for p in self.folder.glob("*.json"):
                job = read_json(p)
                if job and job.get("status") not in FINISHED:
                    (tmp / p.stem).touch()
            os.replace(tmp, self.pending_dir)

    def _path(self, job_id: str) -> Path:
        if not job_id.isalnum():
            raise KeyError(job_id)
        return self.folder / f"{job_id}.json"

    def create(self, kind: str, files: list[dict], **extra) -> dict:
        now = time.time()
        job = {"id": uuid.uuid4().hex, "kind": kind, "status": JobStatus.QUEUED, "created_at": now,
               "updated_at": now, "started_at": None, "finished_at": None, "message": None,
               "progress": {"total": len(files), "done": 0}, "files": files, **extra}
        write_json_atomic(self._path(job["id"]), job)
        try:
            (self.pending_dir / job["id"]).touch()
        except OSError:
            self._path(job["id"]).unlink(missing_ok=True)
            raise
        return job

    def get(self, job_id: str) -> dict | None:
        try:
            return read_json(self._path(job_id))
        except KeyError:
            return None

    def save(self, job: dict) -> None:
        job["updated_at"] = time.time()
        write_json_atomic(self._path(job["id"]), job)
        if job["status"] in FINISHED:
            (self.pending_dir / job["id"]).unlink(missing_ok=True)

    def pending(self) -> list[dict]:
        """The unfinished jobs, oldest first (read through the pending index)."""
        jobs = []
        for marker in self.pending_dir.iterdir():
            job = self.get(marker.name) if marker.name.isalnum() else None
            if job is None or job.get("status") in FINISHED:  # gone, or finished elsewhere
                marker.unlink(missing_ok=True)
                continue
            jobs.append(job)
        return sorted(jobs, key=lambda j: j["created_at"])

    def all(self) -> list[dict]:
        jobs = [read_json(p) for p in self.folder.glob("*.json")]
        return sorted((j for j in jobs if j), key=lambda j: j["created_at"])

    def claim_next(self) -> dict | None:
        """The oldest queued job, marked running by this worker; None when there is none. A job
        left running by a process of this machine that has died is queued again."""
        with self._claim:
            for job in self.pending():
                if job["status"] in (JobStatus.RUNNING, JobStatus.WAITING):
                    host, _, pid = str(job.get("worker", "")).rpartition(":")
                    if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
                        job["status"] = JobStatus.QUEUED
                        job["message"] = "restarted: the process running it stopped"
                if job["status"] == JobStatus.QUEUED:
                    job["status"] = JobStatus.RUNNING
                    job["worker"] = self.worker_id
                    job["started_at"] = time.time()
                    self.save(job)
                    return job
        return None

    def prune(self, force: bool = False) -> int:
        """Delete finished jobs older than the retention (judged by the file's modification
        time, so without reading them); at most every PRUNE_EVERY_S unless `force`. Returns
        how many were deleted."""
        now = self.clock()
        if not force and now - self._pruned < min(PRUNE_EVERY_S, self.retention_s / 2):
            return 0
        self._pruned = now
        pending = {p.name for p in self.pending_dir.iterdir()}
        cutoff, removed = now - self.retention_s, 0
        for p in self.folder.glob("*.json"):
            try:
                if p.stem not in pending and p.stat().st_mtime < cutoff:
                    p.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


class JobWorker:
    """A thread that runs queued jobs one at a time with `handler(job, save)`."""

    def __init__(self, jobs: JobStore, handler: Callable[[dict, Callable[[dict], None]], None],
                 poll_seconds: float = 1.0) -> None:
        self.jobs = jobs
        self.handler = handler
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ingest-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.jobs.claim_next()
                if job is None:
                    self.jobs.prune()
            except Exception:
                log.exception("could not read the jobs folder")
                job = None
            if job is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            try:
                self.handler(job, self.jobs.save)
            except Exception as exc:
                log.exception("job %s failed", job["id"])
                job["status"] = JobStatus.FAILED
                job["message"] = f"{type(exc).__name__}: {exc}"[:500]
                job["finished_at"] = time.time()
                for f in job["files"]:
                    if f.get("status") in (FileStatus.QUEUED, FileStatus.INGESTING):
                        f["status"], f["reason"] = FileStatus.FAILED, job["message"]
                self.jobs.save(job)
