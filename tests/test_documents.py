"""The documents API (upload, list, fetch, delete, jobs) against a real uvicorn server, real
embedded Chroma and the packaged embedder; and provenance: no ingest removes another's documents."""

from __future__ import annotations

import concurrent.futures
import io
import shutil
import socket
import time
import uuid
import zipfile

import httpx
import pytest

from assistant.api.app import create_app
from assistant.index.store import ChunkStore
from assistant.service.assistant import Assistant
from ingest.pipeline import Ingestor
from tests.conftest import CORPUS, make_settings
from tests.formats import write_docx, write_pdf
from tests.server import serve

LIMIT = 300_000  # ASSISTANT_MAX_UPLOAD_BYTES in these tests


def multipart(files: list[tuple[bytes | str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body, built by hand so that any file name can be sent as is."""
    boundary = f"----i12{uuid.uuid4().hex}"
    out = io.BytesIO()
    for name, data in files:
        raw = name.encode("utf-8") if isinstance(name, str) else name
        out.write(f"--{boundary}\r\n".encode())
        out.write(b'Content-Disposition: form-data; name="files"; filename="' + raw + b'"\r\n')
        out.write(b"Content-Type: application/octet-stream\r\n\r\n")
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def upload(base: str, files, **kw) -> httpx.Response:
    body, ctype = multipart(files)
    return httpx.post(f"{base}/v1/documents", content=body,
                      headers={"content-type": ctype, **kw.pop("headers", {})}, timeout=120, **kw)


def wait_job(base: str, job_id: str, timeout: float = 180) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = httpx.get(f"{base}/v1/jobs/{job_id}", timeout=30).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def listing(base: str) -> list[dict]:
    r = httpx.get(f"{base}/v1/documents", timeout=30)
    assert r.status_code == 200
    return r.json()["documents"]


def note(topic: str, words: int = 60) -> bytes:
    return (f"{topic}\n\n" + " ".join(f"{topic.split()[0]} clause {i} of the agreement covers "
                                      f"milestone payments." for i in range(words // 8))
            ).encode()


@pytest.fixture(scope="module")
def env(tmp_path_factory, embedder):
    tmp = tmp_path_factory.mktemp("documents")
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = make_settings(tmp, corpus, max_upload_bytes=LIMIT)
    store = ChunkStore(settings)
    assert not Ingestor(settings, store, embedder, progress=False).run([corpus]).failed
    assistant = Assistant(settings, store, embedder)
    with serve(create_app(settings, assistant)) as base:
        yield base, settings, store


def stored_state(settings, store):
    """What a refused upload must not change."""
    folder = settings.documents_path
    files = sorted(p.name for p in folder.rglob("*") if p.is_file() and p.suffix != ".lock")
    return files, sorted(store.live_docs()), store.state()["seq"]


def test_upload_is_ingested_in_the_background_and_served_back(env):
    base, settings, store = env
    text = ("Orlanta Licenses ZX-9 to Brevik\n\nOrlanta Bio licensed its ZX-9 bispecific antibody "
            "to Brevik Pharma for $275 million upfront in March 2025.\n").encode()
    r = upload(base, [("orlanta note.txt", text)])
    assert r.status_code == 202, r.text
    body = r.json()
    [f] = body["files"]
    assert f["status"] == "queued" and f["document_id"]
    job = wait_job(base, body["job_id"])
    assert job["status"] == "done", job
    assert job["files"][0]["status"] == "indexed" and job["files"][0]["chunks"] >= 1
    assert job["progress"]["total"] == job["progress"]["done"] == 1
    assert job["progress"]["stage"] == "done"

    docs = {d["id"]: d for d in listing(base)}
    d = docs[f["document_id"]]
    assert d["status"] == "indexed" and d["origin"]["kind"] == "upload"
    assert d["name"] == "orlanta note.txt" and d["type"] == "text" and d["size"] == len(text)
    assert d["chunks"] >= 1 and len(d["sha256"]) == 64 and d["added_at"]
    # the corpus documents are listed too, with their folder origin
    folder = [x for x in docs.values() if x["origin"]["kind"] == "folder"]
    assert len(folder) == 5 and all(x["status"] == "indexed" for x in folder)

    # the original is kept under its hash; the user's name is never a path
    assert (settings.documents_path / f"{d['sha256']}.txt").read_bytes() == text
    got = httpx.get(f"{base}/v1/documents/{d['id']}/file", timeout=30)
    assert got.status_code == 200 and got.content == text
    assert got.headers["content-type"].startswith("text/plain")
    assert 'filename="orlanta_note.txt"' in got.headers["content-disposition"]
    assert "filename*=UTF-8''orlanta%20note.txt" in got.headers["content-disposition"]
    # and it answers questions
    answer = httpx.post(f"{base}/v1/chat", json={"question": "How much did Brevik pay for ZX-9?"},
                        timeout=120).json()
    assert "$275 million" in answer["answer"]
    assert any(c["source"] == "uploads/orlanta note.txt" for c in answer["citations"])


def test_pdf_by_content_opens_at_a_page_and_can_be_deleted(env, tmp_path):
    base, settings, store = env
    pdf = write_pdf(tmp_path / "x.pdf", ["Kestrel signed with a CDMO in Lyon for KST-4.",
                                         "The Lyon site filled 40 batches of KST-4 in 2024."])
    r = upload(base, [("scan.bin", pdf.read_bytes())])  # the name says nothing; the content does
    assert r.status_code == 202, r.text
    doc_id = r.json()["files"][0]["document_id"]
    assert wait_job(base, r.json()["job_id"])["files"][0]["status"] == "indexed"
    meta = httpx.get(f"{base}/v1/documents/{doc_id}", timeout=30).json()
    assert meta["type"] == "pdf" and meta["url"] == f"/v1/documents/{doc_id}/file"
    r = httpx.get(f"{base}/v1/documents/{doc_id}/file?page=2", follow_redirects=False, timeout=30)
    assert r.status_code == 307
    assert r.headers["location"] == f"/v1/documents/{doc_id}/file#page=2"
    r = httpx.get(f"{base}/v1/documents/{doc_id}/file", timeout=30)
    assert r.headers["content-type"] == "application/pdf" and r.content == pdf.read_bytes()

    d = httpx.delete(f"{base}/v1/documents/{doc_id}", timeout=30)
    assert d.status_code == 202, d.text
    assert wait_job(base, d.json()["job_id"])["status"] == "done"
    assert doc_id not in {x["id"] for x in listing(base)}
    assert not (settings.documents_path / f"{meta['sha256']}.pdf").exists()
    assert httpx.get(f"{base}/v1/documents/{doc_id}/file", timeout=30).status_code == 404
    assert not any(s.startswith("uploads/scan") for s in store.live_docs())
    # a corpus document is not deleted through the API: it lives in its folder
    corpus_doc = next(x for x in listing(base) if x["origin"]["kind"] == "folder")
    assert httpx.delete(f"{base}/v1/documents/{corpus_doc['id']}", timeout=30).status_code == 409


def test_over_the_size_limit_is_refused_while_streaming(env):
    base, settings, store = env
    before = stored_state(settings, store)
    # chunked, with no end: the 413 must come while the client is still sending
    host, port = base.removeprefix("http://").split(":")
    boundary = "xyzzy"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename=\"big.txt\"\r\nContent-Type: text/plain\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(b"POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: multipart/form-data; boundary=" + boundary.encode() +
                  b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        s.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        block = b"a" * 50_000
        for _ in range(LIMIT // len(block) + 2):  # a little over the limit, never finished
            s.sendall(b"%x\r\n%s\r\n" % (len(block), block))
        reply = s.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert f"upload limit of {LIMIT} bytes" in reply and "big.txt" in reply
    # the same through a client, with a length declared
    r = upload(base, [("big.txt", b"b" * (LIMIT + 1))])
    assert r.status_code == 413 and "ASSISTANT_MAX_UPLOAD_BYTES" in r.json()["detail"]
    assert stored_state(settings, store) == before
    assert not list(settings.documents_path.joinpath(".incoming").iterdir())


def zip_bomb() -> bytes:
    """A .docx-shaped zip whose document.xml unpacks to 210 MB (about 200 KB packed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(210):
                fh.write(block)
    return buf.getvalue()


def test_bad_files_get_a_clear_error_each_and_change_nothing(env, tmp_path):
    base, settings, store = env
    before = stored_state(settings, store)
    png = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + bytes(200)
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("notes.txt", "hello")
    cases = {
        "photo.pdf": (png, "unsupported file type"),  # judged by content, not by the name
        "archive.docx": (plain_zip.getvalue(), "not a .docx"),
        "empty.txt": (b"", "empty file"),
        "broken.pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\n", "corrupt PDF"),
        "bomb.docx": (zip_bomb(), "zip bomb"),
        "../../etc/evil.txt": (b"a harmless text", "must not contain a path"),
        "bell\x07name.txt": (b"another harmless text", "control characters"),
        "n" * 296 + ".txt": (b"a third harmless text", "too long"),
    }
    r = upload(base, [(name, data) for name, (data, _) in cases.items()])
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["job_id"] is None and "no file was accepted" in body["detail"]
    assert len(body["files"]) == len(cases)
    for f, (name, (_, why)) in zip(body["files"], cases.items()):
        assert f["status"] == "rejected" and why in f["reason"], (name, f)
        assert f["document_id"] is None
    assert stored_state(settings, store) == before

    # one bad file among good ones: the good one goes ahead, the bad one is reported
    r = upload(base, [("ok.md", b"# Heron deal\n\nHeron Bio sold its HRN-2 rights for $12 million.\n"),
                      ("empty.txt", b"")])
    assert r.status_code == 202
    ok, bad = r.json()["files"]
    assert ok["status"] == "queued" and bad["status"] == "rejected" and "empty" in bad["reason"]
    job = wait_job(base, r.json()["job_id"])
    assert [f["status"] for f in job["files"]] == ["indexed"]
    assert {d["id"]: d for d in listing(base)}[ok["document_id"]]["type"] == "markdown"


def test_same_content_twice_is_one_document(env, tmp_path):
    base, settings, store = env
    docx = write_docx(tmp_path / "c.docx", "Plover checklist",
                      ["Check the Plover CDMO's release testing before the PLV-1 tech transfer."])
    data = docx.read_bytes()
    first = upload(base, [("checklist.docx", data)])
    assert first.status_code == 202
    wait_job(base, first.json()["job_id"])
    second = upload(base, [("copy of checklist.docx", data)])
    assert second.status_code == 202
    f2 = second.json()["files"][0]
    assert f2["status"] == "duplicate" and second.json()["job_id"] is None
    assert f2["document_id"] == first.json()["files"][0]["document_id"]
    same = [d for d in listing(base) if d["sha256"] == first_sha(settings, data)]
    assert len(same) == 1 and same[0]["status"] == "indexed" and same[0]["type"] == "docx"


def first_sha(settings, data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_ten_concurrent_uploads_all_end_indexed(env):
    base, settings, store = env

    def one(i: int) -> httpx.Response:
        return upload(base, [(f"deal-{i}.txt", note(f"Company{i} licensing deal number {i}"))])

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(one, range(10)))
    assert all(r.status_code == 202 for r in replies), [r.text for r in replies]
    jobs = [wait_job(base, r.json()["job_id"]) for r in replies]
    assert all(j["status"] == "done" and j["files"][0]["status"] == "indexed" for j in jobs), jobs
    ids = {r.json()["files"][0]["document_id"] for r in replies}
    docs = {d["id"]: d for d in listing(base)}
    assert ids <= set(docs) and all(docs[i]["status"] == "indexed" for i in ids)
    live = store.live_docs()
    assert all(f"uploads/deal-{i}.txt" in live for i in range(10))


def run_ingest(settings, *args):
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {"ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
           "ASSISTANT_CHROMA_PATH": str(settings.chroma_path), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "UNSTRUCTURED_DISABLE_NOTICE": "1", "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "ingest", "-q", *args], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return r


def test_no_ingest_removes_another_ones_documents(tmp_path, embedder):
    """make run / make ingest (the corpus), a CLI run of another folder and an upload never
    remove each other's documents: pruning touches only the folder being ingested."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    other = tmp_path / "other"
    other.mkdir()
    for i in range(4):
        (other / f"memo-{i}.txt").write_bytes(note(f"Falcon{i} supply agreement memo {i}"))
    settings = make_settings(tmp_path, corpus)

    run_ingest(settings)                             # make ingest: the corpus
    run_ingest(settings, str(other))                 # python -m ingest other/
    r = run_ingest(settings, "--if-stale")           # make run: the corpus if stale
    assert "up to date" in r.stderr
    store = ChunkStore(settings)
    with serve(create_app(settings, Assistant(settings, store, embedder))) as base:
        up = upload(base, [("uploaded.txt", note("Osprey manufacturing deal upload"))])
        assert up.status_code == 202
        assert wait_job(base, up.json()["job_id"])["files"][0]["status"] == "indexed"
    run_ingest(settings)                             # make ingest again
    run_ingest(settings, str(other))                 # the other folder again

    live = ChunkStore(settings).live_docs()
    corpus_docs = sorted(p.name for p in CORPUS.iterdir())
    assert sorted(s for s, d in live.items() if d["origin_kind"] == "folder"
                  and d["origin"] == str(corpus.resolve())) == corpus_docs
    assert sorted(s for s, d in live.items() if d["origin"] == str(other.resolve())) == \
        [f"memo-{i}.txt" for i in range(4)]
    assert [s for s, d in live.items() if d["origin_kind"] == "upload"] == ["uploads/uploaded.txt"]
    assert len(live) == 5 + 4 + 1

    # a file removed from the other folder is pruned by that folder's run only
    (other / "memo-3.txt").unlink()
    run_ingest(settings)
    assert "memo-3.txt" in ChunkStore(settings).live_docs()
    run_ingest(settings, str(other))
    live = ChunkStore(settings).live_docs()
    assert "memo-3.txt" not in live and len(live) == 5 + 3 + 1


def test_upload_and_delete_need_a_writer_key(env):
    base, settings, store = env
    from assistant.auth.keys import KeyStore

    keys = KeyStore(store.client, settings.collection_prefix)
    reader, _ = keys.create("docs-reader", "reader", ["*"])
    writer, _ = keys.create("docs-writer", "writer", ["*"])
    time.sleep(2.5)  # auth turns on once a key exists (auto mode re-checks every 2 s)
    data = [("auth.txt", note("Grebe licensing note"))]
    assert upload(base, data).status_code == 401
    r = upload(base, data, headers={"Authorization": f"Bearer {reader}"})
    assert r.status_code == 403 and "needs writer" in r.json()["detail"]
    docs = httpx.get(f"{base}/v1/documents", headers={"Authorization": f"Bearer {reader}"},
                     timeout=30).json()["documents"]
    assert docs
    assert httpx.delete(f"{base}/v1/documents/{docs[0]['id']}",
                        headers={"Authorization": f"Bearer {reader}"}, timeout=30).status_code == 403
    r = upload(base, data, headers={"Authorization": f"Bearer {writer}"})
    assert r.status_code == 202
