"""Speed benchmark: ingestion throughput vs the embedder alone, re-ingest time, /v1/chat latency
and the server's memory. `python -m eval.perf` (or `make perf`); prints a table and writes JSON.

- Ingestion throughput: the corpus plus COVID-QA's articles (from the eval-data folder, when it is
  there) written out as text files, ingested by the real pipeline into a fresh embedded store;
  then the embedder alone encodes the very same chunk texts in the same process. Imports and the
  model load are done once before either is timed.
- Re-ingest: the unchanged corpus ingested again, in-process and as the `python -m ingest` command
  (which includes Python start-up and imports).
- Latency: a real `python -m assistant serve` process on loopback, asked the eval-set questions one
  after another over HTTP (default settings), then the same questions on the streaming endpoint
  (time to the first `delta` event, and to `final`); resident memory (VmRSS) read afterwards.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import typer

from assistant.core import offline
from assistant.core.config import PROJECT_ROOT, Settings
from eval.load import stop_server, wait_healthy
from eval.report import print_table, write_json

DEFAULT_EVAL_DATA = PROJECT_ROOT.parent / "shared" / "eval-data"


def _covidqa_texts(eval_data: Path, limit: int) -> list[tuple[str, str]]:
    path = eval_data / "covidqa" / "200423_covidQA.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, article in enumerate(data["data"][:limit]):
        context = article["paragraphs"][0]["context"]
        out.append((f"covidqa-{i:03d}.txt", context))
    return out


def measure_ingest(settings: Settings, corpus: Path, extra: list[tuple[str, str]], embedder) -> dict:
    from assistant.index.store import ChunkStore
    from ingest.pipeline import Ingestor

    work = Path(tempfile.mkdtemp(prefix="perf-"))
    docs = work / "docs"
    shutil.copytree(corpus, docs)
    for name, text in extra:
        (docs / name).write_text(text, encoding="utf-8")

    # Warm-up (imports, model load, first partition) on a throwaway store.
    warm = settings.model_copy(update={"corpus_dir": corpus, "chroma_path": work / "warm"})
    Ingestor(warm, ChunkStore(warm), embedder, progress=False).run([corpus])

    cfg = settings.model_copy(update={"corpus_dir": docs, "chroma_path": work / "db"})
    store = ChunkStore(cfg)
    t = time.perf_counter()
    summary = Ingestor(cfg, store, embedder, progress=True).run([docs])
    pipeline_s = time.perf_counter() - t
    texts = [r.text for r in store.iter_live()]

    t = time.perf_counter()
    embedder.embed_texts(texts, batch_size=cfg.embed_batch_size)
    embed_s = time.perf_counter() - t

    t = time.perf_counter()
    again = Ingestor(cfg, store, embedder, progress=False).run([docs])
    reingest_s = time.perf_counter() - t
    shutil.rmtree(work, ignore_errors=True)
    pipe_rate, emb_rate = len(texts) / pipeline_s, len(texts) / embed_s
    return {
        "documents": summary.files,
        "chunks": len(texts),
        "characters": sum(len(x) for x in texts),
        "pipeline_seconds": pipeline_s,
        "pipeline_chunks_per_s": pipe_rate,
        "embedder_seconds": embed_s,
        "embedder_chunks_per_s": emb_rate,
        "pipeline_vs_embedder": pipe_rate / emb_rate,
        "reingest_in_process_seconds_large": reingest_s,
        "reingest_unchanged": again.files_unchanged,
    }


def measure_reingest_cli(corpus: Path, env: dict) -> dict:
    """`python -m ingest` on the unchanged project corpus, wall clock, after a first ingest."""
    work = Path(tempfile.mkdtemp(prefix="perf-cli-"))
    env = {**env, "ASSISTANT_CHROMA_PATH": str(work / "db"), "ASSISTANT_CORPUS_DIR": str(corpus)}
    cmd = [sys.executable, "-m", "ingest", "--quiet", str(corpus)]
    subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=PROJECT_ROOT)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=PROJECT_ROOT)
        times.append(time.perf_counter() - t)
    shutil.rmtree(work, ignore_errors=True)
    return {"reingest_cli_seconds": statistics.median(times)}


def measure_reingest_in_process(settings: Settings, corpus: Path, embedder) -> dict:
    from assistant.index.store import ChunkStore
    from ingest.pipeline import Ingestor

    work = Path(tempfile.mkdtemp(prefix="perf-re-"))
    cfg = settings.model_copy(update={"corpus_dir": corpus, "chroma_path": work / "db"})
    Ingestor(cfg, ChunkStore(cfg), embedder, progress=False).run([corpus])
    times = []
    for _ in range(3):
        t = time.perf_counter()
        Ingestor(cfg, ChunkStore(cfg), embedder, progress=False).run([corpus])
        times.append(time.perf_counter() - t)
    shutil.rmtree(work, ignore_errors=True)
    return {"reingest_in_process_seconds": statistics.median(times)}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_latency(corpus: Path, env: dict, questions: list[str], port: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="perf-api-"))
    env = {**env, "ASSISTANT_CHROMA_PATH": str(work / "db"), "ASSISTANT_CORPUS_DIR": str(corpus)}
    subprocess.run([sys.executable, "-m", "ingest", "--quiet", str(corpus)], env=env, check=True,
                   capture_output=True, cwd=PROJECT_ROOT)
    server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                              env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        startup = wait_healthy(base, server, limit=120)
        latencies, first_delta, final = [], [], []
        with httpx.Client(timeout=60) as client:
            client.post(base + "/v1/chat", json={"question": "warm-up question about CDMOs"})
            for q in questions:
                t = time.perf_counter()
                r = client.post(base + "/v1/chat", json={"question": q})
                latencies.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
            for q in questions:  # the web page's streaming endpoint
                t = time.perf_counter()
                first = None
                with client.stream("POST", base + "/v1/chat/stream", json={"question": q}) as s:
                    for line in s.iter_lines():
                        if line == "event: delta" and first is None:
                            first = (time.perf_counter() - t) * 1000
                        if line == "event: final":
                            final.append((time.perf_counter() - t) * 1000)
                first_delta.append(first if first is not None else final[-1])
        rss = _rss_mb(server.pid)
    finally:
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True)
    def pct(values: list[float], p: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

    return {"questions": len(latencies), "server_startup_seconds": startup,
            "chat_p50_ms": statistics.median(latencies), "chat_p95_ms": pct(latencies, 95),
            "chat_max_ms": max(latencies), "server_rss_mb": rss,
            "stream_first_delta_p50_ms": statistics.median(first_delta),
            "stream_first_delta_p95_ms": pct(first_delta, 95),
            "stream_final_p50_ms": statistics.median(final), "stream_final_p95_ms": pct(final, 95)}


def measure_auth_overhead(corpus: Path, env: dict, questions: list[str], port: int) -> dict:
    """/v1/chat with and without an API key, on two servers over the same index, questions
    alternated between them so machine noise hits both alike."""
    work = Path(tempfile.mkdtemp(prefix="perf-auth-"))
    env = {**env, "ASSISTANT_CHROMA_PATH": str(work / "db"), "ASSISTANT_CORPUS_DIR": str(corpus),
           "ASSISTANT_AUDIT_PATH": str(work / "audit.jsonl"),
           "ASSISTANT_RATE_LIMIT_CHAT_PER_KEY": "100000/minute",
           "ASSISTANT_RATE_LIMIT_CHAT_PER_ADDRESS": "100000/minute"}
    subprocess.run([sys.executable, "-m", "ingest", "--quiet", str(corpus)], env=env, check=True,
                   capture_output=True, cwd=PROJECT_ROOT)
    key = subprocess.run([sys.executable, "-m", "assistant", "keys", "create", "--name", "perf",
                          "--role", "reader", "--collections", "*"], env=env, check=True,
                         capture_output=True, text=True, cwd=PROJECT_ROOT).stdout.strip()
    servers = [subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(p)],
                                env={**env, "ASSISTANT_AUTH": mode}, cwd=PROJECT_ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for p, mode in ((port + 1, "off"), (port + 2, "on"))]
    bases = [f"http://127.0.0.1:{port + 1}", f"http://127.0.0.1:{port + 2}"]
    headers = [{}, {"Authorization": f"Bearer {key}"}]
    try:
        for base, server in zip(bases, servers):
            wait_healthy(base, server, limit=120)
        lat: list[list[float]] = [[], []]
        with httpx.Client(timeout=60) as client:
            for i in (0, 1):
                client.post(bases[i] + "/v1/chat", json={"question": "warm-up"}, headers=headers[i])
            for n, q in enumerate(questions * 2):
                order = (0, 1) if n % 2 == 0 else (1, 0)
                for i in order:
                    t = time.perf_counter()
                    r = client.post(bases[i] + "/v1/chat", json={"question": q}, headers=headers[i])
                    lat[i].append((time.perf_counter() - t) * 1000)
                    r.raise_for_status()
    finally:
        for server in servers:
            stop_server(server)
        shutil.rmtree(work, ignore_errors=True)
    diffs = [b - a for a, b in zip(lat[0], lat[1])]
    return {"requests_each": len(lat[0]), "chat_p50_ms_no_auth": statistics.median(lat[0]),
            "chat_p50_ms_with_key": statistics.median(lat[1]),
            "auth_added_p50_ms": statistics.median(diffs)}


def main(
    eval_data: Path = typer.Option(DEFAULT_EVAL_DATA, help="Folder of public eval data (COVID-QA "
                                   "articles enlarge the ingest benchmark)."),
    articles: int = typer.Option(40, help="COVID-QA articles added to the ingest benchmark."),
    port: int = typer.Option(8765, help="Loopback port for the latency server."),
    out: Path = typer.Option(PROJECT_ROOT / "eval" / "reports", help="Where the JSON goes."),
) -> None:
    from assistant.retrieval.embedding import get_embedder
    from eval.dataset import load

    settings = Settings()
    corpus = settings.corpus_dir
    env = offline.env()
    embedder = get_embedder(settings.ingest_torch_threads, settings.embed_model)  # ingest benchmark
    extra = _covidqa_texts(eval_data, articles)
    if not extra:
        typer.echo(f"note: {eval_data}/covidqa not found; the ingest benchmark uses corpus/ only",
                   err=True)
    results: dict = {}
    typer.echo("ingest throughput ...", err=True)
    results["ingest"] = measure_ingest(settings, corpus, extra, embedder)
    typer.echo("re-ingest ...", err=True)
    results["reingest"] = {**measure_reingest_in_process(settings, corpus, embedder),
                           **measure_reingest_cli(corpus, env)}
    typer.echo("chat latency ...", err=True)
    questions = [q.question for q in load()]
    results["latency"] = measure_latency(corpus, env, questions, port)
    typer.echo("auth overhead ...", err=True)
    results["auth"] = measure_auth_overhead(corpus, env, questions, port)

    i, r, lat, au = results["ingest"], results["reingest"], results["latency"], results["auth"]
    rows = [
        ("ingest: documents / chunks", f"{i['documents']} / {i['chunks']}", ""),
        ("ingest pipeline, chunks/s", f"{i['pipeline_chunks_per_s']:.1f}", ""),
        ("embedder alone, chunks/s", f"{i['embedder_chunks_per_s']:.1f}", ""),
        ("pipeline / embedder", f"{i['pipeline_vs_embedder']:.2f}", ">= 0.85"),
        ("re-ingest unchanged corpus, in process (s)", f"{r['reingest_in_process_seconds']:.2f}", "< 2"),
        ("re-ingest unchanged corpus, `python -m ingest` (s)", f"{r['reingest_cli_seconds']:.2f}", "< 2"),
        (f"/v1/chat p50 over {lat['questions']} questions (ms)", f"{lat['chat_p50_ms']:.0f}", "<= 150"),
        ("/v1/chat p95 (ms)", f"{lat['chat_p95_ms']:.0f}", "<= 400"),
        ("/v1/chat/stream: first delta p50 / p95 (ms)",
         f"{lat['stream_first_delta_p50_ms']:.0f} / {lat['stream_first_delta_p95_ms']:.0f}", ""),
        ("/v1/chat/stream: final answer p50 / p95 (ms)",
         f"{lat['stream_final_p50_ms']:.0f} / {lat['stream_final_p95_ms']:.0f}", ""),
        ("server RSS after the questions (MB)", f"{lat['server_rss_mb']:.0f}", "< 1200"),
        ("server start-up to healthy (s)", f"{lat['server_startup_seconds']:.1f}", ""),
        ("/v1/chat p50 without / with an API key (ms)",
         f"{au['chat_p50_ms_no_auth']:.0f} / {au['chat_p50_ms_with_key']:.0f}", ""),
        (f"latency added by auth, median of {au['requests_each']} paired requests (ms)",
         f"{au['auth_added_p50_ms']:.1f}", "<= 5"),
    ]
    print_table("Performance (this machine)", ["measure", "value", "target"], rows)
    path = write_json(out, "perf", results)
    typer.echo(f"wrote {path}", err=True)


if __name__ == "__main__":
    typer.run(main)
