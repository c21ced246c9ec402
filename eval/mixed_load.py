"""Mixed load (red-team row 7): 12 clients asking, streaming, following up, uploading, deleting and
listing against a real `python -m assistant serve` (with its niced ingest worker process), for
60 s in four alternating windows, without and with uploads and deletes, so that chat latency with
and without ingest work is measured in the same run.

`python -m eval.mixed_load [--seconds 60] [--out FILE]`; prints a JSON summary and exits 1 on any
error. The corpus is copied to a temporary folder and ingested into a temporary embedded store
first (`python -m ingest`), as `eval/load.py` does; rate limits are raised so that none answers
429 here.

Clients (12): 3 ask `/v1/chat`, 3 ask `/v1/chat/stream`, 2 ask a question and then a follow-up in
its conversation, 2 upload a document (a corpus file with a unique first line, 3-30 KB) and wait
for its job, 1 uploads a small document, waits, deletes it and waits for the delete job, 1 lists
`/v1/sources` and `/v1/documents`. In the "quiet" windows (the 1st and 3rd quarter) the three
upload/delete clients wait; in the "uploads" windows they work. A question counts as "with
ingest" when it overlaps the time from an upload or delete request to the end of its job (a job
started in an uploads window may run on into the next quiet one), "without ingest" otherwise.
Reported: requests, errors, p50/p95 of `/v1/chat` (chat and follow-up clients) and of whole
streams, per window kind and per overlap; jobs finished; any non-2xx answer, connection error or
failed job is an error.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import typer

from assistant.core import offline
from assistant.core.config import PROJECT_ROOT
from eval.load import (
    ask_stream,
    free_port,
    pct,
    questions_for,
    run_ingest,
    stop_server,
    wait_healthy,
)

FOLLOW_UPS = ["And what about its price?", "Which of those were in 2023?",
              "What did they say about manufacturing?", "And the other company?"]
ROLES = ["chat"] * 3 + ["stream"] * 3 + ["followup"] * 2 + ["upload"] * 2 + ["delete"] + ["sources"]


@dataclass
class Outcome:
    role: str
    kind: str  # chat | stream | followup | upload | delete | sources | job
    phase: str  # quiet | uploads: the kind of window it started in
    ms: float
    ok: bool
    error: str = ""
    start: float = 0.0
    end: float = 0.0


class Load:
    def __init__(self, base: str, questions: list[str], corpus: Path, window: float) -> None:
        self.base, self.questions, self.window = base, questions, window
        self.docs = sorted(p for p in corpus.iterdir() if p.is_file())
        self.out: list[Outcome] = []
        self.lock = threading.Lock()
        self.t0 = 0.0
        self.jobs_done = {"quiet": 0, "uploads": 0}
        self.ingest: list[tuple[float, float]] = []  # upload/delete request -> its job's end

    def phase(self) -> str:
        return self.phase_at(time.perf_counter())

    def phase_at(self, t: float) -> str:
        return "quiet" if int((t - self.t0) / self.window) % 2 == 0 else "uploads"

    def record(self, role: str, kind: str, t: float, ok: bool, error: str = "") -> None:
        now = time.perf_counter()
        with self.lock:
            self.out.append(Outcome(role, kind, self.phase_at(t), (now - t) * 1000, ok,
                                    error[:200], t, now))

    def call(self, role: str, kind: str, fn) -> object:
        t = time.perf_counter()
        try:
            ok, err, value = fn()
        except httpx.HTTPError as exc:
            ok, err, value = False, f"{type(exc).__name__}: {exc}", None
        self.record(role, kind, t, ok, err)
        return value

    # --- requests ---
    def chat(self, c: httpx.Client, question: str, cid: str | None = None):
        body = {"question": question, **({"conversation_id": cid} if cid else {})}
        r = c.post(self.base + "/v1/chat", json=body)
        ok = r.status_code == 200 and "answer" in r.json()
        return ok, "" if ok else f"chat {r.status_code}: {r.text[:150]}", r.json() if ok else None

    def stream(self, c: httpx.Client, question: str):
        status, ok, err = ask_stream(c, self.base, question)
        return ok, err, None

    def listing(self, c: httpx.Client):
        a = c.get(self.base + "/v1/sources")
        b = c.get(self.base + "/v1/documents")
        ok = a.status_code == 200 and b.status_code == 200
        return ok, "" if ok else f"listing {a.status_code}/{b.status_code}", None

    def upload(self, c: httpx.Client, name: str, data: bytes):
        r = c.post(self.base + "/v1/documents", files={"files": (name, data, "text/plain")})
        ok = r.status_code == 202 and r.json().get("job_id")
        return bool(ok), "" if ok else f"upload {r.status_code}: {r.text[:150]}", \
            r.json() if ok else None

    def delete(self, c: httpx.Client, doc_id: str):
        r = c.delete(f"{self.base}/v1/documents/{doc_id}")
        ok = r.status_code == 202
        return ok, "" if ok else f"delete {r.status_code}: {r.text[:150]}", r.json() if ok else None

    def wait_job(self, c: httpx.Client, job_id: str, role: str, deadline: float) -> bool:
        t = time.perf_counter()
        while time.perf_counter() < deadline + 120:
            r = c.get(f"{self.base}/v1/jobs/{job_id}")
            if r.status_code != 200:
                self.record(role, "job", t, False, f"job {r.status_code}: {r.text[:150]}")
                return False
            job = r.json()
            if job["status"] in ("done", "failed"):
                ok = job["status"] == "done" and all(f["status"] in ("indexed", "removed")
                                                     for f in job["files"])
                self.record(role, "job", t, ok, "" if ok else f"job {json.dumps(job)[:150]}")
                with self.lock:
                    self.jobs_done[self.phase()] += ok
                return ok
            time.sleep(0.5)
        self.record(role, "job", t, False, f"job {job_id} did not finish")
        return False

    # --- clients ---
    def client(self, idx: int, role: str, end: float) -> None:
        n = idx
        with httpx.Client(timeout=180) as c:
            while time.perf_counter() < end:
                n += 1
                q = self.questions[(n * 7 + idx) % len(self.questions)]
                quiet = self.phase() == "quiet"
                if role == "chat":
                    self.call(role, "chat", lambda: self.chat(c, q))
                elif role == "stream":
                    self.call(role, "stream", lambda: self.stream(c, q))
                elif role == "followup":
                    first = self.call(role, "chat", lambda: self.chat(c, q))
                    if first:
                        f = FOLLOW_UPS[n % len(FOLLOW_UPS)]
                        self.call(role, "followup",
                                  lambda: self.chat(c, f, first["conversation_id"]))
                elif role == "sources":
                    self.call(role, "sources", lambda: self.listing(c))
                elif quiet:
                    time.sleep(0.2)
                elif role == "upload":
                    self.upload_one(c, idx, n, end)
                else:
                    self.upload_and_delete(c, idx, n, end)

    def document(self, idx: int, n: int, small: bool) -> bytes:
        src = self.docs[(idx + n) % len(self.docs)].read_text(encoding="utf-8")
        body = src[:3000] if small else src[:30000]
        return f"Mixed load note {idx}-{n}-{time.time_ns()}\n\n{body}".encode()

    def upload_one(self, c: httpx.Client, idx: int, n: int, end: float) -> None:
        t = time.perf_counter()
        made = self.call("upload", "upload",
                         lambda: self.upload(c, f"load-{idx}-{n}.txt", self.document(idx, n, False)))
        if made:
            self.wait_job(c, made["job_id"], "upload", end)
        with self.lock:
            self.ingest.append((t, time.perf_counter()))

    def upload_and_delete(self, c: httpx.Client, idx: int, n: int, end: float) -> None:
        t = time.perf_counter()
        try:
            made = self.call("delete", "upload", lambda: self.upload(
                c, f"gone-{idx}-{n}.txt", self.document(idx, n, True)))
            if not made or not self.wait_job(c, made["job_id"], "delete", end):
                return
            doc_id = made["files"][0]["document_id"]
            gone = self.call("delete", "delete", lambda: self.delete(c, doc_id))
            if gone:
                self.wait_job(c, gone["job_id"], "delete", end)
        finally:
            with self.lock:
                self.ingest.append((t, time.perf_counter()))


def _stats(items: list[Outcome]) -> dict:
    ms = [o.ms for o in items if o.ok]
    return {"requests": len(items), "errors": sum(not o.ok for o in items),
            "p50_ms": round(statistics.median(ms), 1) if ms else None,
            "p95_ms": round(pct(ms, 95), 1) if ms else None}


def summarise(load: Load, elapsed: float) -> dict:
    def block(kind: set[str], phase: str) -> dict:
        return _stats([o for o in load.out if o.kind in kind and o.phase == phase])

    def during_ingest(o: Outcome) -> bool:
        return any(o.start < b and a < o.end for a, b in load.ingest)

    asked = [o for o in load.out if o.kind in ("chat", "followup")]
    streams = [o for o in load.out if o.kind == "stream"]
    errors = [o for o in load.out if not o.ok]
    return {
        "clients": len(ROLES), "roles": {r: ROLES.count(r) for r in dict.fromkeys(ROLES)},
        "seconds": round(elapsed, 1), "requests": len(load.out), "errors": len(errors),
        "error_examples": sorted({o.error for o in errors})[:5],
        "chat_without_ingest": _stats([o for o in asked if not during_ingest(o)]),
        "chat_with_ingest": _stats([o for o in asked if during_ingest(o)]),
        "stream_without_ingest": _stats([o for o in streams if not during_ingest(o)]),
        "stream_with_ingest": _stats([o for o in streams if during_ingest(o)]),
        "ingest_busy_seconds": round(sum(b - a for a, b in load.ingest), 1),
        "phases": {p: {"chat": block({"chat"}, p), "followup": block({"followup"}, p),
                       "stream": block({"stream"}, p), "sources": block({"sources"}, p),
                       "uploads": block({"upload"}, p), "deletes": block({"delete"}, p),
                       "jobs_done": load.jobs_done[p]} for p in ("quiet", "uploads")},
    }


def main(
    seconds: float = typer.Option(60.0, min=4, help="How long the clients run (four "
                                  "windows: quiet, uploads, quiet, uploads)."),
    corpus: Path = typer.Option(PROJECT_ROOT / "corpus", help="Documents to copy and ingest."),
    out: Path = typer.Option(None, help="Also write the JSON summary to this file."),
    keep: bool = typer.Option(False, help="Keep the temporary folder (store, logs)."),
) -> None:
    work = Path(tempfile.mkdtemp(prefix="mixed-load-"))
    docs = work / "docs"
    shutil.copytree(corpus, docs)
    env = {**offline.env(), "ASSISTANT_CHROMA_PATH": str(work / "chroma"),
           "ASSISTANT_CORPUS_DIR": str(docs), "ASSISTANT_AUDIT_PATH": str(work / "audit.jsonl"),
           **{f"ASSISTANT_RATE_LIMIT_{k}": "1000000/minute" for k in (
               "CHAT_PER_KEY", "CHAT_PER_ADDRESS", "UPLOADS", "FEEDBACK", "UNMATCHED_PER_ADDRESS")}}
    typer.echo(f"mixed load: work folder {work}; first ingest ...", err=True)
    rc, _ = run_ingest(docs, env, work / "ingest.log")
    if rc != 0:
        typer.echo(f"error: the first ingest failed (exit {rc}); see {work / 'ingest.log'}", err=True)
        raise typer.Exit(2)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = work / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                                  env=env, cwd=PROJECT_ROOT, stdout=log, stderr=log)
        try:
            wait_healthy(base, server)
            load = Load(base, questions_for(corpus), docs, seconds / 4)
            with httpx.Client(timeout=120) as c:  # warm-up: the first questions build caches
                for q in load.questions[:6]:
                    load.chat(c, q)
            load.t0 = time.perf_counter()
            end = load.t0 + seconds
            threads = [threading.Thread(target=load.client, args=(i, role, end), daemon=True)
                       for i, role in enumerate(ROLES)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - load.t0
        finally:
            stop_server(server)
    summary = summarise(load, elapsed)
    summary["server_log_tracebacks"] = log_path.read_text(errors="replace").count("Traceback")
    typer.echo(json.dumps(summary, indent=2))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if keep or summary["errors"] or summary["server_log_tracebacks"]:
        typer.echo(f"mixed load: logs and store kept in {work}", err=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
    if summary["errors"] or summary["server_log_tracebacks"]:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
