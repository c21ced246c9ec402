"""Per-document versions, one-write switches, kill points and provenance (issues 11, 12, 14)."""

from __future__ import annotations

import pytest

from assistant.index.store import ChunkStore
from ingest.pipeline import Ingestor
from tests.conftest import make_settings

Q = "How much has Novartis set aside for gene therapy manufacturing?"
DOC = "novartis-aws-cell-gene-therapy-manufacturing.txt"


def texts(store, source):
    return "\n".join(r.text for r in store.iter_live(sources=[source]))


@pytest.mark.parametrize("point", ["mid_vectors", "after_vectors", "after_keyword",
                                   "after_switch"])
def test_kill_points_leave_old_or_new_version_never_both(tmp_path, corpus_copy, embedder, point):
    settings = make_settings(tmp_path, corpus_copy)
    store = ChunkStore(settings)
    Ingestor(settings, store, embedder, progress=False).run([corpus_copy])
    n_before = store.count()
    doc = corpus_copy / DOC
    doc.write_text(doc.read_text(encoding="utf-8").replace("$500 million", "$750 million"),
                   encoding="utf-8")
    ing = Ingestor(settings, ChunkStore(settings), embedder, progress=False)
    ing.fail_at = point
    with pytest.raises(RuntimeError, match="simulated crash"):
        ing.run([corpus_copy])
    store = ChunkStore(settings)
    joined = texts(store, DOC)
    if point == "after_switch":
        assert "$750 million" in joined and "$500 million" not in joined
    else:
        assert "$500 million" in joined and "$750 million" not in joined
    assert store.count() == n_before
    # The next run finishes the job and leaves no unlisted segment behind.
    Ingestor(settings, store, embedder, progress=False).run([corpus_copy])
    assert "$750 million" in texts(store, DOC)
    assert set(store.segment_names()) <= set(store.state()["segments"]) | {
        n for n, _ in store.state()["retired"]}


def test_adding_one_document_writes_only_its_chunks(tmp_path, corpus_copy, embedder):
    settings = make_settings(tmp_path, corpus_copy)
    store = ChunkStore(settings)
    first = Ingestor(settings, store, embedder, progress=False).run([corpus_copy])
    extra = corpus_copy / "extra.md"
    extra.write_text("# Extra deal\n\nAcme Bio licensed XJ-42 to Foo Pharma for $12 million.\n",
                     encoding="utf-8")
    s = Ingestor(settings, store, embedder, progress=False).run([corpus_copy])
    assert s.files_new == 1 and s.chunks_written == s.chunks_added <= 2
    assert store.count() == first.chunks_total + s.chunks_written
    extra.unlink()
    r = Ingestor(settings, store, embedder, progress=False).run([corpus_copy])
    assert r.files_removed == 1 and r.chunks_written == 0
    assert store.count() == first.chunks_total


def test_issue_12_other_folders_are_never_pruned(tmp_path, corpus_copy, embedder):
    """`python -m ingest mydocs/`, then `make run` (ingest --if-stale corpus/): both kept."""
    settings = make_settings(tmp_path, corpus_copy)
    mydocs = tmp_path / "mydocs"
    mydocs.mkdir()
    for i in range(4):
        (mydocs / f"memo-{i}.md").write_text(f"# Memo {i}\n\nDeal memo number {i} about ZQ-{i}.\n",
                                             encoding="utf-8")
    store = ChunkStore(settings)
    Ingestor(settings, store, embedder, progress=False).run([mydocs])
    ing = Ingestor(settings, store, embedder, progress=False)
    assert ing.is_stale([corpus_copy])
    s = ing.run([corpus_copy])
    assert s.files_removed == 0
    live = store.live_docs()
    assert {f"memo-{i}.md" for i in range(4)} <= set(live) and len(live) == 9
    assert live["memo-0.md"]["origin_kind"] == "folder"
    assert live["memo-0.md"]["origin"] == str(mydocs.resolve())
    assert not Ingestor(settings, store, embedder, progress=False).is_stale([corpus_copy])
    # A file deleted from mydocs goes only when mydocs itself is ingested again.
    (mydocs / "memo-3.md").unlink()
    Ingestor(settings, store, embedder, progress=False).run([corpus_copy])
    assert "memo-3.md" in store.live_docs()
    Ingestor(settings, store, embedder, progress=False).run([mydocs])
    assert "memo-3.md" not in store.live_docs() and "memo-2.md" in store.live_docs()


def test_same_file_name_in_two_folders_gets_two_sources(tmp_path, corpus_copy, embedder):
    settings = make_settings(tmp_path, corpus_copy)
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "notes.md").write_text(f"# Notes {d}\n\nFolder {d} notes.\n",
                                               encoding="utf-8")
    store = ChunkStore(settings)
    Ingestor(settings, store, embedder, progress=False).run([tmp_path / "a"])
    Ingestor(settings, store, embedder, progress=False).run([tmp_path / "b"])
    again = Ingestor(settings, store, embedder, progress=False).run([tmp_path / "a"])
    assert again.files_unchanged == 1 and again.files_changed == 0
    assert {"notes.md", "b/notes.md"} <= set(store.live_docs())


def test_second_concurrent_ingest_is_refused_in_one_line(tmp_path, corpus_copy, embedder):
    from ingest.pipeline import IngestBusy, ingest_lock

    settings = make_settings(tmp_path, corpus_copy)
    store = ChunkStore(settings)
    with ingest_lock(settings, store):
        with pytest.raises(IngestBusy, match="another ingest is running") as err:
            Ingestor(settings, store, embedder, progress=False).run([corpus_copy])
    assert "\n" not in str(err.value)
