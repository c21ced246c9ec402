"""Memory of a long conversation (issue 14 row 3): the server's resident memory after 10
follow-ups in one conversation, and after 1,000 (`make conversation-memory`, a few minutes).

A real server on a copy of the corpus; every follow-up is a narrowing of the one before ("Which
of those were in 2023?"), the kind that once nested the searched question without bound. Printed:
RSS (psutil) after each checkpoint, the growth in percent, and the longest searched question.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import psutil
import typer

from assistant.core import offline
from eval.load import free_port, run_ingest, stop_server, wait_healthy

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FOLLOW_UPS = ["Which of those were in 2023?", "And what about Novartis?", "How much did it cost?",
              "Which of them were in China?", "What did they say about manufacturing?"]


def main(
    first: int = typer.Option(10, min=1, help="Follow-ups before the first measurement."),
    total: int = typer.Option(1000, min=2, help="Follow-ups before the second."),
    out: Path = typer.Option(None, help="Also write the JSON summary to this file."),
) -> None:
    from tqdm import tqdm

    work = Path(tempfile.mkdtemp(prefix="conversation-memory-"))
    docs = work / "docs"
    shutil.copytree(PROJECT_ROOT / "corpus", docs)
    env = {**offline.env(),
           "ASSISTANT_CHROMA_PATH": str(work / "chroma"), "ASSISTANT_CORPUS_DIR": str(docs),
           "ASSISTANT_AUDIT_PATH": str(work / "audit.jsonl"),
           "ASSISTANT_RATE_LIMIT_CHAT_PER_KEY": "1000000/minute",
           "ASSISTANT_RATE_LIMIT_CHAT_PER_ADDRESS": "1000000/minute"}
    rc, _ = run_ingest(docs, env, work / "ingest.log")
    if rc != 0:
        typer.echo(f"error: the ingest failed (exit {rc}); see {work / 'ingest.log'}", err=True)
        raise typer.Exit(2)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(work / "server.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                              env=env, cwd=PROJECT_ROOT, stdout=log, stderr=log)
    report: dict = {"follow_ups": {}}
    try:
        wait_healthy(base, server)
        proc = psutil.Process(server.pid)
        longest = 0
        with httpx.Client(timeout=120) as c:
            r = c.post(f"{base}/v1/chat", json={
                "question": "Which cell and gene therapies did the FDA approve?"})
            r.raise_for_status()
            cid = r.json()["conversation_id"]
            for i in tqdm(range(1, total + 1), desc="follow-ups", file=sys.stderr):
                r = c.post(f"{base}/v1/chat", json={"question": FOLLOW_UPS[i % len(FOLLOW_UPS)],
                                                     "conversation_id": cid})
                r.raise_for_status()
                longest = max(longest, len(r.json()["question"]))
                if i in (first, total):
                    report["follow_ups"][i] = {"rss_mb": round(proc.memory_info().rss / 2**20, 1),
                                               "longest_searched_question": longest}
    finally:
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True)
    a, b = report["follow_ups"][first]["rss_mb"], report["follow_ups"][total]["rss_mb"]
    report["growth_percent"] = round(100 * (b - a) / a, 1)
    text = json.dumps(report, indent=1)
    typer.echo(text)
    if out:
        out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
