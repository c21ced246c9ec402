"""Issue 14: a full disk or a hanging store is an error (503 with a plain message), never a hang;
/health says "degraded" and answers quickly; SIGTERM stops the server; the server recovers by
itself once space is freed; ingest on a full disk says "disk full" in one line and leaves the
active index answering.

The full-disk tests use a real 50 MB tmpfs (needs root / CAP_SYS_ADMIN; skipped with the reason
otherwise). The fault-injection tests make the conversation and feedback collections raise
OSError(ENOSPC) or hang, and run everywhere."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant.service.responses import DISK_FULL, STORE_TIMEOUT
from tests.conftest import CORPUS, ROOT, free_port, make_settings
from tests.server import serve

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
       "ANONYMIZED_TELEMETRY": "False", "UNSTRUCTURED_DISABLE_NOTICE": "1",
       "ASSISTANT_AUTH": "off"}


# --- a real small filesystem ---------------------------------------------------------------

@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no `mount` command: cannot make a small filesystem")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=50m", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a 50 MB tmpfs here ({done.stderr.strip()}); the "
                    "fault-injection tests below cover the same behaviour")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the filesystem of `folder` until at most `leave` bytes are free."""
    path = folder / "filler"
    with open(path, "wb") as fh:
        for size in (1 << 20, 1 << 12, 1 << 9):
            while True:
                st = os.statvfs(folder)
                if st.f_bavail * st.f_frsize - size < leave:
                    break
                try:
                    fh.write(b"\0" * size)
                    fh.flush()
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    return path


def ask(base, cid=None, path="/v1/chat", timeout=30):
    """A question; without `cid` the server starts (and stores) a new conversation, so every
    call writes conversation history."""
    body = {"question": "What did Novartis agree with AWS?"}
    if cid:
        body["conversation_id"] = cid
    return httpx.post(base + path, json=body, timeout=timeout)


def feedback(base):
    return httpx.post(base + "/v1/feedback", json={"helpful": True, "question": "q",
                                                   "answer": "a", "citations": []}, timeout=30)


def test_a_full_disk_is_a_503_health_says_degraded_and_freeing_space_recovers(small_fs, embedder):
    from assistant.api.app import create_app
    from assistant.index.store import ChunkStore
    from assistant.service.assistant import Assistant
    from ingest.pipeline import Ingestor

    settings = make_settings(small_fs, CORPUS, chroma_path=small_fs / "chroma",
                             store_timeout_seconds=5)
    store = ChunkStore(settings)
    assert not Ingestor(settings, store, embedder, progress=False).run([CORPUS]).failed
    app = create_app(settings, Assistant(settings, store, embedder))
    with serve(app, ready_path="/health") as base:
        assert ask(base).status_code == 200
        filler = fill(small_fs)
        for i in range(4):  # the 3rd used to hang for good
            t0 = time.monotonic()
            r = ask(base)
            assert r.status_code == 503, r.text
            assert r.json() == {"detail": DISK_FULL}
            assert time.monotonic() - t0 < 5
        t0 = time.monotonic()
        h = httpx.get(base + "/health", timeout=5)
        assert time.monotonic() - t0 < 2.5
        assert h.status_code == 200
        assert h.json()["status"] == "degraded" and "disk space" in h.json()["reason"]
        r = ask(base, path="/v1/chat/stream")
        if r.status_code == 200:  # the stream started: an `error` event ends it
            assert "event: error" in r.text and DISK_FULL in r.text
        else:
            assert r.status_code == 503 and r.json() == {"detail": DISK_FULL}
        r = feedback(base)
        assert r.status_code == 503 and r.json() == {"detail": DISK_FULL}

        filler.unlink()
        t0 = time.monotonic()
        r = ask(base)
        assert r.status_code == 200, r.text  # the very next request, no restart
        print(f"recovered {time.monotonic() - t0:.2f} s after the space was freed")
        assert httpx.get(base + "/health", timeout=5).json() == {"status": "ok"}
        assert feedback(base).status_code == 201
        assert ask(base, r.json()["conversation_id"]).status_code == 200  # it continues


def run_ingest(settings_env: dict, *paths) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest", "-q", *map(str, paths)], cwd=ROOT,
                          env={**ENV, **settings_env}, capture_output=True, text=True, timeout=600)


