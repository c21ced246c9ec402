"""Latency overhead of the OpenAI-compatible endpoint over `/v1/chat` (issue 23).

`python -m eval.openai_overhead [--questions 100]`: ingests corpus/ into a fresh store, starts
one real `python -m assistant serve` process on loopback with authentication on (one reader key,
sent on both routes), and asks every question on both `/v1/chat` and `/v1/chat/completions`
(model `extractive`, non-streaming), alternating which goes first so machine noise hits both
alike. The questions are the eval set's (eval/data/corpus_eval.jsonl), repeated from the start
when more are asked for than it has. Latency is measured by the client, request sent to
response read; the overhead is the median of the per-question differences. The server-side
latency of each request (from its audit line) is reported too. Prints a table and writes JSON
to eval/reports/.

Note: `/v1/chat` starts a server-kept conversation on every question (a store read and write,
so that a follow-up can continue it); the OpenAI endpoint keeps none (the client resends the
history), so it can come out faster. What the OpenAI shapes themselves cost is measured apart, in
process, on the same questions and answers (`translation_cost`).
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
from assistant.core.config import PROJECT_ROOT
from eval.load import free_port, pct, questions_for, stop_server, wait_healthy
from eval.report import print_table, write_json


def _serve(corpus: Path, work: Path) -> tuple[subprocess.Popen, str, str, Path]:
    audit = work / "audit.jsonl"
    env = {**offline.env(), "ASSISTANT_CHROMA_PATH": str(work / "db"),
           "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_AUDIT_PATH": str(audit),
           "ASSISTANT_RATE_LIMIT_CHAT_PER_KEY": "100000/minute",
           "ASSISTANT_RATE_LIMIT_CHAT_PER_ADDRESS": "100000/minute"}
    run = dict(env=env, check=True, capture_output=True, text=True, cwd=PROJECT_ROOT)
    subprocess.run([sys.executable, "-m", "ingest", "--quiet", str(corpus)], **run)
    key = subprocess.run([sys.executable, "-m", "assistant", "keys", "create", "--name", "bench",
                          "--role", "reader", "--collections", "*"], **run).stdout.strip()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                              env={**env, "ASSISTANT_INGEST_WORKER": "false"}, cwd=PROJECT_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return server, f"http://127.0.0.1:{port}", key, audit


def _requests(question: str) -> dict[str, tuple[str, dict]]:
    return {"chat": ("/v1/chat", {"question": question}),
            "completions": ("/v1/chat/completions",
                            {"model": "extractive",
                             "messages": [{"role": "user", "content": question}]})}


def measure(base: str, key: str, questions: list[str],
            answers: list[dict] | None = None) -> dict[str, list[float]]:
    """Client-side latencies per route; `answers` collects /v1/chat's responses."""
    lat: dict[str, list[float]] = {"chat": [], "completions": []}
    with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {key}"}) as client:
        for q in questions[:3]:  # warm-up: first-question costs on both routes
            for path, body in _requests(q).values():
                client.post(base + path, json=body).raise_for_status()
        for n, q in enumerate(questions):
            order = ["chat", "completions"] if n % 2 == 0 else ["completions", "chat"]
            reqs = _requests(q)
            for name in order:
                path, body = reqs[name]
                t = time.perf_counter()
                r = client.post(base + path, json=body)
                r.raise_for_status()
                data = r.json()
                lat[name].append((time.perf_counter() - t) * 1000)
                if name == "chat" and answers is not None:
                    answers.append(data)
    return lat


def translation_cost(questions: list[str], answers: list[dict], repeat: int = 20) -> list[float]:
    """In process, per question: what the OpenAI shapes add to /v1/chat's own request and
    response handling (validate the request, read the conversation, rebuild its turns, render
    the completion, encode it) minus /v1/chat's (validate, encode), in ms (median of `repeat`)."""
    from assistant.api.openai_compat import objects
    from assistant.api.openai_compat.schemas import CompletionRequest, Conversation
    from assistant.api.schemas import ChatRequest
    from assistant.service.transcript import turns_from

    def timed(fn) -> float:
        runs = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - t) * 1000)
        return statistics.median(runs)

    out = []
    for q, answer in zip(questions, answers):
        body = _requests(q)["completions"][1]

        def chat():
            ChatRequest.model_validate({"question": q})
            json.dumps(answer, ensure_ascii=False)

        def completions():
            req = CompletionRequest.model_validate(body)
            convo = Conversation(req.messages)
            turns_from(convo.exchanges)
            json.dumps(objects.completion("chatcmpl-x", "extractive", answer, convo.prompt),
                       ensure_ascii=False)

        out.append(timed(completions) - timed(chat))
    return out


