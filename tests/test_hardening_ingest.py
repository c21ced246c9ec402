"""Issue 14 rows 4 and 11, each reproduced against the real pipeline, the real embedded Chroma
and the real `python -m ingest`."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time

import pytest

from assistant.core.config import Settings
from assistant.index.client import keyword_root
from assistant.index.store import ChunkStore
from eval.ingest_memory import make_docx, make_text
from ingest.pipeline import Ingestor
from tests.conftest import ROOT, make_settings

DEAL = "Acme Bio licensed its antibody to Beta Pharma for 40 million dollars upfront.\n"


def ingest(settings, embedder, paths=None, **kw):
    store = ChunkStore(settings)
    summary = Ingestor(settings, store, embedder, progress=False).run(
        paths or [settings.corpus_dir], **kw)
    return store, summary


@pytest.fixture
def partitioned(monkeypatch):
    """The files unstructured was asked to partition (names; text partitioners are given text)."""
    import importlib

    seen = []
    for kind in ("text", "md", "html", "docx", "pdf"):
        module = importlib.import_module(f"unstructured.partition.{kind}")
        real = getattr(module, f"partition_{kind}")

        def spy(*args, _real=real, _kind=kind, **kw):
            seen.append(os.path.basename(kw.get("filename") or "") or _kind)
            return _real(*args, **kw)

        monkeypatch.setattr(module, f"partition_{kind}", spy)
    return seen


def failures(summary) -> dict[str, str]:
    return {os.path.basename(f.path): f.reason for f in summary.failed}


# --- row 4: decompression bombs and huge files ------------------------------------------------

def test_limits_are_settings_with_defaults(monkeypatch):
    for name in ("FILE_BYTES", "EXPANDED_BYTES", "COMPRESSION_RATIO", "DOCUMENT_CHARS",
                 "DOCUMENT_ELEMENTS", "DOCUMENT_CHUNKS"):
        monkeypatch.delenv(f"ASSISTANT_MAX_{name}", raising=False)
    s = Settings()
    assert (s.max_file_bytes, s.max_expanded_bytes, s.max_compression_ratio) == \
        (50_000_000, 100_000_000, 100.0)
    assert (s.max_document_chars, s.max_document_elements, s.max_document_chunks) == \
        (1_000_000, 20_000, 3_000)
    monkeypatch.setenv("ASSISTANT_MAX_FILE_BYTES", "1234")
    assert Settings().max_file_bytes == 1234


def test_docx_bomb_is_refused_before_partitioning_and_the_rest_goes_on(
        tmp_path, embedder, partitioned):
    """The finding: 757 KB expanding to 200 MB took 2.9 GB and made ~200,000 chunks."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "deal.txt").write_text(DEAL)
    make_docx(corpus / "bomb.docx", 200_000_000)
    assert (corpus / "bomb.docx").stat().st_size < 1_000_000
    settings = make_settings(tmp_path, corpus)
    t = time.perf_counter()
    store, summary = ingest(settings, embedder)
    assert time.perf_counter() - t < 60
    reason = failures(summary)["bomb.docx"]
    assert reason.startswith("archive member word/document.xml expands to 200.0 MB (limit 100.0 MB")
    assert "ASSISTANT_MAX_EXPANDED_BYTES" in reason
    assert partitioned == ["text"]  # deal.txt only: the bomb never reached unstructured
    assert summary.files_new == 1
    assert {r.metadata["source"] for r in store.iter_live()} == {"deal.txt"}


def test_compression_ratio_is_checked_under_the_expanded_limit(tmp_path, embedder, partitioned):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_docx(corpus / "small-bomb.docx", 20_000_000)  # under 100 MB, but ~1000:1
    settings = make_settings(tmp_path, corpus)
    _, summary = ingest(settings, embedder)
    reason = failures(summary)["small-bomb.docx"]
    assert re.match(r"archive member word/document\.xml is compressed [\d,]+:1 \(", reason), reason
    assert "limit 100:1, ASSISTANT_MAX_COMPRESSION_RATIO): a decompression bomb" in reason
    assert partitioned == []


def test_the_sum_of_the_members_is_limited(tmp_path):
    from ingest.loading import Limits, LoadError, check_archive

    path = make_docx(tmp_path / "v.docx", 2_000_000, varied=True)  # 13:1, passes the ratio
    check_archive(path, Limits())
    with pytest.raises(LoadError, match=r"archive member word/document.xml expands to 2\.0 MB "
                                        r"\(limit 1\.5 MB"):
        check_archive(path, Limits(expanded_bytes=1_500_000))
    import zipfile

    with zipfile.ZipFile(path, "a") as z:  # two members of 1.2 MB each: each under 2 MB
        z.writestr("word/media/a.bin", os.urandom(1_200_000))
    with pytest.raises(LoadError, match=r"archive expands to 3\.2 MB \(limit 3\.0 MB, "
                                        r"ASSISTANT_MAX_EXPANDED_BYTES\)"):
        check_archive(path, Limits(expanded_bytes=3_000_000))


