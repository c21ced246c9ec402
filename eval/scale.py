"""Scale benchmark: the product's index at 10k, 100k and 1M chunks (issue 11, point 3).
`python -m eval.scale` (or `make scale`; `make scale SIZES=10000` for one size).

What is built, for each size N:
- **Text**: chunks recombined from real sentences of `../shared/eval-data/` (SciFact abstracts,
  COVID-QA articles, SQuAD 2.0 paragraphs), so the vocabulary and its distribution are real.
  Each chunk takes random sentences until a length drawn from 500-1150 characters (the product's
  chunks: at most 1,200, a new one after 900); 20 chunks make a document (N/20 documents).
- **Vectors**: normalised random vectors (384 dimensions, the packaged MiniLM's), not embeddings
  of the text: the embedder's cost is measured elsewhere (`make perf`), and random vectors have no
  cluster structure, the hard case for an HNSW graph. The index is recorded as built by the
  product's embedder (`all-MiniLM-L6-v2`), so the real API and ingest accept it. No quality is
  measured here: which chunks come back is meaningless by design.
- **Index**: written by the product's own `assistant.index.store.IndexWriter` (one Chroma segment
  collection + one memory-mapped keyword segment + one manifest write), exactly as an ingest run
  writes it; only partitioning, chunking and embedding are bypassed. Keyword terms are computed
  by the writer from the text, as in an ingest. One commit per 200,000 chunks (`--segment-chunks`):
  10k and 100k are one segment, 1M five, as five ingest runs of 200k would leave them (segments of
  200k are never merged). One commit of N chunks holds them all in memory (about 15 KB each).

What is measured, for each size:
- build time (the writer's commit: Chroma add incl. HNSW, terms, keyword segment, switch), peak
  memory of this process while building, disk size (du of the data folder, and its parts);
- start-up to healthy of a real `python -m assistant serve` subprocess on the index (poll of
  /health), its RSS (VmRSS) right after, the first /v1/chat (cold: HNSW loaded on first use),
  then the queries over HTTP /v1/chat one after another (full answers), RSS again and peak (VmHWM);
- hybrid retrieval latency in process (`HybridRetriever.search`, default settings): p50/p95 over
  the queries (default 200: SciFact claims, COVID-QA and SQuAD questions, seeded sample) with
  query vectors embedded beforehand (the index's cost alone), with the real embedder embedding
  each question (what a question costs; wall clock and this process's CPU time), and dense alone
  and BM25 alone (precomputed vectors);
- adding one 10-chunk document: a real text file ingested by the real `Ingestor` (partitioned,
  chunked, embedded by the real embedder, written as a new segment, switched), in this process
  after a warm-up ingest elsewhere (imports and the model loaded, as in a running API worker);
  seconds, bytes written (/proc/PID/io write_bytes, the block-layer bytes this process and a
  Chroma server caused, and wchar, bytes passed to write calls) and the growth of the data
  folder (du); then the time
  until a retriever's search returns the new document; then removing it (`Ingestor.remove`, one
  manifest write), measured the same way. The live chunk count is checked to move by exactly
  +10 and -10.

Results: `eval/results/scale.json` (merged by size with an earlier run), `eval/results/scale.png`
(growth curves) and a Markdown table printed at the end (docs/scale.md's). `--chroma-server` runs
the same against a `chroma run` process (`scale-chroma-server.json`); `--keep` / `--reuse` keep
an index and measure it again without rebuilding. The machine's load average is recorded with
each phase: on a shared machine, compare CPU times.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

import numpy as np
import typer

from assistant.core import offline
from assistant.core.config import PROJECT_ROOT, Settings


def _default_eval_data() -> Path:
    """`../shared/eval-data` next to this checkout, or next to the main checkout when this is a
    git worktree elsewhere."""
    here = PROJECT_ROOT.parent / "shared" / "eval-data"
    if here.exists():
        return here
    try:
        common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                                cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10)
        main = Path(common.stdout.strip()).parent.parent / "shared" / "eval-data"
        if common.returncode == 0 and main.exists():
            return main
    except (OSError, subprocess.SubprocessError):
        pass
    return here


DEFAULT_EVAL_DATA = _default_eval_data()
RESULTS = PROJECT_ROOT / "eval" / "results"
DIM = 384
EMBEDDER = "all-MiniLM-L6-v2"
CHUNKS_PER_DOC = 20
ADDED = "scale-added.txt"
TARGETS = {  # at 1M chunks, on this 2-core machine (issue 11)
    "retrieval_p95_ms": 150.0,
    "add_seconds": 5.0,
    "api_rss_mb": 3 * 1024.0,
    "startup_seconds": 30.0,
}

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")


# --- data: sentences and queries from the public eval sets ---
def _sentences(text: str) -> list[str]:
    out = []
    for para in re.split(r"\n\s*\n|\n", text):
        for s in _SENT.split(para.strip()):
            s = " ".join(s.split())
            if 30 <= len(s) <= 600:
                out.append(s)
    return out


def load_pool(eval_data: Path) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Sentences, titles, and questions by source set."""
    sentences: list[str] = []
    titles: list[str] = []
    questions: dict[str, list[str]] = {}
    sf = eval_data / "scifact"
    if (sf / "corpus.jsonl").exists():
        with open(sf / "corpus.jsonl", encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                sentences.extend(_sentences(d.get("text", "")))
                if d.get("title"):
                    titles.append(d["title"].strip())
        with open(sf / "queries.jsonl", encoding="utf-8") as fh:
            questions["scifact"] = [json.loads(line)["text"] for line in fh]
    for name, path in (("covidqa", eval_data / "covidqa" / "200423_covidQA.json"),
                       ("squad2", eval_data / "squad2" / "dev-v2.0-half.json")):
        if not path.exists():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        qs = []
        for article in data["data"]:
            if article.get("title"):
                titles.append(str(article["title"]).replace("_", " "))
            for p in article["paragraphs"]:
                sentences.extend(_sentences(p["context"]))
                qs.extend(q["question"] for q in p["qas"])
        questions[name] = qs
    if not sentences or not questions:
        raise FileNotFoundError(f"no SciFact, COVID-QA or SQuAD 2.0 data under {eval_data}")
    return sentences, titles, questions


def load_corpus_pool(root: Path = PROJECT_ROOT) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """The same from the repository itself, for a checkout without `../shared/eval-data` (the CI
    smoke run of a clean clone): the sentences of `corpus/` and the corpus eval set's questions.
    A far smaller vocabulary, so only for checking that the benchmark runs, never for figures."""
    sentences: list[str] = []
    titles: list[str] = []
    for f in sorted((root / "corpus").glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        sentences.extend(_sentences(text))
        titles.append(f.stem.replace("-", " "))
    questions = {"corpus_eval": [json.loads(line)["question"] for line in open(
        root / "eval" / "data" / "corpus_eval.jsonl", encoding="utf-8") if line.strip()]}
    if not sentences:
        raise FileNotFoundError(f"no text files under {root / 'corpus'}")
    return sentences, titles, questions


def pick_queries(questions: dict[str, list[str]], n: int, seed: int) -> list[str]:
    """`n` distinct questions, as evenly as possible from each set (seeded)."""
    rng = random.Random(seed)
    pools = {k: rng.sample(sorted(set(v)), len(set(v))) for k, v in sorted(questions.items())}
    out: list[str] = []
    while len(out) < n and any(pools.values()):
        for k in pools:
            if pools[k] and len(out) < n:
                out.append(pools[k].pop())
    return out


class ChunkMaker:
    """Chunks of real sentences; knows each chunk's sentence spans (the answerer reads them)."""

    def __init__(self, sentences: list[str], seed: int) -> None:
        self.sentences = sentences
        self.rng = random.Random(seed)

    def chunk(self, lo: int = 500, hi: int = 1150) -> tuple[str, list[list[int]]]:
        target = self.rng.randint(lo, hi)
        parts: list[str] = []
        spans: list[list[int]] = []
        pos = 0
        while pos < target:
            s = self.sentences[self.rng.randrange(len(self.sentences))]
            start = pos + (1 if parts else 0)
            if start + len(s) > 1200:
                if parts:
                    break
                s = s[:1200]
            parts.append(s)
            spans.append([start, start + len(s)])
            pos = start + len(s)
        return " ".join(parts), spans


# --- measuring ---
def _proc_status(pid: int | str, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _io(*pids: int | str) -> dict[str, int]:
    """/proc/PID/io summed over this process and `pids` (a Chroma server)."""
    out: dict[str, int] = {}
    for pid in ("self", *pids):
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            k, v = line.split(":")
            out[k] = out.get(k, 0) + int(v)
    return out


def _cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time of a process, all its threads (from /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def du(path: Path) -> int:
    """Bytes allocated on disk under `path` (as `du`)."""
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    return total


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def _ms(values: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(values), 1), "p95_ms": round(pct(values, 95), 1),
            "max_ms": round(max(values), 1)}


def _reset_peak_rss() -> None:
    try:  # Linux: "5" resets VmHWM of this process
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


class _Precomputed:
    """The product's embedder as far as the index knows; query vectors embedded beforehand."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.name, self.dimension, self.vectors = EMBEDDER, DIM, vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self.vectors[text]

    def embed_texts(self, texts, batch_size: int = 32):
        return np.stack([self.vectors[t] for t in texts])


def bench_settings(data: Path, chroma_port: int | None = None) -> Settings:
    """Embedded Chroma in `data/chroma`, or (`chroma_port`) a `chroma run` server on loopback
    whose files are there; the keyword segments in `data/chroma-keyword` either way."""
    server = {"chroma_host": "127.0.0.1", "chroma_port": chroma_port} if chroma_port else {}
    return Settings(chroma_path=data / "chroma", corpus_dir=data / "docs",
                    audit_path=data / "audit.jsonl", keyword_path=data / "chroma-keyword",
                    **server)


class ChromaServer:
    """`chroma run` over `path` on a loopback port (server mode)."""

    def __init__(self, path: Path, port: int) -> None:
        import httpx

        self.port = port
        path.mkdir(parents=True, exist_ok=True)
        self.log = open(path.parent / "chroma-server.log", "wb")
        self.proc = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path",
                                      str(path), "--host", "127.0.0.1", "--port", str(port)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat",
                             timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("chroma run did not start")

    def rss_mb(self) -> float:
        return _proc_status(self.proc.pid, "VmRSS")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def build(settings: Settings, n: int, maker: ChunkMaker, titles: list[str], seed: int,
          segment_chunks: int = 0, progress: bool = True) -> dict:
    """N chunks through the product's IndexWriter, precomputed (random) vectors."""
    from tqdm import tqdm

    import assistant.core.text as text_mod
    import assistant.index.keyword as kw
    from assistant.index.store import ChunkStore
    from assistant.index.writer import IndexWriter, NewChunk
    from ingest.chunking import chunk_id
    from ingest.pipeline import pipeline_fingerprint

    store = ChunkStore(settings)
    fingerprint = pipeline_fingerprint(settings, EMBEDDER)
    rng = np.random.default_rng(seed)
    trng = random.Random(seed)
    timing = {"generate_seconds": 0.0, "commit_seconds": 0.0, "keyword_write_seconds": 0.0,
              "terms_seconds": 0.0}
    real_write, real_terms = kw.write_segment, text_mod.terms

    def timed_terms(*a, **k):  # the writer tokenises each chunk's text and title
        t = time.perf_counter()
        try:
            return real_terms(*a, **k)
        finally:
            timing["terms_seconds"] += time.perf_counter() - t

    def timed_write(*a, **k):
        t = time.perf_counter()
        try:
            return real_write(*a, **k)
        finally:
            timing["keyword_write_seconds"] += time.perf_counter() - t

    per_commit = segment_chunks or n
    commits = 0
    writer = None
    staged = 0
    bar = tqdm(total=n, unit="chunk", desc=f"build {n:,}", disable=not progress)
    kw.write_segment, text_mod.terms = timed_write, timed_terms
    try:
        doc = 0
        made = 0
        while made < n:
            t = time.perf_counter()
            if writer is None:
                writer = IndexWriter(store, EMBEDDER, DIM,
                                     merge_factor=settings.segment_merge_factor,
                                     max_merge_chunks=settings.segment_max_merge_chunks,
                                     grace_seconds=settings.segment_grace_seconds)
            k = min(CHUNKS_PER_DOC, n - made)
            source = f"scale/doc-{doc:07d}.txt"
            title = trng.choice(titles) if titles else source
            file_hash = hashlib.sha256(source.encode()).hexdigest()
            vecs = rng.standard_normal((k, DIM), dtype=np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            chunks = []
            for i in range(k):
                text, spans = maker.chunk()
                meta = {"title": title, "kind": "text", "file_hash": file_hash, "chunk_index": i,
                        "sentences": json.dumps(spans),
                        "content_id": chunk_id(EMBEDDER, source, text, 0)}
                chunks.append(NewChunk(text=text, metadata=meta, embedding=vecs[i]))
            writer.add({"source": source, "title": title, "file_hash": file_hash,
                        "fingerprint": fingerprint, "origin_kind": "file", "origin": "/" + source,
                        "path": "/" + source, "ingested_at": time.time()}, chunks)
            doc += 1
            made += k
            staged += k
            timing["generate_seconds"] += time.perf_counter() - t
            bar.update(k)
            if staged >= per_commit or made >= n:
                bar.set_postfix_str("committing")
                t = time.perf_counter()
                writer.commit()
                timing["commit_seconds"] += time.perf_counter() - t
                commits += 1
                writer, staged = None, 0
                gc.collect()
    finally:
        kw.write_segment, text_mod.terms = real_write, real_terms
        bar.close()
    state = store.state()
    return {"chunks": n, "documents": doc, "commits": commits, "segments": len(state["segments"]),
            **{k: round(v, 2) for k, v in timing.items()},
            # Chroma's add (SQLite rows, full-text index, HNSW) and the manifest switch
            "chroma_seconds": round(timing["commit_seconds"] - timing["keyword_write_seconds"]
                                    - timing["terms_seconds"], 2)}


def disk(data: Path, settings: Settings) -> dict:
    from assistant.index.client import keyword_root

    chroma = settings.chroma_path
    sqlite_b = sum(du(p) if p.is_dir() else (p.stat().st_blocks * 512)
                   for p in chroma.glob("chroma.sqlite3*"))
    hnsw = sum(du(p) for p in chroma.iterdir() if p.is_dir())
    return {"total_bytes": du(data), "chroma_sqlite_bytes": sqlite_b, "hnsw_bytes": hnsw,
            "keyword_bytes": du(keyword_root(settings))}


def serve(settings: Settings, data: Path, queries: list[str], port: int) -> dict:
    import httpx

    from eval.load import stop_server, wait_healthy

    env = {**offline.env(), "ASSISTANT_CHROMA_PATH": str(settings.chroma_path),
           "ASSISTANT_KEYWORD_PATH": str(settings.keyword_path),
           "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
           "ASSISTANT_AUDIT_PATH": str(settings.audit_path),
           "ASSISTANT_RATE_LIMIT_CHAT_PER_KEY": "1000000/minute",
           "ASSISTANT_RATE_LIMIT_CHAT_PER_ADDRESS": "1000000/minute"}
    if settings.chroma_host:
        env.update(ASSISTANT_CHROMA_HOST=settings.chroma_host,
                   ASSISTANT_CHROMA_PORT=str(settings.chroma_port))
    log = open(data / "server.log", "wb")
    t0 = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                              env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server, limit=900)
        startup = time.perf_counter() - t0
        startup_cpu = _cpu_seconds(server.pid)
        rss_start = _proc_status(server.pid, "VmRSS")
        lat, answered = [], 0
        with httpx.Client(timeout=300) as client:
            t = time.perf_counter()
            r = client.post(base + "/v1/chat", json={"question": "What limits the spread of the "
                                                                 "virus in hospitals?"})
            first = (time.perf_counter() - t) * 1000
            r.raise_for_status()
            cpu0 = _cpu_seconds(server.pid)
            for q in queries:
                t = time.perf_counter()
                r = client.post(base + "/v1/chat", json={"question": q})
                lat.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
                answered += not r.json()["abstained"]
        chat_cpu = (_cpu_seconds(server.pid) - cpu0) / max(1, len(lat)) * 1000
        rss_after = _proc_status(server.pid, "VmRSS")
        peak = _proc_status(server.pid, "VmHWM")
    finally:
        stop_server(server, timeout=60)
        log.close()
    return {"startup_to_healthy_seconds": round(startup, 2),
            "startup_cpu_seconds": round(startup_cpu, 2), "rss_after_startup_mb": round(rss_start),
            "chat_cpu_ms_per_question": round(chat_cpu, 1),
            "first_chat_ms": round(first, 1), "chat_questions": len(lat),
            "chat": _ms(lat), "rss_after_queries_mb": round(rss_after), "rss_peak_mb": round(peak),
            "answers_not_abstained": answered}


def retrieval(settings: Settings, queries: list[str], embedder) -> dict:
    from assistant.index.store import ChunkStore
    from assistant.retrieval.hybrid import HybridRetriever

    vectors = dict(zip(queries, embedder.embed_texts(queries, batch_size=32)))
    store = ChunkStore(settings)
    pre = _Precomputed(vectors)
    retriever = HybridRetriever(store, pre, settings)
    t = time.perf_counter()
    retriever.snapshot()
    open_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    retriever.search(queries[0])
    first_ms = (time.perf_counter() - t) * 1000
    out = {"open_ms": round(open_ms, 1), "first_search_ms": round(first_ms, 1),
           "queries": len(queries)}
    for label, emb in (("precomputed_query_vectors", pre), ("real_query_embedding", embedder)):
        retriever.embedder = emb
        lat, cpu, counts = [], [], []
        for q in queries:
            t, c = time.perf_counter(), time.process_time()
            passages, _ = retriever.search(q)
            lat.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            counts.append(len(passages))
        out[label] = {**_ms(lat), "cpu_p50_ms": round(statistics.median(cpu), 1),
                      "cpu_p95_ms": round(pct(cpu, 95), 1), "min_results": min(counts),
                      "mean_results": round(sum(counts) / len(counts), 2)}
    # Where the time goes: each retriever alone (precomputed vectors; fetching the top 8 by id
    # included in both).
    retriever.embedder = pre
    for mode in ("dense", "bm25"):
        lat = []
        for q in queries:
            t = time.perf_counter()
            retriever.search(q, mode=mode)
            lat.append((time.perf_counter() - t) * 1000)
        out[f"{mode}_only_precomputed"] = _ms(lat)
    return out


def added_text(maker: ChunkMaker) -> str:
    """Ten paragraphs of 950-1150 characters: the product's chunker makes each one chunk."""
    paras = []
    for i in range(10):
        text, _ = maker.chunk(950, 1150)
        while len(text) < 950:
            text, _ = maker.chunk(950, 1150)
        paras.append(text)
    return "\n\n".join(paras) + "\n"


def add_remove(settings: Settings, data: Path, maker: ChunkMaker, embedder,
               other_pids: tuple[int, ...] = ()) -> dict:
    from assistant.index.store import ChunkStore
    from assistant.retrieval.hybrid import HybridRetriever
    from ingest.pipeline import Ingestor

    # Warm-up in a throwaway store: imports, the partitioner, the model (a running API worker
    # has all of these loaded).
    warm = data / "warm"
    (warm / "docs").mkdir(parents=True, exist_ok=True)
    (warm / "docs" / "w.txt").write_text(added_text(maker), encoding="utf-8")
    wcfg = bench_settings(warm)  # embedded, whatever the mode
    Ingestor(wcfg, ChunkStore(wcfg), embedder, progress=False).run([warm / "docs"])
    shutil.rmtree(warm, ignore_errors=True)

    settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    path = settings.corpus_dir / ADDED
    path.write_text(added_text(maker), encoding="utf-8")
    store = ChunkStore(settings)
    retriever = HybridRetriever(store, embedder, settings)
    retriever.snapshot()
    probe = path.read_text(encoding="utf-8").split("\n\n")[3][:200]
    ingestor = Ingestor(settings, store, embedder, progress=False)
    out = {}
    before = store.count()
    for step in ("add", "remove"):
        d0, io0 = du(data), _io(*other_pids)
        t, c = time.perf_counter(), time.process_time()
        if step == "add":
            summary = ingestor.run([path])
        else:
            summary = ingestor.remove([ADDED])
        seconds = time.perf_counter() - t
        cpu = time.process_time() - c
        io1 = _io(*other_pids)
        # Until a retriever (holding the previous view) answers with the change.
        while True:
            found = any(p.source == ADDED for p in retriever.retrieve(probe, mode="bm25"))
            if found == (step == "add") or time.perf_counter() - t > 60:
                break
            time.sleep(0.01)
        visible = time.perf_counter() - t
        after = store.count()
        out[step] = {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
                     "visible_seconds": round(visible, 3),
                     "embed_seconds": round(summary.embed_seconds, 3),
                     "write_bytes": io1["write_bytes"] - io0["write_bytes"],
                     "wchar_bytes": io1["wchar"] - io0["wchar"],
                     "du_delta_bytes": du(data) - d0,
                     "chunks_before": before, "chunks_after": after,
                     "chunks_changed": after - before,
                     "chunks_added" if step == "add" else "chunks_removed":
                         summary.chunks_added if step == "add" else summary.chunks_removed,
                     "visible": found == (step == "add")}
        before = after
    return out


def run_size(n: int, work: Path, sentences: list[str], titles: list[str], queries: list[str],
             embedder, port: int, seed: int = 11, segment_chunks: int = 0, keep: bool = False,
             progress: bool = True, reuse: bool = False, chroma_port: int | None = None) -> dict:
    data = work / f"scale-{n}"
    built = data / "build.json"
    reused = reuse and built.exists()
    if not reused:
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
    settings = bench_settings(data, chroma_port)
    maker = ChunkMaker(sentences, seed)
    chroma = ChromaServer(settings.chroma_path, chroma_port) if chroma_port else None
    say = (lambda m: typer.echo(m, err=True)) if progress else (lambda m: None)
    result: dict = {"chunks": n}
    try:
        if reused:  # an index kept by an earlier run (--keep): measure it again
            result.update(json.loads(built.read_text(encoding="utf-8")))
            result["build"]["reused"] = True
            maker = ChunkMaker(sentences, seed + 1)
        else:
            _build(n, data, settings, maker, titles, seed, segment_chunks, progress, result)
            built.write_text(json.dumps({k: result[k] for k in ("build", "disk")}), "utf-8")
        say(f"{n:,}: built in {result['build']['seconds']} s, "
            f"{result['disk']['total_bytes'] / 1e6:.0f} MB; starting the API ...")
        result["load_average"] = {"api_start": _load()}
        result["api"] = serve(settings, data, queries, port)
        if chroma is not None:
            result["api"]["chroma_server_rss_mb"] = round(chroma.rss_mb())
        say(f"{n:,}: healthy after {result['api']['startup_to_healthy_seconds']} s; "
            f"retrieval in process ...")
        result["load_average"]["retrieval_start"] = _load()
        result["retrieval"] = retrieval(settings, queries, embedder)
        say(f"{n:,}: hybrid p95 {result['retrieval']['real_query_embedding']['p95_ms']} ms; "
            f"adding and removing a 10-chunk document ...")
        result["load_average"]["incremental_start"] = _load()
        result["incremental"] = add_remove(settings, data, maker, embedder,
                                           (chroma.proc.pid,) if chroma is not None else ())
        result["load_average"]["end"] = _load()
        if chroma is not None:
            result["chroma_server"] = {"rss_mb": round(chroma.rss_mb()),
                                       "rss_peak_mb": round(_proc_status(chroma.proc.pid, "VmHWM"))}
    finally:
        if chroma is not None:
            chroma.stop()
        if not keep:
            shutil.rmtree(data, ignore_errors=True)
    return result


def _build(n: int, data: Path, settings: Settings, maker: ChunkMaker, titles: list[str],
       seed: int, segment_chunks: int, progress: bool, result: dict) -> None:
    _reset_peak_rss()
    rss0 = _proc_status("self", "VmRSS")
    t, c = time.perf_counter(), _cpu_seconds()
    # One Chroma add of 5,000 rows can take longer than the store's 10-s call limit on a
    # busy machine (StoreTimeout at 10k chunks, load average 5): the build gets 10 minutes
    # per call; the API, the queries and the incremental ingest keep the default.
    build_settings = settings.model_copy(update={"store_timeout_seconds": 600.0})
    result["build"] = build(build_settings, n, maker, titles, seed, segment_chunks, progress)
    result["build"]["seconds"] = round(time.perf_counter() - t, 2)
    result["build"]["cpu_seconds"] = round(_cpu_seconds() - c, 2)
    result["build"]["peak_rss_mb"] = round(_proc_status("self", "VmHWM"))
    result["build"]["rss_before_mb"] = round(rss0)
    result["build"]["load_average_end"] = _load()
    gc.collect()
    result["disk"] = disk(data, settings)


# --- reporting ---
def targets(result: dict) -> dict:
    r = result
    return {
        "retrieval_p95_ms": [r["retrieval"]["real_query_embedding"]["p95_ms"],
                             TARGETS["retrieval_p95_ms"]],
        "add_seconds": [r["incremental"]["add"]["visible_seconds"], TARGETS["add_seconds"]],
        "api_rss_mb": [max(r["api"]["rss_after_queries_mb"], r["api"]["rss_peak_mb"]),
                       TARGETS["api_rss_mb"]],
        "startup_seconds": [r["api"]["startup_to_healthy_seconds"], TARGETS["startup_seconds"]],
    }


def _mb(b: float) -> str:
    return f"{b / 1e6:,.0f} MB" if b < 1e9 else f"{b / 1e9:,.2f} GB"


def _kb(b: float) -> str:
    return f"{b / 1e3:,.0f} kB" if b < 1e6 else f"{b / 1e6:,.1f} MB"


ROWS = [
    ("build time (s)", lambda r: f"{r['build']['seconds']:,.1f}"),
    ("  CPU (s)", lambda r: f"{r['build']['cpu_seconds']:,.1f}"),
    ("  of which Chroma add / terms / keyword segment (s)",
     lambda r: f"{r['build']['chroma_seconds']:,.1f} / {r['build']['terms_seconds']:,.1f} / "
               f"{r['build']['keyword_write_seconds']:,.1f}"),
    ("peak memory while building", lambda r: f"{r['build']['peak_rss_mb']:,} MB"),
    ("disk size", lambda r: _mb(r["disk"]["total_bytes"])),
    ("  Chroma SQLite / HNSW / keyword", lambda r: " / ".join(_mb(r["disk"][k]) for k in (
        "chroma_sqlite_bytes", "hnsw_bytes", "keyword_bytes"))),
    ("hybrid retrieval p50 / p95, real query embedding (ms)",
     lambda r: f"{r['retrieval']['real_query_embedding']['p50_ms']:.0f} / "
               f"{r['retrieval']['real_query_embedding']['p95_ms']:.0f}"),
    ("hybrid retrieval p50 / p95, query vectors precomputed (ms)",
     lambda r: f"{r['retrieval']['precomputed_query_vectors']['p50_ms']:.0f} / "
               f"{r['retrieval']['precomputed_query_vectors']['p95_ms']:.0f}"),
    ("  dense alone / BM25 alone, p50 / p95, precomputed (ms)",
     lambda r: f"{r['retrieval']['dense_only_precomputed']['p50_ms']:.0f} / "
               f"{r['retrieval']['dense_only_precomputed']['p95_ms']:.0f}; "
               f"{r['retrieval']['bm25_only_precomputed']['p50_ms']:.0f} / "
               f"{r['retrieval']['bm25_only_precomputed']['p95_ms']:.0f}"),
    ("  CPU per query p50 / p95, real query embedding (ms)",
     lambda r: f"{r['retrieval']['real_query_embedding']['cpu_p50_ms']:.0f} / "
               f"{r['retrieval']['real_query_embedding']['cpu_p95_ms']:.0f}"),
    ("  machine load average (1 min) when they started",
     lambda r: f"{r['load_average']['retrieval_start']:.1f}"),
    ("API start-up to healthy (s)", lambda r: f"{r['api']['startup_to_healthy_seconds']:.1f}"),
    ("  CPU used by then (s)", lambda r: f"{r['api']['startup_cpu_seconds']:.1f}"),
    ("API RSS after start-up", lambda r: f"{r['api']['rss_after_startup_mb']:,} MB"),
    ("API first /v1/chat (cold) (ms)", lambda r: f"{r['api']['first_chat_ms']:,.0f}"),
    ("API /v1/chat p50 / p95 (ms)",
     lambda r: f"{r['api']['chat']['p50_ms']:.0f} / {r['api']['chat']['p95_ms']:.0f}"),
    ("  server CPU per /v1/chat (ms)", lambda r: f"{r['api']['chat_cpu_ms_per_question']:.0f}"),
    ("API RSS after the queries (peak)",
     lambda r: f"{r['api']['rss_after_queries_mb']:,} MB ({r['api']['rss_peak_mb']:,} MB)"),
    ("add a 10-chunk document: ingest / until searchable (s)",
     lambda r: f"{r['incremental']['add']['seconds']:.2f} / "
               f"{r['incremental']['add']['visible_seconds']:.2f}"),
    ("  of which embedding the 10 chunks (s); CPU of the add (s)",
     lambda r: f"{r['incremental']['add']['embed_seconds']:.2f}; "
               f"{r['incremental']['add']['cpu_seconds']:.2f}"),
    ("  bytes written (block layer) / data folder growth",
     lambda r: f"{_kb(r['incremental']['add']['write_bytes'])} / "
               f"{_kb(r['incremental']['add']['du_delta_bytes'])}"),
    ("remove it: seconds / until gone from search (s)",
     lambda r: f"{r['incremental']['remove']['seconds']:.2f} / "
               f"{r['incremental']['remove']['visible_seconds']:.2f}"),
    ("  bytes written (block layer) / data folder growth",
     lambda r: f"{_kb(r['incremental']['remove']['write_bytes'])} / "
               f"{_kb(r['incremental']['remove']['du_delta_bytes'])}"),
]


def markdown(report: dict) -> str:
    sizes = sorted(report["sizes"], key=int)
    cols = ["measure"] + [f"{int(s):,} chunks" for s in sizes]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for label, fn in ROWS:
        cells = []
        for s in sizes:
            try:
                cells.append(fn(report["sizes"][s]))
            except (KeyError, TypeError):
                cells.append("-")
        lines.append("| " + " | ".join([label] + cells) + " |")
    return "\n".join(lines)


def plot(report: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(report["sizes"], key=int)
    xs = [int(s) for s in sizes]
    rs = [report["sizes"][s] for s in sizes]
    panels = [
        ("build time (s)", [("build", [r["build"]["seconds"] for r in rs]),
                            ("CPU", [r["build"]["cpu_seconds"] for r in rs])], None),
        ("disk size (MB)", [("total", [r["disk"]["total_bytes"] / 1e6 for r in rs]),
                            ("HNSW", [r["disk"]["hnsw_bytes"] / 1e6 for r in rs]),
                            ("keyword", [r["disk"]["keyword_bytes"] / 1e6 for r in rs])], None),
        ("hybrid retrieval (ms)", [
            ("p95, real query embedding", [r["retrieval"]["real_query_embedding"]["p95_ms"] for r in rs]),
            ("p50, real query embedding", [r["retrieval"]["real_query_embedding"]["p50_ms"] for r in rs]),
            ("p95, precomputed vectors", [r["retrieval"]["precomputed_query_vectors"]["p95_ms"]
                                          for r in rs]),
            ("CPU p95, real query embedding", [r["retrieval"]["real_query_embedding"]["cpu_p95_ms"]
                                               for r in rs])], TARGETS["retrieval_p95_ms"]),
        ("API RSS (MB)", [("after start-up", [r["api"]["rss_after_startup_mb"] for r in rs]),
                          ("after the queries", [r["api"]["rss_after_queries_mb"] for r in rs])],
         TARGETS["api_rss_mb"]),
        ("API start-up to healthy (s)", [("start-up", [r["api"]["startup_to_healthy_seconds"]
                                                       for r in rs]),
                                         ("CPU used by then", [r["api"]["startup_cpu_seconds"]
                                                               for r in rs])],
         TARGETS["startup_seconds"]),
        ("10-chunk document (s)", [("add, until searchable", [r["incremental"]["add"]["visible_seconds"]
                                                              for r in rs]),
                                   ("add, CPU", [r["incremental"]["add"]["cpu_seconds"] for r in rs]),
                                   ("remove", [r["incremental"]["remove"]["visible_seconds"]
                                               for r in rs])], TARGETS["add_seconds"]),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    for ax, (title, series, target) in zip(axes.flat, panels):
        for label, ys in series:
            ax.plot(xs, ys, marker="o", label=label)
        if target is not None:
            ax.axhline(target, color="red", linestyle="--", linewidth=1, label="target at 1M")
        ax.set_xscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("chunks")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    # Sizes merged from runs at different commits say which commit measured each.
    per_size = {k: v.get("commit", "?") for k, v in sorted(report["sizes"].items(), key=lambda kv: int(kv[0]))}
    commits = (next(iter(per_size.values())) if len(set(per_size.values())) == 1 else
               ", ".join(f"{int(k):,}: {c}" for k, c in per_size.items()))
    fig.suptitle(f"make scale ({report.get('chroma', 'embedded')} Chroma; commit {commits}; "
                 f"{os.cpu_count()} cores shared; wall clock, and CPU time where the machine's "
                 f"load distorts it)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main(
    sizes: str = typer.Option("10000,100000,1000000", help="Comma-separated chunk counts (10k, "
                              "1M and 100_000 also work)."),
    eval_data: Path = typer.Option(DEFAULT_EVAL_DATA, help="Folder of SciFact, COVID-QA, SQuAD 2.0."),
    text_from: str = typer.Option("eval-data", help="Where the chunks' sentences and the questions "
                                  "come from: eval-data (the figures), or corpus (this repository's "
                                  "documents and corpus eval questions: a smoke run where the eval "
                                  "data is not present)."),
    work: Optional[Path] = typer.Option(None, help="Where the indexes are built (default: a "
                                        "temporary folder; 1M chunks need about 10 GB)."),
    out: Path = typer.Option(RESULTS, help="Folder of scale.json and scale.png."),
    queries: int = typer.Option(200, min=1, help="Questions asked per size."),
    port: int = typer.Option(8790, help="Loopback port of the API server."),
    segment_chunks: int = typer.Option(200_000, help="Commit every this many chunks, one segment "
                                       "each (0: everything in one commit)."),
    keep: bool = typer.Option(False, help="Keep the built indexes."),
    reuse: bool = typer.Option(False, help="Measure an index an earlier --keep run left in "
                               "--work instead of building it again."),
    merge: bool = typer.Option(True, help="Merge into an existing scale.json by size."),
    seed: int = typer.Option(11),
    chroma_server: bool = typer.Option(False, help="Chroma in server mode (`chroma run` on "
                                       "loopback, port + 1) instead of embedded."),
) -> None:
    from assistant.retrieval.embedding import get_embedder
    from eval.report import git_commit

    wanted = [parse_size(s) for s in sizes.split(",") if s.strip()]
    if text_from not in ("eval-data", "corpus"):
        raise typer.BadParameter("--text-from is eval-data or corpus")
    sentences, titles, questions = load_pool(eval_data) if text_from == "eval-data" else load_corpus_pool()
    qs = pick_queries(questions, queries, seed)
    typer.echo(f"{len(sentences):,} sentences, {len(titles):,} titles, {len(qs)} questions "
               f"({', '.join(f'{k} {len(v):,}' for k, v in questions.items())})", err=True)
    settings = Settings()
    # The API process's embedder (ASSISTANT_TORCH_THREADS, 1): the questions, and the added
    # document as the documents API's worker in that process would embed it.
    embedder = get_embedder(settings.torch_threads, settings.embed_model)
    if embedder.name != EMBEDDER:
        raise typer.BadParameter(f"the benchmark builds a {EMBEDDER} index; ASSISTANT_EMBED_MODEL "
                                 f"is {embedder.name}")
    root = work or Path(tempfile.mkdtemp(prefix="scale-"))
    root.mkdir(parents=True, exist_ok=True)
    path = out / ("scale-chroma-server.json" if chroma_server else "scale.json")
    report = json.loads(path.read_text(encoding="utf-8")) if merge and path.exists() else {}
    report.setdefault("sizes", {})
    report.update({"kind": "scale", "commit": git_commit(), "machine": {
        "cores": os.cpu_count(), "ram_gb": round(os.sysconf("SC_PAGE_SIZE")
                                                 * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)},
        "chroma": "server" if chroma_server else "embedded",
        "vectors": "normalised random (standard normal, L2-normalised), 384 dimensions",
        "text": ("sentences of SciFact, COVID-QA and SQuAD 2.0" if text_from == "eval-data" else
                 "sentences of corpus/ (smoke run)")
                + " recombined into 500-1150 character chunks, 20 per document",
        "queries": f"{len(qs)} questions: " + ("SciFact claims, COVID-QA and SQuAD 2.0 questions"
                                               if text_from == "eval-data" else "corpus eval set")
                   + f" (seed {seed}); not judged", "segment_chunks": segment_chunks or None})
    try:
        for n in wanted:
            res = run_size(n, root, sentences, titles, qs, embedder, port, seed, segment_chunks,
                           keep, reuse=reuse, chroma_port=port + 1 if chroma_server else None)
            res["chroma"] = "server" if chroma_server else "embedded"
            res["created"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            res["commit"] = git_commit()
            res["targets"] = targets(res)
            report["sizes"][str(n)] = res
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, indent=2), encoding="utf-8")
            plot(report, path.with_suffix(".png"))
    finally:
        if work is None and not keep:
            shutil.rmtree(root, ignore_errors=True)
    print(markdown(report))
    typer.echo(f"wrote {path} and {path.with_suffix('.png')}", err=True)


def parse_size(s: str) -> int:
    s = s.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(s[-1:], 1)
    return int(float(s[:-1] if mult > 1 else s) * mult)


if __name__ == "__main__":
    typer.run(main)
