"""Index switches under concurrent questions (issue 14, row 6): no question fails while ingests
of an edited corpus switch the index, merge segments and drop the merged-away ones.

Real embedded Chroma, the real embedder, one `Assistant` shared by the asking threads (as the
server shares it), ingests run in another thread through the real pipeline. With
`segment_grace_seconds=0` and `segment_merge_factor=2` every ingest merges and drops segments at
once, so a question that took its view before the switch reads collections that are gone."""

from __future__ import annotations

import threading
import time

import pytest

from assistant.answers import Delta
from assistant.index.store import ChunkStore
from assistant.service.assistant import Assistant, Result
from eval.dataset import load
from ingest.pipeline import Ingestor
from tests.conftest import make_settings

THREADS = 6
INGESTS = 3


def _ask_until(assistant: Assistant, questions: list[str], idx: int, stop: threading.Event,
               done: list, errors: list) -> None:
    n = idx
    while not stop.is_set():
        q = questions[n % len(questions)]
        try:
            if n % 2:
                result = assistant.ask(q)
            else:  # the streaming path: deltas, then the final Result
                items = list(assistant.stream(q))
                assert isinstance(items[-1], Result)
                assert all(isinstance(i, (dict, Delta)) for i in items[:-1])
                result = items[-1]
            assert result.answer.answer
            done.append(q)
        except Exception as exc:  # noqa: BLE001 - every failure is what this test counts
            errors.append(f"{type(exc).__name__}: {exc}")
        n += 1


def test_questions_never_fail_across_index_switches(tmp_path, corpus_copy, embedder):
    # No grace period and a merge whenever two segments share a tier: harsher than the defaults
    # (300 s, 8), under which nothing a question holds is dropped within a run at all.
    settings = make_settings(tmp_path, corpus_copy, segment_grace_seconds=0.0,
                             segment_merge_factor=2)
    store = ChunkStore(settings)
    Ingestor(settings, store, embedder, progress=False).run([corpus_copy])
    listed = set(store.state()["segments"])
    seq0 = store.state()["seq"]
    assistant = Assistant(settings, ChunkStore(settings), embedder)
    questions = [q.question for q in load()]
    assistant.ask(questions[0])  # warm: the first view is loaded before the clock starts

    stop = threading.Event()
    done: list[str] = []
    errors: list[str] = []
    threads = [threading.Thread(target=_ask_until, daemon=True,
                                args=(assistant, questions, i, stop, done, errors))
               for i in range(THREADS)]
    for t in threads:
        t.start()
    files = sorted(p for p in corpus_copy.iterdir() if p.is_file())
    try:
        for i in range(INGESTS):
            time.sleep(1.0)
            target = files[1 + i % (len(files) - 1)]
            with open(target, "a", encoding="utf-8") as f:
                f.write(f"\n\nLoad-test note {i + 1}: the agreement was amended on day {i + 1}.\n")
            summary = Ingestor(settings, ChunkStore(settings), embedder, progress=False).run(
                [corpus_copy])
            assert summary.files_changed == 1 and not summary.failed
            listed |= set(ChunkStore(settings).state()["segments"])
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    state = ChunkStore(settings).state()
    assert state["seq"] >= seq0 + INGESTS  # every ingest switched
    # segments were merged away and dropped while questions were being asked
    assert listed - set(ChunkStore(settings).segment_names())
    assert len(done) >= 3 * THREADS
    assert errors == [], f"{len(errors)} of {len(errors) + len(done)} questions failed: " \
                         f"{sorted(set(errors))[:5]}"


def test_a_view_taken_before_a_merge_still_reads_after_its_segments_are_dropped(
        tmp_path, corpus_copy, embedder):
    """The window the threads above hit by chance, made certain: a question's view is taken, an
    ingest merges its segments and drops them (no grace period), then the answerer reads the
    header and neighbour chunks through that old view, and the search runs on it."""
    settings = make_settings(tmp_path, corpus_copy, segment_grace_seconds=0.0,
                             segment_merge_factor=2)
    Ingestor(settings, ChunkStore(settings), embedder, progress=False).run([corpus_copy])
    assistant = Assistant(settings, ChunkStore(settings), embedder)
    files = sorted(p for p in corpus_copy.iterdir() if p.is_file())
    # Two one-file edits of two 4-chunk documents leave two segments of one tier: the second
    # ingest merges them and drops both.
    with open(files[1], "a", encoding="utf-8") as f:
        f.write("\n\nLoad-test note 1: the agreement was amended.\n")
    Ingestor(settings, ChunkStore(settings), embedder, progress=False).run([corpus_copy])
    old = assistant.retriever.snapshot()
    unchanged = files[1].name  # its version lives in a segment the next ingest merges away
    with open(files[2], "a", encoding="utf-8") as f:
        f.write("\n\nLoad-test note 2: the agreement was amended again.\n")
    Ingestor(settings, ChunkStore(settings), embedder, progress=False).run([corpus_copy])
    gone = {s.name for s in old.segments} - set(ChunkStore(settings).segment_names())
    assert gone, "the ingest was meant to drop a segment the old view holds"

    head = old.header(unchanged)  # a document the switch did not change
    assert head is not None and head.source == unchanged
    nxt = old.neighbor(head, 1)
    assert nxt is not None and nxt.id.endswith(":1")
    passages, view = assistant.retriever.search("Novartis gene therapy manufacturing", view=old)
    assert passages and view.seq > old.seq
    result = assistant.ask("How much has Novartis set aside for gene therapy manufacturing?")
    assert result.passages


def test_a_manifest_read_just_before_a_merge_is_read_again(tmp_path, corpus_copy, embedder):
    """The race the load test above once met: a question reads the manifest, an ingest merges
    and drops the segments it listed, the question opens them. It reads the manifest again
    (it has moved on) instead of failing; a segment missing from a manifest that has not moved
    on is still an error."""
    from assistant.index.errors import StoreError

    settings = make_settings(tmp_path, corpus_copy)
    store = ChunkStore(settings)
    Ingestor(settings, store, embedder, progress=False).run([corpus_copy])
    assistant = Assistant(settings, ChunkStore(settings), embedder)
    retriever = assistant.retriever
    real = retriever.store.state()
    stale = dict(real, seq=real["seq"] - 1, segments=list(real["segments"]) + ["chunks-seg-merged-away"])
    # the manifest as read before the merge: its segment is gone, the manifest has moved on
    view = retriever._load_current(stale)
    assert view.seq == real["seq"] and view.size > 0
    # ... and when the manifest has not moved on, the missing segment is reported
    retriever._view = None
    retriever._open = {}
    with pytest.raises(StoreError, match="missing"):
        retriever._load_current(dict(real, segments=list(real["segments"]) + ["chunks-seg-merged-away"]))