def test_docx_of_ordinary_compression_is_refused_by_its_paragraph_count(
        tmp_path, embedder, partitioned):
    """10 MB of varied paragraphs compress 13:1 like a real document: no zip check catches it,
    and unstructured took 298 s and 781 MB on it. Streaming word/document.xml counts 84,000
    paragraphs without building the tree."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_docx(corpus / "long.docx", 10_000_000, varied=True)
    settings = make_settings(tmp_path, corpus)
    t = time.perf_counter()
    _, summary = ingest(settings, embedder)
    assert time.perf_counter() - t < 30
    assert failures(summary)["long.docx"] == \
        "too much text: over 1,000,000 characters (limit 1,000,000, ASSISTANT_MAX_DOCUMENT_CHARS)"
    assert partitioned == []
    # with a higher text limit, the paragraph limit stops it the same way
    _, summary = ingest(make_settings(tmp_path, corpus, max_document_chars=50_000_000,
                                      chroma_path=tmp_path / "db2"), embedder)
    assert failures(summary)["long.docx"] == \
        "too many paragraphs: over 20,000 (limit 20,000, ASSISTANT_MAX_DOCUMENT_ELEMENTS)"
    assert partitioned == []


def test_huge_text_file_is_refused_at_once(tmp_path, embedder, partitioned):
    """The finding: a 50 MB text file was unfinished after 9 minutes at 2.5 GB, holding the
    lock. It is under the file-size limit; its text is not."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "deal.txt").write_text(DEAL)
    make_text(corpus / "big.txt", 49_000_000)
    settings = make_settings(tmp_path, corpus)
    t = time.perf_counter()
    _, summary = ingest(settings, embedder)
    assert time.perf_counter() - t < 60
    assert re.fullmatch(r"too much text: 49,0\d\d,\d{3} characters \(limit 1,000,000, "
                        r"ASSISTANT_MAX_DOCUMENT_CHARS\)", failures(summary)["big.txt"])
    assert partitioned == ["text"]  # deal.txt only
    assert summary.files_new == 1


def test_file_size_and_paragraph_limits(tmp_path, embedder, partitioned):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "big.md").write_text("word " * 2000)
    (corpus / "lines.txt").write_text("".join(f"Item {i}.\n" for i in range(300)))
    (corpus / "page.html").write_text("<html><body>" + "<p>Short.</p>" * 300
                                      + "</body></html>")
    settings = make_settings(tmp_path, corpus, max_file_bytes=5000, max_document_elements=200)
    _, summary = ingest(settings, embedder)
    assert failures(summary) == {
        "big.md": "file too large: 10,000 bytes (limit 5,000 bytes, ASSISTANT_MAX_FILE_BYTES)",
        "lines.txt": "too many paragraphs: 300 (limit 200, ASSISTANT_MAX_DOCUMENT_ELEMENTS)",
        "page.html": "too many paragraphs: 300 (limit 200, ASSISTANT_MAX_DOCUMENT_ELEMENTS)",
    }
    assert partitioned == []


def test_chunk_limit_refuses_a_document_before_embedding(tmp_path, counting):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "deal.txt").write_text(DEAL)
    para = "The licence covers antibody manufacturing and milestone payments in detail. " * 14
    (corpus / "long.txt").write_text("\n\n".join(f"Section {i}. {para}" for i in range(30)))
    settings = make_settings(tmp_path, corpus, max_document_chunks=10)
    emb = counting()
    _, summary = ingest(settings, emb)
    assert re.fullmatch(r"too many chunks: \d\d \(limit 10, ASSISTANT_MAX_DOCUMENT_CHUNKS\)",
                        failures(summary)["long.txt"])
    assert emb.texts == 1  # only deal.txt was embedded


