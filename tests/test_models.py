"""Issue 11.4: the embedder and an optional cross-encoder reranker are settings.

No reranker (and no second embedder) ships with its weights offline, so the tests build tiny BERT
models themselves (tests/tiny_models.py), save them to a temporary folder and point
ASSISTANT_EMBED_MODEL / ASSISTANT_RERANK_MODEL at the folder; documents go through the real ingest
into a real embedded Chroma store."""

from __future__ import annotations

import re

import httpx
import numpy as np
import pytest

from assistant.api.app import create_app
from assistant.index.errors import StoreError
from assistant.index.store import ChunkStore
from assistant.service.assistant import Assistant
from ingest.pipeline import EmbedderChanged, Ingestor
from tests.conftest import make_settings
from tests.server import serve
from tests.tiny_models import tiny_cross_encoder, tiny_embedder

DOCS = {
    "fucaso.txt": "Fucaso Approval\n\nThe NMPA approved Fucaso, a BCMA CAR-T cell therapy from "
                  "IASO Bio, for relapsed multiple myeloma in June 2023. Fucaso was granted "
                  "breakthrough therapy designation. Innovent co-developed Fucaso with IASO Bio.",
    "gracell.txt": "AstraZeneca Buys Gracell\n\nIn December 2023, AstraZeneca acquired Gracell "
                   "Biotechnologies for $1.2 billion. Gracell develops a dual BCMA and CD19 "
                   "targeting CAR-T cell therapy for multiple myeloma and lupus.",
    "cdmo.txt": "Choosing a CDMO\n\nBefore signing a CDMO, check its regulatory inspection "
                "history, its capacity for commercial batches and its quality agreement. A CDMO "
                "audit should review batch records and deviation handling.",
    "hepa.txt": "Cleanroom Design\n\nA cleanroom for cell therapy manufacturing uses HEPA "
                "filters, pressure cascades and airlocks. Facility design decides the grade of "
                "each room and the gowning steps between them.",
}
QUESTION = "How much did AstraZeneca pay for Gracell Biotechnologies?"
WORDS = " ".join(DOCS.values()) + " " + QUESTION + " what which when who did does is a the"


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    """Loading a model sets torch's (process-wide) thread count: leave it as it was."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("models")
    return {"embed_a": tiny_embedder(tmp / "embed-a", WORDS.split(), seed=1),
            "embed_b": tiny_embedder(tmp / "embed-b", WORDS.split(), seed=2),
            "rerank": tiny_cross_encoder(tmp / "rerank", WORDS.split(), seed=3)}


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def cited_ok(answer) -> bool:
    marks = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    return bool(answer.citations) and marks <= {c.n for c in answer.citations} and bool(marks)


def test_embed_model_setting_end_to_end_and_refused_change(tmp_path, docs, models):
    from assistant.retrieval.embedding import get_embedder

    a = make_settings(tmp_path, docs, embed_model=str(models["embed_a"]))
    b = a.model_copy(update={"embed_model": str(models["embed_b"])})
    store = ChunkStore(a)
    embed_a = get_embedder(1, a.embed_model)
    assert embed_a.name == str(models["embed_a"].resolve()) and embed_a.dimension == 32

    summary = Ingestor(a, store, embed_a, progress=False).run([docs])
    assert not summary.failed and summary.files_new == len(DOCS)
    state = store.state()
    assert state["embedder"] == embed_a.name and state["dimension"] == 32

    # Asked through the service with the configured (tiny) embedder: the same model embeds the
    # question, and the answer cites passages.
    assistant = Assistant.from_settings(a)
    assert assistant.embedder is embed_a
    result = assistant.ask(QUESTION)
    assert result.passages and all(p.dense is not None or p.bm25 is not None for p in result.passages)
    assert any(p.source == "gracell.txt" for p in result.passages)
    assert cited_ok(result.answer), result.answer

    # Another embedder: ingestion is refused with a clear message, and nothing changes.
    embed_b = get_embedder(1, b.embed_model)
    with pytest.raises(EmbedderChanged) as refused:
        Ingestor(b, store, embed_b, progress=False).run([docs])
    message = str(refused.value)
    assert embed_a.name in message and embed_b.name in message and "--reembed" in message
    assert store.state() == state

    # A server started with the other embedder says why it cannot answer (no wrong answers).
    with serve(create_app(b)) as base:
        h = httpx.get(f"{base}/health")
        assert h.status_code == 503  # open to everyone: which models, only the log says
        assert h.json() == {"detail": "not ready"}
        r = httpx.post(f"{base}/v1/chat", json={"question": QUESTION}, timeout=60)
        assert r.status_code == 503
        detail = r.json()["detail"]
        assert embed_a.name in detail and embed_b.name in detail and "ASSISTANT_EMBED_MODEL" in detail
    with pytest.raises(StoreError, match="--reembed"):
        Assistant(b, ChunkStore(b), embed_b).ask(QUESTION)


def test_reembed_builds_a_new_index_and_switches(tmp_path, docs, models):
    from assistant.retrieval.embedding import get_embedder

    a = make_settings(tmp_path, docs, embed_model=str(models["embed_a"]))
    b = a.model_copy(update={"embed_model": str(models["embed_b"])})
    store = ChunkStore(a)
    embed_a, embed_b = get_embedder(1, a.embed_model), get_embedder(1, b.embed_model)
    Ingestor(a, store, embed_a, progress=False).run([docs])
    # A file ingested on its own (like an upload) is re-embedded from the stored chunks too.
    extra = tmp_path / "extra.txt"
    extra.write_text("Cleanroom Audit\n\nA cleanroom audit checks HEPA filters.", encoding="utf-8")
    Ingestor(a, store, embed_a, progress=False).run([extra])
    extra.unlink()
    before = store.state()
    sources = sorted(store.live_docs())

    summary = Ingestor(b, store, embed_b, progress=False, reembed=True).run([docs])
    # The folder's files are read again; the other document is re-embedded from its stored chunks.
    assert not summary.failed and summary.files_changed == len(DOCS) and summary.reembedded == 1
    after = store.state()
    assert after["embedder"] == embed_b.name
    assert len(after["segments"]) == 1 and not set(after["segments"]) & set(before["segments"])
    assert {n for n, _ in after["retired"]} >= set(before["segments"])
    assert sorted(store.live_docs()) == sources

    # The new model's vectors answer; the old model is now the one refused.
    result = Assistant(b, store, embed_b).ask(QUESTION)
    assert any(p.source == "gracell.txt" for p in result.passages) and cited_ok(result.answer)
    stored = store.segment(after["segments"][0]).get(
        where={"source": "gracell.txt"}, include=["documents", "embeddings"])
    np.testing.assert_allclose(stored["embeddings"][0],
                               embed_b.embed_texts([stored["documents"][0]])[0], atol=1e-5)
    with pytest.raises(StoreError, match="re-embed"):
        Assistant(a, store, embed_a).ask(QUESTION)

    # Re-embedded documents count as current: the next run has nothing to do.
    again = Ingestor(b, store, embed_b, progress=False).run([docs])
    assert again.files_unchanged == len(DOCS) and again.chunks_added == 0
    assert store.state()["seq"] == after["seq"]


def test_reranker_reorders_the_fused_candidates(tmp_path, docs, models, embedder):
    from assistant.retrieval.rerank import get_reranker

    plain = make_settings(tmp_path, docs, top_k=3)
    store = ChunkStore(plain)
    Ingestor(plain, store, embedder, progress=False).run([docs])
    reranked = plain.model_copy(update={"rerank_model": str(models["rerank"]),
                                        "rerank_candidates": 10})
    reranker = get_reranker(reranked)
    assert get_reranker(plain) is None  # off by default

    base = Assistant(plain, store, embedder)
    assert base.retriever.reranker is None
    fused = base.retriever.retrieve(QUESTION, top_k=10)
    assert len(fused) > 3
    # The tiny cross-encoder's own scores decide the order of the fused candidates.
    scores = reranker._model.predict([(QUESTION, p.text) for p in fused])
    expected = [fused[j].id for j in sorted(range(len(fused)), key=lambda j: (-scores[j], j))][:3]
    assert expected != [p.id for p in fused[:3]], "pick another seed: this one does not reorder"

    assistant = Assistant(reranked, store, embedder)
    assert assistant.retriever.reranker is reranker
    got = assistant.retriever.retrieve(QUESTION)
    assert [p.id for p in got] == expected
    assert [p.rank for p in got] == [1, 2, 3]
    assert [p.extra["rerank"] for p in got] == pytest.approx(sorted(scores, reverse=True)[:3], abs=1e-5)

    # The answer still cites passages (only from what the reranker kept).
    result = assistant.ask(QUESTION)
    assert cited_ok(result.answer), result.answer
    assert {c.source for c in result.answer.citations} <= {p.source for p in got}


def test_a_missing_model_folder_is_a_clear_error(tmp_path):
    from assistant.retrieval.embedding import EmbedderError, get_embedder
    from assistant.retrieval.rerank import get_reranker

    with pytest.raises(EmbedderError, match="ASSISTANT_EMBED_MODEL"):
        get_embedder(1, str(tmp_path / "no-such-model"))
    settings = make_settings(tmp_path, tmp_path, rerank_model=str(tmp_path / "no-such-reranker"))
    with pytest.raises(EmbedderError, match="ASSISTANT_RERANK_MODEL"):
        get_reranker(settings)


def test_query_path_uses_one_torch_thread_by_default():
    from assistant.core.config import Settings

    s = Settings(_env_file=None)
    assert s.torch_threads == 1 and s.ingest_torch_threads == 2
    assert s.embed_model == "all-MiniLM-L6-v2" and s.rerank_model is None


def test_ingest_cli_refuses_another_embedder_then_reembeds(tmp_path, docs, models, monkeypatch):
    from typer.testing import CliRunner

    from assistant.core.config import get_settings
    from ingest.__main__ import app

    def run(model, *args):
        env = {"ASSISTANT_CORPUS_DIR": str(docs), "ASSISTANT_CHROMA_PATH": str(tmp_path / "chroma"),
               "ASSISTANT_EMBED_MODEL": str(model)}
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, ["--quiet", *args])
        finally:
            get_settings.cache_clear()

    assert run(models["embed_a"]).exit_code == 0
    refused = run(models["embed_b"], "--if-stale")
    assert refused.exit_code == 3
    assert "--reembed" in refused.output and str(models["embed_a"].resolve()) in refused.output
    assert run(models["embed_b"], "--reembed").exit_code == 0
    assert "index is up to date" in run(models["embed_b"], "--if-stale").output
