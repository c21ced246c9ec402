"""The ingest worker: runs the upload and delete jobs that the API queues in the jobs table
(`assistant.documents.jobs`), through the same `Ingestor` and one-write manifest switch as
`python -m ingest`.

`python -m ingest.worker` runs it as its own process, at a lower CPU priority, so that parsing and
embedding never hold the API's interpreter while questions are answered; `python -m assistant
serve` starts one beside the server (ASSISTANT_INGEST_WORKER=false when another machine runs it).
It stops on SIGTERM/SIGINT and when the process that started it exits. `IngestWorker.start()`
runs the same loop in a thread (tests, embedded use).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

from assistant.core.collections import collection_of
from assistant.core.config import Settings, get_settings
from assistant.documents.jobs import JobStore, JobWorker
from assistant.documents.states import DocumentStatus, FileStatus, JobStatus
from assistant.documents.store import DocumentStore
from assistant.index.store import ChunkStore
from assistant.retrieval.embedding import Embedder, LazyEmbedder
from ingest.pipeline import IngestBusy, Ingestor

log = logging.getLogger(__name__)


class IngestWorker:
    """Claims queued jobs one at a time and runs them."""

    def __init__(self, settings: Settings, chunks: ChunkStore, embedder: Embedder,
                 poll_seconds: float = 0.5) -> None:
        self.settings = settings
        self.chunks = chunks
        self.embedder = embedder
        self.store = DocumentStore(settings.documents_path)
        self.jobs = JobStore(settings.jobs_path, settings.job_retention_hours * 3600)
        self.worker = JobWorker(self.jobs, self.run_job, poll_seconds=poll_seconds)

    def start(self) -> "IngestWorker":
        self.worker.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.worker.stop(timeout)

    def run_job(self, job: dict, save) -> None:
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

        ingestor = Ingestor(self.settings, self.chunks, self.embedder,
                            progress=False, on_progress=progress)
        while True:
            try:
                if job["kind"] == "upload":
                    self._run_upload(job, save, ingestor)
                else:
                    self._run_delete(job, save, ingestor)
                return
            except IngestBusy as exc:
                if job["status"] != JobStatus.WAITING:
                    job["status"], job["message"] = JobStatus.WAITING, str(exc)
                    save(job)
                time.sleep(0.5)

    def _run_upload(self, job: dict, save, ingestor) -> None:
        names, paths, by_path, collections = {}, [], {}, {}
        for f in job["files"]:
            rec = self.store.record(f["sha256"])
            if rec is None or rec.get("status") == DocumentStatus.DELETING:
                f["status"], f["reason"] = FileStatus.FAILED, "deleted before it was ingested"
                continue
            path = self.store.original(rec)
            paths.append(path)
            names[path] = (rec["source"], rec["name"])
            collections[path] = collection_of(rec)
            by_path[str(path)] = (f, rec)
            f["status"] = FileStatus.INGESTING
            self.store.update(rec["sha256"], status=DocumentStatus.INGESTING)
        job["status"], job["message"] = JobStatus.RUNNING, None
        save(job)
        summary = ingestor.run(paths, prune=False, origin="upload", names=names,
                               collections=collections) if paths else None
        failed = {x.path: x.reason for x in summary.failed} if summary else {}
        live = self.chunks.live_records(rec["source"] for _, rec in by_path.values())
        for path, (f, rec) in by_path.items():
            if path in failed:
                f["status"], f["reason"] = FileStatus.FAILED, failed[path]
                self.store.update(rec["sha256"], status=DocumentStatus.FAILED, reason=failed[path])
                # A refused original is not kept (nor served): the record says why.
                self.store.original(rec).unlink(missing_ok=True)
            else:
                f["status"] = FileStatus.INDEXED
                f["chunks"] = int(live.get(rec["source"], {}).get("chunks", 0))
                self.store.update(rec["sha256"], status=DocumentStatus.INDEXED, reason=None)
        job["progress"].update(done=len(job["files"]), stage="done")
        job["status"], job["finished_at"] = JobStatus.DONE, time.time()
        save(job)

    def _run_delete(self, job: dict, save, ingestor) -> None:
        recs = [self.store.record(f["sha256"]) for f in job["files"]]
        live = self.chunks.live_records(r["source"] for r in recs if r is not None)
        for f, rec in zip(job["files"], recs):
            if rec is None:
                f["status"] = FileStatus.REMOVED
                continue
            if rec["source"] in live:
                ingestor.remove([rec["source"]])
            self.store.drop(rec)
            f["status"] = FileStatus.REMOVED
            job["progress"]["done"] += 1
            save(job)
        job["status"], job["finished_at"] = JobStatus.DONE, time.time()
        save(job)


def _parent_watch(parent: int, stop: threading.Event) -> None:
    """Stop when the process that started this one is gone (re-parented)."""
    while not stop.wait(1.0):
        if os.getppid() != parent:
            log.info("the server that started this worker has exited; stopping")
            stop.set()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    try:
        os.nice(settings.ingest_worker_nice)
    except OSError:
        pass
    worker = IngestWorker(settings, ChunkStore(settings),
                          LazyEmbedder(settings.embed_model, settings.ingest_torch_threads))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    parent = os.getppid()
    if os.environ.get("ASSISTANT_WORKER_PARENT") == str(parent):
        threading.Thread(target=_parent_watch, args=(parent, stop), daemon=True).start()
    worker.start()
    log.info("ingest worker %s: waiting for jobs in %s", os.getpid(), settings.jobs_path)
    stop.wait()
    worker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