def test_a_bomb_replacing_a_document_keeps_its_previous_version(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    from tests.formats import write_all

    docs = write_all(corpus)
    settings = make_settings(tmp_path, corpus)
    store, first = ingest(settings, embedder)
    name = docs["docx"].name
    before = {r.id for r in store.iter_live(sources=[name])}
    assert before
    make_docx(docs["docx"], 200_000_000)
    store, summary = ingest(settings, embedder)
    assert "expands to 200.0 MB" in failures(summary)[name]
    assert {r.id for r in store.iter_live(sources=[name])} == before
    assert summary.chunks_total == first.chunks_total


# --- row 11: orphan folders, same names, a busy lock, symlink loops ---------------------------

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_switches_leave_no_orphaned_vector_folders(tmp_path, embedder):
    """The finding: every switch left the old HNSW folder on disk (3 orphans after 3 switches).
    Here merges (factor 2, no grace period) drop a segment on most runs."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    settings = make_settings(tmp_path, corpus, segment_merge_factor=2, segment_grace_seconds=0)
    for i in range(4):
        (corpus / f"d{i}.txt").write_text(f"Document {i}: Acme Bio paid {i} million dollars.\n")
        store, _ = ingest(settings, embedder)
        folders = {p.name for p in settings.chroma_path.iterdir() if p.is_dir() and UUID.match(p.name)}
        con = sqlite3.connect(settings.chroma_path / "chroma.sqlite3")
        vector = {r[0] for r in con.execute("SELECT id FROM segments WHERE scope = 'VECTOR'")}
        con.close()
        assert folders <= vector, f"run {i}: orphaned folders {sorted(folders - vector)}"
        # one collection per listed segment, plus the manifest and the records collection
        assert len(vector) == len(store.state()["segments"]) + 2
    assert len(store.state()["segments"]) < 4  # merges happened, so segments were dropped
    assert {r.metadata["source"] for r in store.iter_live()} == {f"d{i}.txt" for i in range(4)}


def test_same_named_files_in_two_folders_get_stable_distinct_names(tmp_path, counting):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, text in ((a, "Alpha Bio raised 10 million dollars.\n"),
                         (b, "Beta Pharma raised 20 million dollars.\n")):
        folder.mkdir()
        (folder / "notes.md").write_text(text)
    settings = make_settings(tmp_path, corpus)
    store, first = ingest(settings, counting(), paths=[a, b])
    assert first.files_new == 2 and not first.failed
    names = {r.metadata["source"]: r.text for r in store.iter_live()}
    assert set(names) == {"notes.md", "b/notes.md"}
    assert "Beta" in names["b/notes.md"]
    for paths in ([a, b], [b, a], [b], [a]):  # any order, together or alone: nothing changed
        emb = counting()
        store, again = ingest(settings, emb, paths=paths)
        assert (again.files_new, again.files_changed, again.files_removed) == (0, 0, 0), paths
        assert again.files_unchanged == len(paths) and emb.texts == 0
    assert {r.metadata["source"] for r in store.iter_live()} == {"notes.md", "b/notes.md"}


def test_busy_lock_is_one_line_and_exit_code_3(tmp_path):
    from filelock import FileLock

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "deal.txt").write_text(DEAL)
    settings = make_settings(tmp_path, corpus)
    folder = keyword_root(settings).parent
    folder.mkdir(parents=True, exist_ok=True)
    env = {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_CHROMA_PATH": str(settings.chroma_path),
           "ASSISTANT_AUDIT_PATH": str(tmp_path / "audit.jsonl"), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "UNSTRUCTURED_DISABLE_NOTICE": "1", "PATH": "/usr/bin:/bin"}
    with FileLock(str(folder / ".ingest.lock")):
        run = subprocess.run([sys.executable, "-m", "ingest", str(corpus)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert run.returncode == 3
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: another ingest is running on this index")
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_symlink_loops_and_dangling_links_are_reported(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "deal.txt").write_text(DEAL)
    os.symlink("self.txt", corpus / "self.txt")  # a link to itself
    os.symlink("pong.txt", corpus / "ping.txt")  # two links to each other
    os.symlink("ping.txt", corpus / "pong.txt")
    os.symlink("..", corpus / "sub" / "up")  # a folder link back to the folder above
    os.symlink("gone.txt", corpus / "dangling.txt")
    settings = make_settings(tmp_path, corpus)
    store, summary = ingest(settings, embedder)
    assert failures(summary) == {
        "self.txt": "symlink loop (the link leads back to itself)",
        "ping.txt": "symlink loop (the link leads back to itself)",
        "pong.txt": "symlink loop (the link leads back to itself)",
        "up": "symlink loop (a link to a folder that contains it)",
        "dangling.txt": "broken symlink (its target does not exist)",
    }
    assert summary.files_new == 1
    assert set(store.failures()) == {"self.txt", "ping.txt", "pong.txt", "sub/up", "dangling.txt"}
    assert {r.metadata["source"] for r in store.iter_live()} == {"deal.txt"}
