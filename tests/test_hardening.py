"""Red-team findings, each proved against real components: the real ingest pipeline and store,
and the real FastAPI app under a real uvicorn server on loopback."""

from __future__ import annotations

import os

import httpx
import pytest

from assistant.store import ChunkStore
from ingest.pipeline import Ingestor
from tests.conftest import make_settings

SECRET = "zorblatquux"


# --- 1. ingest never follows a symlink out of the folder -------------------------------------

def test_symlink_out_of_the_folder_is_skipped_and_reported(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "deal.txt").write_text(
        "Acme Bio licensed its antibody to Beta Pharma for 40 million dollars upfront.\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shadow").write_text(f"root password hash {SECRET} must never be indexed.\n")
    (outside / "more.txt").write_text(f"Another secret document mentioning {SECRET}.\n")
    os.symlink(outside / "shadow", corpus / "leak.txt")
    os.symlink(outside, corpus / "sub" / "elsewhere")  # a folder link out of the corpus
    os.symlink(corpus / "deal.txt", corpus / "sub" / "alias.txt")  # inside: harmless

    settings = make_settings(tmp_path, corpus)
    store = ChunkStore(settings)
    summary = Ingestor(settings, store, embedder, progress=False).run([corpus])

    failed = {f.path: f.reason for f in summary.failed}
    assert failed[str(corpus / "leak.txt")] == "symlink to a file outside the folder"
    assert failed[str(corpus / "sub" / "elsewhere")] == "symlink to a folder outside the folder"
    assert summary.files_new == 1  # the run went on with the real document
    texts = [r.text for r in store.iter_live()]
    assert texts and any("Acme Bio" in t for t in texts)
    assert not any(SECRET in t for t in texts)
    sources = {r.metadata["source"] for r in store.iter_live()}
    assert sources == {"deal.txt"}
    # the secret is not findable through retrieval either
    from assistant.service import Assistant

    passages = Assistant(settings, store, embedder).retriever.retrieve(SECRET, top_k=5)
    assert passages and not any(SECRET in p.text for p in passages)
    # the skip is remembered under the link's own name, never the target's
    assert set(store.failures()) == {"leak.txt", "sub/elsewhere"}