def big_documents(folder: Path, n: int = 1) -> Path:
    import random

    rng = random.Random(1)
    words = ["cell", "therapy", "CDMO", "manufacturing", "deal", "approval", "vector",
             "lentiviral", "potency", "assay", "release", "autologous"]
    folder.mkdir()
    for k in range(n):
        (folder / f"big{k}.txt").write_text("\n\n".join(
            " ".join(rng.choice(words) for _ in range(120)) + "." for _ in range(300)))
    return folder


@pytest.mark.parametrize("leave", [0, 128 * 1024])
def test_ingest_on_a_full_disk_says_so_in_one_line_and_the_index_keeps_answering(
        small_fs, tmp_path, leave):
    env = {"ASSISTANT_CHROMA_PATH": str(small_fs / "chroma"),
           "ASSISTANT_AUDIT_PATH": str(tmp_path / "audit.jsonl")}
    first = run_ingest(env, CORPUS)
    assert first.returncode == 0, first.stderr
    keyword = small_fs / "chroma-keyword" / "chunks"
    before = sorted(p.name for p in keyword.iterdir())
    new = big_documents(tmp_path / "new")
    filler = fill(small_fs, leave)
    done = run_ingest(env, CORPUS, new)
    errors = [line for line in done.stderr.splitlines()
              if line.strip() and not line.startswith("Loading weights")]
    assert done.returncode != 0
    assert len(errors) == 1 and "disk full" in errors[0], done.stderr
    assert "Traceback" not in done.stderr
    filler.unlink()
    assert sorted(p.name for p in keyword.iterdir()) == before  # no half-built keyword segment
    check = subprocess.run([sys.executable, "-c", (
        "from assistant.core.config import get_settings\n"
        "from assistant.index.store import ChunkStore\n"
        "s = ChunkStore(get_settings())\n"
        "import json; print(json.dumps([s.segment_names(), s.state()['segments']]))")],
        cwd=ROOT, env={**ENV, **env}, capture_output=True, text=True, timeout=300)
    names, listed = json.loads(check.stdout.strip().splitlines()[-1])
    assert listed == before
    assert names == before, "the half-built collection was left behind"
    answer = subprocess.run([sys.executable, "-m", "assistant", "ask", "--json",
                             "What did Novartis agree with AWS?"], cwd=ROOT, env={**ENV, **env},
                            capture_output=True, text=True, timeout=300)
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["citations"]


# --- fault injection: the conversation and feedback stores fail or hang ---------------------

class Faults:
    """Wraps a real Chroma client; its conversation and feedback collections raise
    OSError(ENOSPC) (mode "enospc") or block (mode "hang") on writes."""

    def __init__(self) -> None:
        self.mode: str | None = None
        self.release = threading.Event()

    def client(self, real):
        faults = self

        class Collection:
            def __init__(self, inner):
                self._inner = inner

            def __getattr__(self, name):
                attr = getattr(self._inner, name)
                if name not in ("upsert", "add", "delete"):
                    return attr

                def write(*args, **kwargs):
                    if faults.mode == "enospc":
                        raise OSError(errno.ENOSPC, "No space left on device")
                    if faults.mode == "hang":
                        faults.release.wait()
                    return attr(*args, **kwargs)
                return write

        class Client:
            def __getattr__(self, name):
                attr = getattr(real, name)
                if name not in ("get_collection", "get_or_create_collection"):
                    return attr

                def get(col_name, *args, **kwargs):
                    col = attr(col_name, *args, **kwargs)
                    if col_name.endswith(("-conversations", "-feedback")):
                        return Collection(col)
                    return col
                return get

        return Client()


@pytest.fixture
def faulty(indexed):
    from assistant.api.app import create_app
    from assistant.index.client import _raw_client
    from assistant.index.guard import GuardedClient, StoreGuard
    from assistant.index.store import ChunkStore
    from assistant.service.assistant import Assistant

    settings, _, base_assistant = indexed
    settings = settings.model_copy(update={"store_timeout_seconds": 1.0})
    faults = Faults()
    guard = StoreGuard(lambda: faults.client(_raw_client(settings)), 1.0, path=None)
    store = ChunkStore(settings, client=GuardedClient(guard))
    assistant = Assistant(settings, store, base_assistant.embedder)
    with serve(create_app(settings, assistant), ready_path="/health") as base:
        yield base, faults, guard
    faults.release.set()


