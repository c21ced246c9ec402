"""Shared fixtures. Tests use the real packaged embedder and real Chroma; the network is off
beyond loopback."""

from __future__ import annotations

import os
import shutil
import socket
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

_real_connect = socket.socket.connect
_LOOPBACK = {"127.0.0.1", "::1", "localhost", "0.0.0.0"}


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if host not in _LOOPBACK:
            raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(scope="session")
def embedder():
    from assistant.retrieval.embedding import get_embedder

    return get_embedder(threads=2)


class CountingEmbedder:
    """The real embedder, counting what it embeds; can be told to fail after some batches."""

    def __init__(self, inner, fail_after_batches: int | None = None):
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.texts = 0
        self.batches = 0
        self.fail_after_batches = fail_after_batches

    def embed_texts(self, texts, batch_size=32):
        if self.fail_after_batches is not None and self.batches >= self.fail_after_batches:
            raise RuntimeError("simulated crash half-way through embedding")
        self.batches += 1
        self.texts += len(texts)
        return self.inner.embed_texts(texts, batch_size=batch_size)

    def embed_query(self, text):
        return self.inner.embed_query(text)


@pytest.fixture
def counting(embedder):
    return lambda **kw: CountingEmbedder(embedder, **kw)


def make_settings(tmp: Path, corpus: Path, **overrides):
    from assistant.core.config import Settings

    overrides.setdefault("audit_path", tmp / "audit.jsonl")
    overrides.setdefault("chroma_path", tmp / "chroma")
    return Settings(corpus_dir=corpus, **overrides)


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


def index_copy(tmp: Path, source: Path, embedder):
    """`source` copied to `tmp/corpus` and ingested into an embedded store under `tmp`:
    (settings, store, assistant)."""
    from assistant.index.store import ChunkStore
    from assistant.service.assistant import Assistant
    from ingest.pipeline import Ingestor

    corpus = tmp / "corpus"
    shutil.copytree(source, corpus)
    settings = make_settings(tmp, corpus)
    store = ChunkStore(settings)
    summary = Ingestor(settings, store, embedder, progress=False).run([corpus])
    assert not summary.failed
    return settings, store, Assistant(settings, store, embedder)


@pytest.fixture(scope="session")
def indexed(tmp_path_factory, embedder):
    """The project corpus ingested once into an embedded store: (settings, store, assistant)."""
    return index_copy(tmp_path_factory.mktemp("indexed"), CORPUS, embedder)


@pytest.fixture(scope="session")
def kinds_indexed(tmp_path_factory, embedder):
    """tests/data/kinds (our own trade-press-like documents: a licence, an acquisition,
    designations, a CDMO site) ingested once: (settings, store, assistant)."""
    return index_copy(tmp_path_factory.mktemp("kinds"), Path(__file__).parent / "data" / "kinds",
                      embedder)


@pytest.fixture(scope="session")
def roundup_indexed(tmp_path_factory, embedder):
    """tests/data/roundup (our own: a weekly deal sheet with a table written in pipes, an
    acquisition story, an FDA weekly list whose sections run past its first chunk, a plant news
    tag page, a deals topic page of headlines, each with the line under it) ingested
    once: (settings, store, assistant)."""
    return index_copy(tmp_path_factory.mktemp("roundup"), Path(__file__).parent / "data" / "roundup",
                      embedder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Modules of slow end-to-end tests: a real server, a browser, a `chroma run` or LLM server, or a
# whole-corpus eval. They carry the `integration` marker; `make test-fast` runs everything else.
INTEGRATION_MODULES = frozenset({
    "test_web", "test_web_tables", "test_redteam", "test_server_mode", "test_switch_load",
    "test_scale", "test_mcp", "test_openai_api", "test_llm", "test_slack", "test_eval_guard",
    "test_answers_corpus", "test_hardening", "test_hardening_ingest", "test_disk_full",
    "test_documents", "test_collections", "test_records_api", "test_auth", "test_api",
    "test_ownership", "test_eval_tool", "test_eval_sets", "test_index_versions", "test_cli",
    "test_answer_integrity",
})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in INTEGRATION_MODULES:
            item.add_marker(pytest.mark.integration)


# --- the web page's browser tests (tests/test_web.py, tests/test_web_tables.py) ---------------

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(indexed):
    """The real app on the indexed corpus, served on loopback: its base URL."""
    from assistant.api.app import create_app
    from tests.server import serve

    settings, _, assistant = indexed
    with serve(create_app(settings, assistant)) as base:
        yield base


@contextmanager
def sized_page(browser, size: str, viewport: dict, **context):
    """A page at `viewport` in a fresh browser context, its script errors and dialogs recorded
    in `page.errors`; `context`: more options of the context (CSP bypass, permissions, ...)."""
    ctx = browser.new_context(viewport=viewport, **context)
    pg = ctx.new_page()
    pg.size = size
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("dialog", lambda d: (pg.errors.append("dialog: " + d.message), d.dismiss()))
    try:
        yield pg
    finally:
        ctx.close()
