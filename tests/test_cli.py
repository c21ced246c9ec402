"""`python -m assistant ask` for people and as JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def run_cli(args, settings):
    env = {"ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
           "ASSISTANT_CHROMA_PATH": str(settings.chroma_path), "HF_HUB_OFFLINE": "1",
           "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_ask_prints_answer_and_sources(indexed):
    settings, _, _ = indexed
    r = run_cli(["ask", "How much did AstraZeneca pay for Gracell Biotechnologies?"], settings)
    assert r.returncode == 0, r.stderr
    assert "$1.2 billion" in r.stdout
    assert "Sources:" in r.stdout and "innovent-iaso-fucaso-car-t-stake-2024.txt" in r.stdout


def test_ask_json_matches_the_api_shape(indexed):
    settings, _, _ = indexed
    r = run_cli(["ask", "--json", "--top-k", "3", "Which antigen does Fucaso target?"], settings)
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert {"answer", "citations", "abstained"} <= set(body)
    assert "BCMA" in body["answer"]


def test_ask_rejects_an_empty_question_and_reports_a_missing_index(indexed, tmp_path):
    settings, _, _ = indexed
    r = run_cli(["ask", "   "], settings)
    assert r.returncode == 2 and "must not be empty" in r.stderr
    empty = settings.model_copy(update={"chroma_path": tmp_path / "nothing"})
    r = run_cli(["ask", "Anything?"], empty)
    assert r.returncode == 3 and "python -m ingest" in r.stderr
