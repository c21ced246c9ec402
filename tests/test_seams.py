"""The protocols at the layers' seams (issue 21): the store as retrieval reads it, the retriever as
the service uses it, and the loader the Ingestor calls. The real implementations satisfy them, and
the Ingestor takes another loader (here one that refuses every file: each is reported and
skipped, nothing is stored)."""

from __future__ import annotations

from pathlib import Path

from assistant.index.protocols import IndexReader
from assistant.retrieval.hybrid import Retriever
from ingest.loading import LoadError
from tests.conftest import make_settings


def test_the_real_store_and_retriever_satisfy_their_protocols(indexed):
    _, store, assistant = indexed
    assert isinstance(store, IndexReader)
    assert isinstance(assistant.retriever, Retriever)


def test_the_ingestor_takes_another_loader(tmp_path, embedder):
    from assistant.index.store import ChunkStore
    from ingest.pipeline import Ingestor

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a.txt", "b.md"):
        (corpus / name).write_text("Acme Bio paid $5 million for a licence.\n")
    seen: list[str] = []

    def refuse(path: Path, root, display=None, limits=None):
        seen.append(path.name)
        raise LoadError("refused by the test loader")

    settings = make_settings(tmp_path, corpus)
    store = ChunkStore(settings)
    summary = Ingestor(settings, store, embedder, progress=False, loader=refuse).run([corpus])
    assert sorted(seen) == ["a.txt", "b.md"]
    assert sorted(Path(f.path).name for f in summary.failed) == ["a.txt", "b.md"]
    assert all("refused by the test loader" in f.reason for f in summary.failed)
    assert store.docs() == []