def server_side(audit: Path, skip: int) -> dict[str, list[float]]:
    """Each route's latency_ms from its audit lines, after the warm-up."""
    out: dict[str, list[float]] = {"/v1/chat": [], "/v1/chat/completions": []}
    for line in audit.read_text().splitlines():
        e = json.loads(line)
        if e.get("route") in out and e.get("status") == 200:
            out[e["route"]].append(e["latency_ms"])
    return {k: v[skip:] for k, v in out.items()}


def main(
    questions: int = typer.Option(100, min=1, help="Questions asked on each route."),
    out: Path = typer.Option(PROJECT_ROOT / "eval" / "reports", help="Where the JSON goes."),
) -> None:
    corpus = PROJECT_ROOT / "corpus"
    base_questions = questions_for(corpus)
    asked = [base_questions[i % len(base_questions)] for i in range(questions)]
    work = Path(tempfile.mkdtemp(prefix="openai-overhead-"))
    server = None
    try:
        typer.echo("ingest and start the server ...", err=True)
        server, base, key, audit = _serve(corpus, work)
        wait_healthy(base, server, limit=180)
        typer.echo(f"asking {len(asked)} questions on each route ...", err=True)
        answers: list[dict] = []
        lat = measure(base, key, asked, answers)
        time.sleep(0.5)  # the last audit line is written as the response ends
        srv = server_side(audit, skip=3)
    finally:
        if server is not None:
            stop_server(server)
    shutil.rmtree(work, ignore_errors=True)
    diffs = [b - a for a, b in zip(lat["chat"], lat["completions"])]
    shapes = translation_cost(asked, answers)
    srv_diffs = [b - a for a, b in zip(srv["/v1/chat"], srv["/v1/chat/completions"])]
    result = {
        "questions": len(asked), "distinct_questions": len(set(asked)),
        "chat_p50_ms": statistics.median(lat["chat"]),
        "completions_p50_ms": statistics.median(lat["completions"]),
        "chat_p90_ms": pct(lat["chat"], 90), "completions_p90_ms": pct(lat["completions"], 90),
        "overhead_p50_ms": statistics.median(diffs),
        "server_chat_p50_ms": statistics.median(srv["/v1/chat"]),
        "server_completions_p50_ms": statistics.median(srv["/v1/chat/completions"]),
        "server_overhead_p50_ms": statistics.median(srv_diffs) if srv_diffs else None,
        "translation_p50_ms": statistics.median(shapes), "translation_max_ms": max(shapes),
        "latencies_ms": lat,
    }
    rows = [
        (f"/v1/chat p50 / p90 over {len(asked)} questions (ms)",
         f"{result['chat_p50_ms']:.1f} / {result['chat_p90_ms']:.1f}", ""),
        ("/v1/chat/completions p50 / p90 (ms)",
         f"{result['completions_p50_ms']:.1f} / {result['completions_p90_ms']:.1f}", ""),
        ("overhead: median of per-question differences (ms)",
         f"{result['overhead_p50_ms']:+.1f}", "<= 5"),
        ("server-side p50, /v1/chat / completions (ms, audit log)",
         f"{result['server_chat_p50_ms']:.1f} / {result['server_completions_p50_ms']:.1f}", ""),
        ("server-side overhead, median of differences (ms)",
         f"{result['server_overhead_p50_ms']:+.1f}", "<= 5"),
        ("OpenAI shapes alone, in process: p50 / max (ms)",
         f"{result['translation_p50_ms']:+.2f} / {result['translation_max_ms']:+.2f}", ""),
    ]
    print_table("OpenAI-compatible endpoint: latency overhead over /v1/chat",
                ["measure", "value", "target"], rows)
    path = write_json(out, "openai-overhead", result)
    typer.echo(f"wrote {path}", err=True)


if __name__ == "__main__":
    typer.run(main)
