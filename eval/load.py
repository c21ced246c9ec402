"""Load test: N clients against a real server while ingests switch the index.
`python -m eval.load` (or `make load`); prints a JSON summary and exits 1 on any error.

- The corpus is copied to a temporary folder and ingested into a temporary embedded store
  (`python -m ingest`), then a real `python -m assistant serve` process is started on a free
  loopback port over that store (rate limits raised so that they do not answer 429 here).
- N client threads (default 16) ask for D seconds (default 60), each alternating `/v1/chat` and
  `/v1/chat/stream`, with the eval-set questions (written from the corpus).
- Meanwhile K ingests (default 3; `--ingests 0` is the baseline) run as `python -m ingest`
  subprocesses against the same store at spread times, each after appending a sentence to one
  file of the copy, so that every one of them writes a segment and switches the index.
- `--grace 0 --merge-factor 2` makes every ingest merge segments and drop the merged-away ones
  at once (no grace period): the harshest case for a reader holding the old segments.
- Counted: non-200 answers (by status), dropped streams (a connection error, or a stream that
  ends without its `final` event, or with an `error` event), other client errors; throughput,
  latency p50/p95 (overall and per endpoint); errors within 2 s of a switch; the server log's
  tracebacks.
"""

from __future__ import annotations

import json
import shutil
import socket
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

EDIT_SENTENCE = ("\n\nLoad-test note {n}: the agreement was amended on day {n} with no change to "
                 "the headline terms.\n")


@dataclass
class Outcome:
    kind: str  # chat | stream
    t_end: float  # seconds since the load started
    ms: float
    status: int | None  # HTTP status, None when the connection failed
    ok: bool
    error: str = ""  # "" when ok


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def questions_for(corpus: Path) -> list[str]:
    """The eval-set questions (written from the corpus) for the project corpus; for another
    folder, questions made from the first sentence of each document."""
    from eval.dataset import DEFAULT_SET, load

    if corpus.resolve() == (PROJECT_ROOT / "corpus").resolve() and DEFAULT_SET.exists():
        return [q.question for q in load()]
    out = []
    for f in sorted(p for p in corpus.rglob("*") if p.is_file()):
        topic = f.stem.replace("-", " ").replace("_", " ")
        out += [f"What does {topic} report?", f"Who are the parties in {topic}?"]
    return out or ["What is a CDMO?"]


def ask_chat(client: httpx.Client, base: str, question: str) -> tuple[int | None, bool, str]:
    r = client.post(base + "/v1/chat", json={"question": question})
    if r.status_code != 200:
        return r.status_code, False, f"http {r.status_code}: {r.text[:200]}"
    body = r.json()
    if "answer" not in body:
        return r.status_code, False, "200 without an answer"
    return r.status_code, True, ""


def ask_stream(client: httpx.Client, base: str, question: str) -> tuple[int | None, bool, str]:
    with client.stream("POST", base + "/v1/chat/stream", json={"question": question}) as s:
        if s.status_code != 200:
            s.read()
            return s.status_code, False, f"http {s.status_code}: {s.text[:200]}"
        event, final, error = None, False, ""
        for line in s.iter_lines():
            if line.startswith("event: "):
                event = line[7:].strip()
            elif line.startswith("data: ") and event == "final":
                final = "answer" in json.loads(line[6:])
            elif line.startswith("data: ") and event == "error":
                error = f"stream error event: {line[6:200]}"
        if error:
            return 200, False, error
        if not final:
            return 200, False, "stream ended without its final event"
        return 200, True, ""


def client_loop(idx: int, base: str, questions: list[str], t0: float, deadline: list[float],
                out: list[Outcome], lock: threading.Lock) -> None:
    n = idx
    with httpx.Client(timeout=120) as client:
        while time.perf_counter() < deadline[0]:
            kind = "chat" if n % 2 == 0 else "stream"
            q = questions[(n * 7 + idx) % len(questions)]
            n += 1
            t = time.perf_counter()
            try:
                status, ok, err = (ask_chat if kind == "chat" else ask_stream)(client, base, q)
            except httpx.HTTPError as exc:  # refused, reset, incomplete chunked read, timeout
                status, ok, err = None, False, f"{type(exc).__name__}: {exc}"[:200]
            now = time.perf_counter()
            with lock:
                out.append(Outcome(kind, now - t0, (now - t) * 1000, status, ok, err))


