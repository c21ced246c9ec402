"""Incremental, failure-safe ingestion into the real embedded Chroma."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assistant.index.store import ChunkStore
from assistant.service.assistant import Assistant
from ingest.pipeline import Ingestor
from tests.conftest import ROOT, make_settings
from tests.formats import write_all


def ingest(settings, embedder, paths=None, **kw):
    store = ChunkStore(settings)
    summary = Ingestor(settings, store, embedder, progress=False).run(paths or [settings.corpus_dir], **kw)
    return store, summary


def snapshot(store) -> dict[str, str]:
    return {r.id: r.text for r in store.iter_live()}


def test_reingest_of_unchanged_files_embeds_nothing(tmp_path, corpus_copy, counting):
    settings = make_settings(tmp_path, corpus_copy)
    first = counting()
    store, s1 = ingest(settings, first)
    assert s1.files_new == 5 and s1.chunks_added == s1.chunks_total > 0
    assert first.texts == s1.chunks_total
    before = snapshot(store)
    state_seq = store.state()["seq"]

    second = counting()
    store, s2 = ingest(settings, second)
    assert second.texts == 0 and second.batches == 0
    assert s2.files_unchanged == 5 and s2.chunks_added == 0 and s2.chunks_removed == 0
    assert store.state()["seq"] == state_seq  # nothing rewritten
    assert snapshot(store) == before


def test_changed_file_replaces_its_chunks_and_reuses_unchanged_text(tmp_path, corpus_copy, counting):
    settings = make_settings(tmp_path, corpus_copy)
    store, _ = ingest(settings, counting())
    target = corpus_copy / "novartis-aws-cell-gene-therapy-manufacturing.txt"
    old_ids = {r.id for r in store.iter_live(sources=[target.name])}
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("$500 million", "$750 million"), encoding="utf-8")

    emb = counting()
    store, summary = ingest(settings, emb)
    assert summary.files_changed == 1 and summary.files_unchanged == 4
    assert 0 < emb.texts < len(old_ids) + 1  # only the changed chunk is embedded again
    new = {r.id: r.text for r in store.iter_live(sources=[target.name])}
    joined = "\n".join(new.values())
    assert "$750 million" in joined and "$500 million" not in joined
    assert set(new) != old_ids
    # Record ids are per document version now (<version>:<chunk index>); what was removed is the
    # old chunks whose text did not carry over.
    assert summary.chunks_removed == len(old_ids) - summary.chunks_reused


def test_removed_file_is_pruned_and_no_prune_keeps_it(tmp_path, corpus_copy, counting):
    settings = make_settings(tmp_path, corpus_copy)
    store, _ = ingest(settings, counting())
    gone = corpus_copy / "jpm-2024-big-pharma-cell-therapy-collaborations.txt"
    n = len(list(store.iter_live(sources=[gone.name])))
    gone.unlink()

    store, kept = ingest(settings, counting(), prune=False)
    assert kept.files_removed == 0
    assert len(list(store.iter_live(sources=[gone.name]))) == n

    store, pruned = ingest(settings, counting())
    assert pruned.files_removed == 1 and pruned.chunks_removed == n
    assert not list(store.iter_live(sources=[gone.name]))


def test_a_file_named_alone_does_not_prune_the_rest(tmp_path, corpus_copy, counting):
    settings = make_settings(tmp_path, corpus_copy)
    store, first = ingest(settings, counting())
    one = corpus_copy / "innovent-iaso-fucaso-car-t-stake-2024.txt"
    store, summary = ingest(settings, counting(), paths=[one])
    assert summary.files == 1 and summary.files_removed == 0
    assert store.count() == first.chunks_total


def test_corrupt_file_is_skipped_and_the_rest_ingested(tmp_path, corpus_copy, counting):
    (corpus_copy / "broken.pdf").write_bytes(b"%PDF-1.7 truncated garbage")
    (corpus_copy / "empty.md").write_bytes(b"")
    (corpus_copy / "deck.pptx").write_bytes(b"PK\x03\x04")
    settings = make_settings(tmp_path, corpus_copy)
    store, summary = ingest(settings, counting())
    failed = {f.path.rsplit("/", 1)[-1]: f.reason for f in summary.failed}
    assert set(failed) == {"broken.pdf", "empty.md", "deck.pptx"}
    assert "cannot be parsed as pdf" in failed["broken.pdf"]
    assert failed["empty.md"] == "empty file"
    assert "unsupported file type" in failed["deck.pptx"]
    assert summary.files_new == 5
    sources = {r.metadata["source"] for r in store.iter_live()}
    assert len(sources) == 5


def test_file_broken_after_ingest_keeps_its_previous_chunks(tmp_path, corpus_copy, counting):
    settings = make_settings(tmp_path, corpus_copy)
    store, _ = ingest(settings, counting())
    target = corpus_copy / "novartis-aws-cell-gene-therapy-manufacturing.txt"
    before = {r.id for r in store.iter_live(sources=[target.name])}
    target.write_bytes(b"\x00\xff" * 50)  # now binary junk
    store, summary = ingest(settings, counting())
    assert [f.reason for f in summary.failed] == ["binary content in a text file"]
    after = {r.id for r in store.iter_live(sources=[target.name])}
    assert after == before


def test_crash_half_way_leaves_the_previous_index_answering(tmp_path, corpus_copy, counting, embedder):
    settings = make_settings(tmp_path, corpus_copy, embed_batch_size=4)
    store, _ = ingest(settings, counting())
    question = "How much has Novartis set aside for gene therapy manufacturing?"
    before = Assistant(settings, store, embedder).ask(question).answer
    segments, records = store.state()["segments"], snapshot(store)

    write_all(corpus_copy / "new")  # new files to embed
    (corpus_copy / "innovent-iaso-fucaso-car-t-stake-2024.txt").write_text("Rewritten.\n" * 40)
    crashing = counting(fail_after_batches=1)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest(settings, crashing)

    store = ChunkStore(settings)
    assert store.state()["segments"] == segments
    assert snapshot(store) == records
    assert store.segment_names() == segments  # nothing half-built is listed or left
    after = Assistant(settings, store, embedder).ask(question).answer
    assert after.answer == before.answer and "$500 million" in after.answer


@pytest.mark.integration  # four `python -m ingest` processes
def test_cli_reports_failures_with_exit_code_and_summary(tmp_path, corpus_copy):
    (corpus_copy / "broken.docx").write_bytes(b"not a zip")
    env = {"ASSISTANT_CORPUS_DIR": str(corpus_copy), "ASSISTANT_CHROMA_PATH": str(tmp_path / "db"),
           "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "ingest", "--json", str(corpus_copy)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stderr
    summary = json.loads(run.stdout)
    assert summary["files"] == 6 and summary["files_new"] == 5
    assert summary["failed"][0]["path"].endswith("broken.docx")
    assert "cannot be parsed as docx" in run.stderr

    again = subprocess.run([sys.executable, "-m", "ingest", "--if-stale", str(corpus_copy)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    # The broken file was recorded with its hash: nothing to redo until it changes.
    assert again.returncode == 0 and "up to date" in again.stderr
    (corpus_copy / "broken.docx").write_bytes(b"still not a zip, but different")
    changed = subprocess.run([sys.executable, "-m", "ingest", "--if-stale", str(corpus_copy)],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert changed.returncode == 1 and "broken.docx" in changed.stderr

    missing = subprocess.run([sys.executable, "-m", "ingest", str(tmp_path / "nowhere")], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=600)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr


def test_reingest_keeps_conversations_and_feedback(tmp_path, corpus_copy, counting, embedder):
    from assistant.service.feedback import Feedback

    settings = make_settings(tmp_path, corpus_copy)
    store, _ = ingest(settings, counting())
    assistant = Assistant(settings, store, embedder)
    assistant.ask("What is TECELRA?", conversation_id="keep-me")
    assistant.feedback.add(Feedback(helpful=True, question="q", answer="a", citations=[],
                                    channel="web"))
    target = corpus_copy / "jpm-2024-big-pharma-cell-therapy-collaborations.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\nA new closing line.\n", encoding="utf-8")
    store, summary = ingest(settings, counting())
    assert summary.files_changed == 1
    after = Assistant(settings, store, embedder)
    assert len(after.conversations.history("keep-me")) == 1
    assert len(after.feedback.all()) == 1


def test_progress_is_reported_per_file_and_per_embedding_batch(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"note-{i}.txt").write_text(f"Note {i}. " + "Lonza expanded its site. " * 20)
    settings = make_settings(tmp_path, docs, embed_batch_size=2)
    seen = []
    Ingestor(settings, ChunkStore(settings), embedder, progress=False,
             on_progress=lambda stage, done, total: seen.append((stage, done, total))).run([docs])
    assert [s for s in seen if s[0] == "reading"] == [("reading", i, 3) for i in range(3)]
    embedding = [s for s in seen if s[0] == "embedding"]
    assert embedding and embedding[-1][1] == embedding[-1][2]
    assert [d for _, d, _ in embedding] == sorted(d for _, d, _ in embedding)