def test_injected_enospc_is_a_503_and_health_says_degraded(faulty):
    base, faults, guard = faulty
    assert ask(base).status_code == 200
    faults.mode = "enospc"
    r = ask(base)
    assert r.status_code == 503 and r.json() == {"detail": DISK_FULL}
    r = feedback(base)
    assert r.status_code == 503 and r.json() == {"detail": DISK_FULL}
    r = ask(base, path="/v1/chat/stream")  # fails at the end, inside the started stream
    assert r.status_code == 200
    events = [line for line in r.text.splitlines() if line.startswith("event:")]
    assert events[-1] == "event: error" and DISK_FULL in r.text
    h = httpx.get(base + "/health", timeout=5)
    assert h.status_code == 200 and h.json()["status"] == "degraded"
    faults.mode = None
    assert ask(base).status_code == 200
    assert httpx.get(base + "/health", timeout=5).json() == {"status": "ok"}


def test_a_hanging_store_call_times_out_and_health_keeps_answering(faulty):
    base, faults, guard = faulty
    faults.mode = "hang"
    t0 = time.monotonic()
    r = ask(base)
    took = time.monotonic() - t0
    assert r.status_code == 503 and r.json() == {"detail": STORE_TIMEOUT}
    assert took < 5
    # several more hung requests at once must not stop /health
    pending = [threading.Thread(target=lambda: ask(base)) for i in range(6)]
    for t in pending:
        t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    h = httpx.get(base + "/health", timeout=5)
    assert time.monotonic() - t0 < 2.5
    assert h.status_code == 200 and h.json()["status"] == "degraded"
    for t in pending:
        t.join(30)
    faults.mode = None
    faults.release.set()  # the abandoned calls return; the next request succeeds
    assert ask(base).status_code == 200


SERVE_HANGING = """
import sys, threading
import assistant.index.json_records as records
real_put = records.JsonRecords.put
def put(self, id_, doc, metadata):
    if not self.name.endswith("-conversations"):
        return real_put(self, id_, doc, metadata)
    def forever():  # a store write that never returns, on the guard's worker like a real one
        print("HANGING", flush=True)
        threading.Event().wait()
    return self.collection._guard.run(forever)
records.JsonRecords.put = put
from assistant.__main__ import app
sys.exit(app(["serve", "--port", sys.argv[1]]))
"""


def test_sigterm_stops_the_server_within_10_s_while_a_store_call_hangs(indexed, tmp_path):
    settings, _, _ = indexed
    port = free_port()
    env = {**ENV, "ASSISTANT_CHROMA_PATH": str(settings.chroma_path),
           "ASSISTANT_AUDIT_PATH": str(tmp_path / "audit.jsonl"),
           "ASSISTANT_STORE_TIMEOUT_SECONDS": "60"}
    proc = subprocess.Popen([sys.executable, "-c", SERVE_HANGING, str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("server did not start")
        hung = threading.Thread(target=lambda: _ignore(lambda: ask(base, timeout=90)))
        hung.start()
        time.sleep(2)  # the request is inside the hanging store call now
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("SIGTERM did not stop the server within 10 s")
        print(f"stopped {time.monotonic() - t0:.2f} s after SIGTERM")
        out = proc.stdout.read()
        assert "HANGING" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _ignore(fn):
    try:
        fn()
    except httpx.HTTPError:
        pass


def test_a_write_reserve_is_set_aside_and_refused_cleanly_when_the_disk_is_too_full(small_fs):
    """The writer sets disk aside before it writes (`assistant.index.reserve`): without it, a
    segment write that filled the disk could not drop its half-written segment (SQLite needs free
    space to delete rows) and left it behind."""
    from assistant.index.errors import DiskFullError
    from assistant.index.reserve import reserve

    settings = make_settings(small_fs, CORPUS, chroma_path=small_fs / "chroma")
    held = reserve(settings, 4 << 20)
    assert held.path.stat().st_size == 4 << 20
    held.release()
    assert not (small_fs / "chroma" / ".write-reserve").exists()
    filler = fill(small_fs, leave=1 << 20)
    with pytest.raises(DiskFullError, match="nothing was written"):
        reserve(settings, 4 << 20)
    assert not (small_fs / "chroma" / ".write-reserve").exists()
    filler.unlink()