def run_ingest(docs: Path, env: dict, log_path: Path) -> tuple[int, float]:
    t = time.perf_counter()
    with open(log_path, "ab") as log:
        rc = subprocess.run([sys.executable, "-m", "ingest", "--quiet", str(docs)], env=env,
                            cwd=PROJECT_ROOT, stdout=log, stderr=log, check=False).returncode
    return rc, time.perf_counter() - t


def ingest_loop(k: int, seconds: float, docs: Path, env: dict, work: Path, t0: float,
                deadline: list[float], events: list[dict], stop: threading.Event) -> None:
    files = sorted(p for p in docs.iterdir() if p.is_file())
    for i in range(k):
        # Started early and in turn (one ingest at a time): under full load an ingest of the
        # corpus takes 15-35 s on 2 cores, and every switch must happen while the clients ask.
        at = t0 + 1 + i * seconds / (k + 1)
        while time.perf_counter() < at:
            if stop.wait(0.1):
                return
        target = files[i % len(files)]
        with open(target, "a", encoding="utf-8") as f:
            f.write(EDIT_SENTENCE.format(n=i + 1))
        deadline[0] = float("inf")  # the clients ask on until this switch is done
        start = time.perf_counter() - t0
        rc, took = run_ingest(docs, env, work / "ingest.log")
        deadline[0] = max(t0 + seconds, time.perf_counter() + 3)
        events.append({"n": i + 1, "file": target.name, "start_s": round(start, 2),
                       "end_s": round(start + took, 2), "seconds": round(took, 2), "rc": rc})


