"""Shared pieces of tests/test_redteam.py: servers over one ingested corpus copy, keys, a JS PDF."""

from __future__ import annotations

import json
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx

from assistant.api.app import create_app
from assistant.auth.keys import KeyStore
from tests.server import serve


@contextmanager
def server(env, **overrides):
    """Another real server over the module's store and Assistant, with these settings changed
    (its own rate-limit memory, its own audit log unless one is given)."""
    settings, assistant = env["settings"], env["assistant"]
    tmp = env["tmp"] / f"srv-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    overrides.setdefault("audit_path", tmp / "audit.jsonl")
    cfg = settings.model_copy(update=overrides)
    with serve(create_app(cfg, assistant)) as base:
        yield base, cfg


@contextmanager
def keyed_server(env, **overrides):
    """A server whose keys live in their own namespace (so the module's other servers stay
    keyless): yields (base, cfg, keys) with keys {"reader", "writer", "admin"} -> the key."""
    prefix = f"rt{uuid.uuid4().hex[:8]}"
    keys = KeyStore(env["store"].client, prefix)
    made = {role: keys.create(f"{role}-1", role, ["*"])[0] for role in ("reader", "writer", "admin")}
    with server(env, collection_prefix=prefix, **overrides) as (base, cfg):
        yield base, cfg, made


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def audit_lines(path: Path, wait_for: int = 1, timeout: float = 5.0) -> list[dict]:
    """The audit lines (written just after each response ends: wait for at least `wait_for`)."""
    deadline = time.time() + timeout
    while True:
        lines = []
        if path.exists():
            lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        if len(lines) >= wait_for or time.time() > deadline:
            return lines
        time.sleep(0.05)


def sse_events(response: httpx.Response) -> list[tuple[str, dict]]:
    events: list[list] = []
    for line in response.iter_lines():
        if line.startswith("event: "):
            events.append([line[7:], None])
        elif line.startswith("data: "):
            events[-1][1] = json.loads(line[6:])
    return [(k, v) for k, v in events]


def js_pdf(sentence: str = "Zentrix Bio licensed KRT-77 to Halvard Pharma in May 2024.") -> bytes:
    """A one-page PDF whose /OpenAction runs JavaScript (Chromium's viewer runs it)."""
    stream = b"BT /F1 14 Tf 72 700 Td (" + sentence.encode() + b") Tj ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
            b"/Resources << /Font << /F1 6 0 R >> >> >>",
            b"<< /S /JavaScript /JS (app.alert('pdf script ran');) >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def wait_job(base: str, job_id: str, headers: dict | None = None, timeout: float = 180) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = httpx.get(f"{base}/v1/jobs/{job_id}", headers=headers or {}, timeout=30).json()
        if job.get("status") in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")
