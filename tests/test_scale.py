"""`make scale` smoke run (issue 11, point 5): the scale benchmark at 10k chunks, end to end, as
the Makefile runs it (a real index through the product's writer, a real API server, the real
incremental ingest), with 20 questions instead of 200 to stay fast. Checks that the report holds
every measure with a sane value; the numbers themselves are the benchmark's business."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.core.config import Settings
from eval.scale import DEFAULT_EVAL_DATA, markdown
from tests.conftest import ROOT, free_port

# The benchmark's text comes from ../shared/eval-data; a clean clone elsewhere (CI) has only the
# repository: the smoke run then recombines corpus/'s sentences (same code path, smaller vocabulary).
TEXT_FROM = "eval-data" if (DEFAULT_EVAL_DATA / "scifact" / "corpus.jsonl").exists() else "corpus"

SIZE = 10_000
QUESTIONS = 20


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scale")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False"}
    run = subprocess.run(
        [sys.executable, "-m", "eval.scale", "--sizes", "10k", "--queries", str(QUESTIONS),
         "--work", str(tmp / "work"), "--out", str(tmp / "out"), "--no-merge",
         "--text-from", TEXT_FROM,
         "--port", str(free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert not any((tmp / "work").iterdir()), "the index was not removed"
    data = json.loads((tmp / "out" / "scale.json").read_text(encoding="utf-8"))
    data["_stdout"] = run.stdout
    data["_png"] = tmp / "out" / "scale.png"
    return data


def test_report_has_every_measure(report):
    assert report["kind"] == "scale" and "random" in report["vectors"]
    r = report["sizes"][str(SIZE)]
    b = r["build"]
    assert b["chunks"] == SIZE and b["documents"] == SIZE // 20
    assert b["segments"] == 1 and b["commits"] == 1
    assert 0 < b["keyword_write_seconds"] < b["commit_seconds"] <= b["seconds"]
    assert 0 < b["terms_seconds"] < b["commit_seconds"] and b["chroma_seconds"] > 0
    assert b["cpu_seconds"] > 0 and b["peak_rss_mb"] > 0
    d = r["disk"]
    for key in ("chroma_sqlite_bytes", "hnsw_bytes", "keyword_bytes"):
        assert 0 < d[key] < d["total_bytes"]
    # 384 float32 per vector at least, in the HNSW files
    assert d["hnsw_bytes"] > SIZE * 384 * 4
    api = r["api"]
    assert 0 < api["startup_to_healthy_seconds"] < 300
    assert 100 < api["rss_after_startup_mb"] <= api["rss_peak_mb"]
    assert api["rss_after_queries_mb"] > 100
    assert api["chat_questions"] == QUESTIONS
    assert 0 < api["chat"]["p50_ms"] <= api["chat"]["p95_ms"] <= api["chat"]["max_ms"]
    ret = r["retrieval"]
    assert ret["queries"] == QUESTIONS
    for mode in ("precomputed_query_vectors", "real_query_embedding"):
        m = ret[mode]
        assert 0 < m["p50_ms"] <= m["p95_ms"] <= m["max_ms"]
        assert m["min_results"] == Settings().top_k  # top_k passages for every question
    assert set(r["targets"]) == {"retrieval_p95_ms", "add_seconds", "api_rss_mb",
                                 "startup_seconds"}


def test_add_and_remove_change_the_index_by_ten_chunks(report):
    inc = report["sizes"][str(SIZE)]["incremental"]
    add, remove = inc["add"], inc["remove"]
    assert add["chunks_before"] == SIZE and add["chunks_after"] == SIZE + 10
    assert add["chunks_changed"] == 10 and add["chunks_added"] == 10
    assert remove["chunks_before"] == SIZE + 10 and remove["chunks_after"] == SIZE
    assert remove["chunks_changed"] == -10 and remove["chunks_removed"] == 10
    for step in (add, remove):
        assert step["visible"]  # found by a search after the add, gone after the remove
        assert 0 < step["seconds"] <= step["visible_seconds"]
        assert step["write_bytes"] > 0 and step["wchar_bytes"] > 0
    assert add["du_delta_bytes"] > 0 and add["embed_seconds"] > 0


def test_table_and_plot(report):
    assert "| build time (s) |" in report["_stdout"]
    table = markdown(report)
    assert "10,000 chunks" in table and "| - |" not in table
    png = report["_png"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
