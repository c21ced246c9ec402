"""The index and server the client tests (test_openai_api, test_mcp) run against: the project
corpus in `default`, a document of its own in `alpha` and in `beta` (from test_collections),
authentication on, and keys: reader A (alpha), reader B (beta), admin (every collection)."""

from __future__ import annotations

from contextlib import contextmanager

from assistant.api.app import create_app
from assistant.auth.keys import KeyStore
from assistant.index.store import ChunkStore
from assistant.service.assistant import Assistant
from ingest.pipeline import Ingestor
from tests.conftest import CORPUS, make_settings
from tests.server import serve
from tests.test_collections import build_corpus


@contextmanager
def client_env(tmp, embedder):
    corpus = build_corpus(tmp)
    settings = make_settings(tmp, corpus, auth="on", rate_limit_chat_per_key="1000/minute",
                             rate_limit_chat_per_address="1000/minute",
                             rate_limit_failed_auth_per_address="1000/minute")
    store = ChunkStore(settings)
    ing = Ingestor(settings, store, embedder, progress=False)
    assert not ing.run([corpus / p.name for p in CORPUS.iterdir()], prune=False).failed
    assert not ing.run([corpus / "alpha"], collection="alpha").failed
    assert not ing.run([corpus / "beta"], collection="beta").failed
    assistant = Assistant(settings, store, embedder)
    keys = KeyStore(store.client, settings.collection_prefix)
    ka, _ = keys.create("reader-a", "reader", ["alpha"])
    kb, _ = keys.create("reader-b", "reader", ["beta"])
    admin, _ = keys.create("root", "admin", ["*"])
    with serve(create_app(settings, assistant), worker=False) as base:
        yield {"base": base, "settings": settings, "store": store, "assistant": assistant,
               "a": ka, "b": kb, "admin": admin}


def audit_lines(settings) -> list[dict]:
    import json

    path = settings.audit_path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
