"""An ingest costs what it changes (issue 11): adding, changing or removing one document reads
that document's manifest record, not every record; the merge check decides from the live-chunk
counts in `__state__`, and an index whose state has no counts (written before them) still
ingests and merges correctly. Real Chroma throughout; the index of N small documents is written
through the store's own `IndexWriter` with random vectors (the embedder only embeds the one
document each test adds)."""

from __future__ import annotations

import json

import numpy as np

import assistant.index.writer as writer_mod
from assistant.index.store import STATE_ID, ChunkStore
from assistant.index.writer import IndexWriter, NewChunk
from eval.manifest_cost import ManifestSpy, build_index, doc_source
from ingest.pipeline import Ingestor
from tests.conftest import make_settings


def build(settings, embedder, n: int, folder: str = "/nonexistent/bench") -> ChunkStore:
    """An index of `n` two-chunk documents from `folder` (one commit)."""
    return build_index(settings, n, embedder.name, embedder.dimension, folder)[0]


def recount(store: ChunkStore) -> dict:
    counts, complete, _ = IndexWriter(store, "x", 1)._count_live(store.state())
    assert complete
    return counts


def one_doc_reads(tmp_path, embedder, n: int) -> dict[str, int]:
    settings = make_settings(tmp_path / f"n{n}", tmp_path / f"n{n}" / "corpus")
    store = build(settings, embedder, n)
    spy = ManifestSpy(store)
    ing = Ingestor(settings, store, embedder, progress=False)
    doc = tmp_path / f"n{n}" / "memo.md"
    doc.write_text("# Memo\n\nAcme Bio licensed ZQ-7 to Foo Pharma for $12 million.\n")
    reads = {}
    spy.take()
    s = ing.run([doc])
    reads["add"] = spy.take()
    assert s.files_new == 1 and s.chunks_total == 2 * n + s.chunks_written
    doc.write_text("# Memo\n\nAcme Bio licensed ZQ-7 to Foo Pharma for $15 million.\n")
    s = ing.run([doc])
    reads["change"] = spy.take()
    assert s.files_changed == 1 and s.chunks_total == 2 * n + s.chunks_written
    s = ing.remove(["memo.md"])
    reads["remove"] = spy.take()
    assert s.files_removed == 1 and s.chunks_total == 2 * n
    assert "memo.md" not in store.live_docs() and len(store.live_docs()) == n
    assert store.state()["counts"] == recount(store)
    # A folder run prunes from the names of that folder's documents only.
    folder = tmp_path / f"n{n}" / "mine"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nAlpha Bio raised $3 million.\n")
    (folder / "b.md").write_text("# B\n\nBeta Bio raised $4 million.\n")
    ing.run([folder])
    (folder / "b.md").unlink()
    spy.take()
    s = ing.run([folder])
    reads["prune"] = spy.take()
    assert s.files_removed == 1 and s.files_unchanged == 1
    assert set(store.live_docs()) == {doc_source(d) for d in range(n)} | {"a.md"}
    assert store.state()["counts"] == recount(store)
    return reads


def test_one_document_reads_do_not_grow_with_the_index(tmp_path, embedder):
    small = one_doc_reads(tmp_path, embedder, 5)
    large = one_doc_reads(tmp_path, embedder, 50)
    assert small == large, (small, large)
    # the state record, the document's record, a probe or two, and (since records are stored
    # per document version) the changed document's record once more when its old records are
    # collected after the switch: nothing like 2 x N
    assert max(large.values()) <= 13, large