def stop_server(server: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a server process: SIGTERM (its graceful shutdown), then SIGKILL after `timeout`."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wait_healthy(base: str, server: subprocess.Popen, limit: float = 180) -> float:
    t0 = time.perf_counter()
    while True:
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        if time.perf_counter() - t0 > limit or server.poll() is not None:
            raise RuntimeError("the server did not become healthy")
        time.sleep(0.2)


def summarise(outcomes: list[Outcome], seconds: float, clients: int, ingests: list[dict],
              server_log: str) -> dict:
    def block(items: list[Outcome]) -> dict:
        ms = [o.ms for o in items if o.ok]
        return {"requests": len(items), "ok": sum(o.ok for o in items),
                "p50_ms": round(statistics.median(ms), 1) if ms else None,
                "p95_ms": round(pct(ms, 95), 1) if ms else None}

    non_200: dict[str, int] = {}
    for o in outcomes:
        if o.status is not None and o.status != 200:
            non_200[str(o.status)] = non_200.get(str(o.status), 0) + 1
    dropped = sum(1 for o in outcomes if o.kind == "stream" and not o.ok and o.status in (200, None))
    failed_conn = sum(1 for o in outcomes if o.kind == "chat" and o.status is None)
    errors = [o for o in outcomes if not o.ok]
    kinds: dict[str, int] = {}
    for o in errors:
        key = o.error.split(":")[0] if o.status is None else o.error[:120]
        kinds[key] = kinds.get(key, 0) + 1
    ends = [e["end_s"] for e in ingests]
    near_switch = sum(1 for o in errors if any(abs(o.t_end - t) <= 2.0 for t in ends))
    return {
        "clients": clients,
        "seconds": round(seconds, 1),
        "ingests": ingests,
        "requests": len(outcomes),
        "ok": len(outcomes) - len(errors),
        "errors": len(errors),
        "non_200": non_200,
        "non_200_total": sum(non_200.values()),
        "dropped_streams": dropped,
        "chat_connection_errors": failed_conn,
        "errors_within_2s_of_a_switch": near_switch,
        "error_kinds": kinds,
        "throughput_rps": round(len(outcomes) / seconds, 2),
        "latency": block(outcomes),
        "chat": block([o for o in outcomes if o.kind == "chat"]),
        "stream": block([o for o in outcomes if o.kind == "stream"]),
        "server_log_tracebacks": server_log.count("Traceback"),
        "server_log_not_found": server_log.count("NotFoundError") + server_log.count(
            "does not exist"),
    }


def main(
    clients: int = typer.Option(16, min=1, help="Concurrent client threads."),
    seconds: float = typer.Option(60.0, min=1, help="How long the clients ask."),
    ingests: int = typer.Option(3, min=0, help="Ingests of an edited corpus copy during the "
                                "load (0: the baseline)."),
    corpus: Path = typer.Option(PROJECT_ROOT / "corpus", help="Documents to copy and ingest."),
    port: int = typer.Option(0, help="Loopback port (0: a free one)."),
    out: Path = typer.Option(None, help="Also write the JSON summary to this file."),
    keep: bool = typer.Option(False, help="Keep the temporary folder (store, logs)."),
    grace: float = typer.Option(None, min=0, help="ASSISTANT_SEGMENT_GRACE_SECONDS for the "
                                "server and the ingests (default: the setting's default, 300)."),
    merge_factor: int = typer.Option(None, min=2, help="ASSISTANT_SEGMENT_MERGE_FACTOR (2: "
                                     "every ingest merges and retires segments)."),
) -> None:
    from tqdm import tqdm

    work = Path(tempfile.mkdtemp(prefix="load-"))
    docs = work / "docs"
    shutil.copytree(corpus, docs)
    env = {**offline.env(),
           "ASSISTANT_CHROMA_PATH": str(work / "chroma"), "ASSISTANT_CORPUS_DIR": str(docs),
           "ASSISTANT_AUDIT_PATH": str(work / "audit.jsonl"),
           "ASSISTANT_RATE_LIMIT_CHAT_PER_KEY": "1000000/minute",
           "ASSISTANT_RATE_LIMIT_CHAT_PER_ADDRESS": "1000000/minute"}
    if grace is not None:
        env["ASSISTANT_SEGMENT_GRACE_SECONDS"] = str(grace)
    if merge_factor is not None:
        env["ASSISTANT_SEGMENT_MERGE_FACTOR"] = str(merge_factor)
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    typer.echo(f"load: work folder {work}; first ingest ...", err=True)
    rc, _ = run_ingest(docs, env, work / "ingest.log")
    if rc != 0:
        typer.echo(f"error: the first ingest failed (exit {rc}); see {work / 'ingest.log'}", err=True)
        raise typer.Exit(2)
    server_log_path = work / "server.log"
    server_log = open(server_log_path, "wb")
    server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                              env=env, cwd=PROJECT_ROOT, stdout=server_log, stderr=server_log)
    outcomes: list[Outcome] = []
    events: list[dict] = []
    try:
        startup = wait_healthy(base, server)
        questions = questions_for(corpus)
        with httpx.Client(timeout=120) as c:  # warm-up: first question loads lazily built parts
            ask_chat(c, base, questions[0])
            ask_stream(c, base, questions[-1])
        typer.echo(f"load: server healthy after {startup:.1f} s; {clients} clients for "
                   f"{seconds:.0f} s with {ingests} ingest(s)", err=True)
        lock = threading.Lock()
        stop = threading.Event()
        t0 = time.perf_counter()
        deadline = [t0 + seconds]  # moved on when an ingest ends late: every switch under load
        threads = [threading.Thread(target=client_loop, daemon=True,
                                    args=(i, base, questions, t0, deadline, outcomes, lock))
                   for i in range(clients)]
        ingester = threading.Thread(target=ingest_loop, daemon=True,
                                    args=(ingests, seconds, docs, env, work, t0, deadline, events,
                                          stop))
        for t in threads:
            t.start()
        ingester.start()
        tty = sys.stderr.isatty()  # a bar on a terminal, a line every 10 s in a log
        with tqdm(total=int(seconds), unit="s", file=sys.stderr, desc="load", mininterval=1,
                  disable=not tty) as bar:
            last = 0
            while any(t.is_alive() for t in threads):
                time.sleep(1)
                now = int(time.perf_counter() - t0)
                with lock:
                    ok = sum(o.ok for o in outcomes)
                    bad = len(outcomes) - ok
                if tty:
                    bar.total = max(bar.total, now)
                    bar.update(now - last)
                    bar.set_postfix(ok=ok, errors=bad, switches=len(events))
                elif now // 10 > last // 10:
                    typer.echo(f"load: {now:4d} s  ok {ok}  errors {bad}  switches {len(events)}",
                               err=True)
                last = now
        stop.set()
        ingester.join()
        elapsed = time.perf_counter() - t0
    finally:
        stop_server(server)
        server_log.close()
    text = server_log_path.read_text(encoding="utf-8", errors="replace")
    summary = summarise(outcomes, elapsed, clients, events, text)
    summary["elapsed_seconds"] = round(elapsed, 1)
    summary["grace_seconds"] = grace
    summary["merge_factor"] = merge_factor
    summary["ingests_requested"] = ingests
    summary["ingest_failures"] = sum(1 for e in events if e["rc"] != 0)
    examples = sorted({o.error for o in outcomes if not o.ok})[:5]
    summary["error_examples"] = examples
    typer.echo(json.dumps(summary, indent=2))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if keep or summary["errors"]:
        typer.echo(f"load: logs and store kept in {work}", err=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
    if summary["errors"] or summary["ingest_failures"] or len(events) < ingests:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
