"""Issue 22's holes, each through the real server (uvicorn, embedded Chroma, packaged embedder)."""

from __future__ import annotations

import json
import os
import shutil

import httpx
import pytest

from assistant.api.app import create_app
from assistant.service.assistant import Assistant
from assistant.index.store import ChunkStore
from ingest.pipeline import Ingestor
from tests.conftest import CORPUS, make_settings
from tests.server import serve
from tests.test_documents import upload, wait_job

DOC = "innovent-iaso-fucaso-car-t-stake-2024.txt"


@pytest.fixture(scope="module")
def files_env(tmp_path_factory, embedder):
    tmp = tmp_path_factory.mktemp("redteam-files")
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    secret = tmp / "secret.txt"
    secret.write_text("root:$6$not-for-readers$:19000:0:99999:7:::\n")
    settings = make_settings(tmp, corpus)
    store = ChunkStore(settings)
    assert not Ingestor(settings, store, embedder, progress=False).run([corpus]).failed
    with serve(create_app(settings, Assistant(settings, store, embedder))) as base:
        yield base, settings, corpus, secret


def _doc(base: str, source: str) -> dict:
    docs = httpx.get(f"{base}/v1/documents", timeout=30).json()["documents"]
    return next(d for d in docs if d["source"] == source)


def _audit(settings, route_part: str) -> list[dict]:
    lines = [json.loads(x) for x in settings.audit_path.read_text().splitlines() if x.strip()]
    return [e for e in lines if route_part in e.get("route", "")]


def test_row1_a_symlink_placed_after_ingest_is_not_followed(files_env):
    base, settings, corpus, secret = files_env
    doc = _doc(base, DOC)
    url = f"{base}/v1/documents/{doc['id']}/file"
    ok = httpx.get(url, timeout=30)
    assert ok.status_code == 200 and b"IASO" in ok.content
    path = corpus / DOC
    original = path.read_bytes()
    path.unlink()
    os.symlink(secret, path)
    try:
        r = httpx.get(url, timeout=30)
        assert r.status_code == 404, r.text
        assert b"root:" not in r.content
        assert r.json()["detail"] == "the original file is no longer available"
        refused = [e for e in _audit(settings, doc["id"]) if e.get("refused")]
        assert refused and refused[-1]["status"] == 404 and refused[-1]["source"] == DOC
    finally:
        path.unlink()
        path.write_bytes(original)
    assert httpx.get(url, timeout=30).status_code == 200


def test_row1_a_file_whose_bytes_changed_since_ingest_is_not_served(files_env):
    base, _, corpus, _ = files_env
    doc = _doc(base, "novartis-aws-cell-gene-therapy-manufacturing.txt")
    path = corpus / doc["source"]
    original = path.read_bytes()
    path.write_bytes(b"replaced after ingest\n")
    try:
        assert httpx.get(f"{base}/v1/documents/{doc['id']}/file", timeout=30).status_code == 404
    finally:
        path.write_bytes(original)


def test_row1_an_uploaded_original_swapped_for_a_symlink_is_not_served(files_env):
    base, settings, _, secret = files_env
    r = upload(base, [("memo.txt", b"Upload memo\n\nThe milestone clause covers payments.\n" * 5)])
    assert r.status_code == 202, r.text
    assert wait_job(base, r.json()["job_id"])["status"] == "done"
    doc = next(d for d in httpx.get(f"{base}/v1/documents", timeout=30).json()["documents"]
               if d["name"] == "memo.txt")
    url = f"{base}/v1/documents/{doc['id']}/file"
    assert httpx.get(url, timeout=30).status_code == 200
    stored = settings.documents_path / f"{doc['sha256']}.txt"
    stored.unlink()
    os.symlink(secret, stored)
    r = httpx.get(url, timeout=30)
    assert r.status_code == 404 and b"root:" not in r.content
