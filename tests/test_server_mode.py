"""The same behaviour against a real Chroma server (`chroma run`) on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.index.errors import StoreError
from assistant.index.store import ChunkStore
from assistant.service.assistant import Assistant
from ingest.pipeline import Ingestor
from tests.conftest import free_port, make_settings

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(data), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("chroma run did not start")
    yield port
    proc.terminate()
    proc.wait(timeout=20)


QUESTIONS = [
    "How much has Novartis set aside to scale up gene therapy manufacturing?",
    "Which FDA designations has Fucaso been granted?",
    "How much did Pfizer pay to acquire Seagen?",
]


def test_server_mode_answers_like_embedded_mode(tmp_path, corpus_copy, chroma_server, embedder,
                                                indexed):
    settings = make_settings(tmp_path, corpus_copy, chroma_host="127.0.0.1", chroma_port=chroma_server,
                             collection_prefix="srv")
    store = ChunkStore(settings)
    summary = Ingestor(settings, store, embedder, progress=False).run([corpus_copy])
    assert not summary.failed and summary.chunks_total > 0
    assert not (tmp_path / "chroma").exists()  # nothing written to the embedded path

    _, local_store, local = indexed
    assert store.count() == local_store.count()
    remote = Assistant(settings, store, embedder)
    for q in QUESTIONS:
        a, b = remote.ask(q).answer, local.ask(q).answer
        assert (a.answer, a.abstained) == (b.answer, b.abstained)
        assert [c.source for c in a.citations] == [c.source for c in b.citations]

    # Re-ingest is idempotent against the server too.
    again = Ingestor(settings, store, embedder, progress=False).run([corpus_copy])
    assert again.files_unchanged == 5 and again.chunks_added == 0


def test_two_api_processes_share_the_server_and_see_a_new_generation(tmp_path, corpus_copy,
                                                                     chroma_server, embedder):
    settings = make_settings(tmp_path, corpus_copy, chroma_host="127.0.0.1",
                             chroma_port=chroma_server, collection_prefix="shared")
    Ingestor(settings, ChunkStore(settings), embedder, progress=False).run([corpus_copy])
    worker_a = Assistant(settings, ChunkStore(settings), embedder)
    worker_b = Assistant(settings, ChunkStore(settings), embedder)
    q = "How much has Novartis set aside to scale up gene therapy manufacturing?"
    assert "$500 million" in worker_a.ask(q).answer.answer

    doc = corpus_copy / "novartis-aws-cell-gene-therapy-manufacturing.txt"
    doc.write_text(doc.read_text(encoding="utf-8").replace("$500 million", "$650 million"),
                   encoding="utf-8")
    Ingestor(settings, ChunkStore(settings), embedder, progress=False).run([corpus_copy])
    for worker in (worker_a, worker_b):  # no restart needed
        assert "$650 million" in worker.ask(q).answer.answer


def test_unreachable_server_is_a_clear_error(tmp_path, corpus_copy):
    settings = make_settings(tmp_path, corpus_copy, chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreError, match="cannot reach the Chroma server"):
        ChunkStore(settings)