def test_an_index_without_counts_still_ingests_and_merges(tmp_path, embedder):
    """An index written before the counts: no counts in `__state__`, no segment hints on the
    records (upserts merge metadata, so both are deleted and written back without them)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    settings = make_settings(tmp_path, corpus, segment_merge_factor=2, segment_grace_seconds=0)
    store = build(settings, embedder, 6)  # (from another folder: never pruned here)
    for i in range(3):  # three more segments: merged by tiers of 2 on the way
        (corpus / f"m{i}.md").write_text(f"# M{i}\n\nMemo {i}: Gamma Bio paid ${i} million.\n")
        Ingestor(settings, store, embedder, progress=False).run([corpus])
    # make it old
    col = store._manifest()
    got = col.get(include=["metadatas"])
    old = {k: v for k, v in got["metadatas"][got["ids"].index(STATE_ID)].items()
           if k not in ("counts", "counts_seq")}
    docs = {i: {k: v for k, v in m.items() if k not in ("segment", "segment_version")}
            for i, m in zip(got["ids"], got["metadatas"]) if i != STATE_ID}
    col.delete(ids=got["ids"])
    col.add(ids=[STATE_ID] + list(docs), metadatas=[old] + list(docs.values()),
            embeddings=[[0.0]] * (len(docs) + 1))
    store = ChunkStore(settings)
    assert store.state()["counts"] is None
    live_before = {s: d["version"] for s, d in store.live_docs().items()}
    # change a file (its record has no segment hint: the version is found through the
    # segments' document lists), remove one, add one
    (corpus / "m0.md").write_text("# M0\n\nMemo 0 changed: Gamma Bio paid $40 million.\n")
    (corpus / "m1.md").unlink()
    (corpus / "m9.md").write_text("# M9\n\nMemo 9: Epsilon Bio paid $90 million.\n")
    s = Ingestor(settings, store, embedder, progress=False).run([corpus])
    assert (s.files_new, s.files_changed, s.files_removed) == (1, 1, 1), s
    state = store.state()
    assert state["counts"] is not None and state["counts"] == recount(store)
    live = store.live_docs()
    bench = {doc_source(d) for d in range(6)}
    assert set(live) == bench | {"m0.md", "m2.md", "m9.md"}
    assert live["m2.md"]["version"] == live_before["m2.md"]
    assert s.chunks_total == store.count() == sum(a for _, a in state["counts"].values())
    texts = {r.metadata["source"]: r.text for r in store.iter_live()}
    assert "$40 million" in texts["m0.md"] and "$90 million" in texts["m9.md"]
    assert "m1.md" not in texts
    # more runs keep the counts equal to a recount, merges included
    for i in range(3):
        (corpus / f"n{i}.md").write_text(f"# N{i}\n\nNote {i}: Zeta Bio paid ${i} million.\n")
        s = Ingestor(settings, store, embedder, progress=False).run([corpus])
        assert store.state()["counts"] == recount(store)
    assert len(store.state()["segments"]) <= 4  # eight segments written: merges happened
    assert set(store.live_docs()) == bench | {"m0.md", "m2.md", "m9.md", "n0.md", "n1.md",
                                              "n2.md"}
    assert store.count() == sum(a for _, a in store.state()["counts"].values())


def test_counts_from_another_seq_are_not_trusted(tmp_path, embedder):
    """A writer that does not keep the counts (an older version) moves the seq without them:
    they are recounted, not used."""
    settings = make_settings(tmp_path, tmp_path / "corpus")
    store = build(settings, embedder, 4)
    assert store.state()["counts"] is not None
    col = store._manifest()
    meta = col.get(ids=[STATE_ID], include=["metadatas"])["metadatas"][0]
    col.upsert(ids=[STATE_ID], metadatas=[dict(meta, seq=meta["seq"] + 1)], embeddings=[[0.0]])
    assert store.state()["counts"] is None
    assert store.live_chunks() == 8


def test_segments_are_written_in_small_adds(tmp_path, embedder, monkeypatch):
    """Each Chroma add (one guarded store call) writes at most ADD_BATCH rows."""
    monkeypatch.setattr(writer_mod, "ADD_BATCH", 3)
    settings = make_settings(tmp_path, tmp_path / "corpus")
    store = ChunkStore(settings)
    sizes = []
    real = store.create_segment

    def create(*args, **kwargs):
        col = real(*args, **kwargs)
        add = col.add
        col.add = lambda **kw: (sizes.append(len(kw["ids"])), add(**kw))[1]
        return col

    store.create_segment = create
    build_into = IndexWriter(store, embedder.name, embedder.dimension)
    rng = np.random.default_rng(0)
    build_into.add({"source": "a.txt", "title": "a"}, [
        NewChunk(text=f"chunk {i}", metadata={"chunk_index": i},
                 embedding=rng.standard_normal(embedder.dimension)) for i in range(7)])
    build_into.commit()
    assert sizes == [3, 3, 1]
    assert store.count() == 7 and json.loads(json.dumps(store.state()["counts"])) == {
        store.state()["segments"][0]: [7, 7]}
