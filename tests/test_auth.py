"""API keys, roles, the page's session, rate limits and the audit log, against a real server."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid

import httpx
import pytest

from assistant.api.app import create_app
from assistant.auth.keys import KeyStore, hash_key
from tests.conftest import ROOT, make_settings
from tests.server import serve

Q = {"question": "Which FDA designations has Fucaso been granted?"}


@pytest.fixture
def secured(indexed, tmp_path):
    """A real server over the indexed corpus with its own key namespace: (base, keys, settings)."""
    settings, store, assistant = indexed
    cfg = make_settings(tmp_path, settings.corpus_dir, chroma_path=settings.chroma_path,
                        collection_prefix=f"auth{uuid.uuid4().hex[:8]}",
                        rate_limit_failed_auth_per_address="30/minute",
                        rate_limit_chat_per_key="1000/minute")
    keys = KeyStore(store.client, cfg.collection_prefix)
    with serve(create_app(cfg, assistant)) as base:
        yield base, keys, cfg


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_without_keys_auth_is_off_and_health_says_nothing_about_documents(secured):
    base, _, _ = secured
    assert httpx.post(f"{base}/v1/chat", json=Q, timeout=60).status_code == 200
    assert httpx.get(f"{base}/health").json() == {"status": "ok"}


def test_keys_roles_and_revocation(secured):
    base, keys, _ = secured
    reader, _ = keys.create("ana", "reader", ["*"])
    admin, _ = keys.create("root", "admin", ["*"])
    import time

    time.sleep(2.2)  # auto mode notices the first key within RECHECK_S
    # no key, a wrong key, a malformed header
    r = httpx.post(f"{base}/v1/chat", json=Q)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert httpx.post(f"{base}/v1/chat", json=Q, headers=bearer("bpa_" + "x" * 43)).status_code == 401
    assert httpx.get(f"{base}/v1/sources", headers={"Authorization": "Basic abc"}).status_code == 401
    # /health stays open
    assert httpx.get(f"{base}/health").status_code == 200
    # a reader asks, lists sources, gives feedback; cannot manage keys or read the audit log
    assert httpx.post(f"{base}/v1/chat", json=Q, headers=bearer(reader), timeout=60).status_code == 200
    assert httpx.get(f"{base}/v1/sources", headers=bearer(reader)).status_code == 200
    assert httpx.get(f"{base}/v1/audit", headers=bearer(reader)).status_code == 403
    r = httpx.delete(f"{base}/v1/keys/root", headers=bearer(reader))
    assert r.status_code == 403 and "reader" in r.json()["detail"]
    # the admin can; revoking takes effect on the next request
    assert httpx.get(f"{base}/v1/keys", headers=bearer(admin)).status_code == 200
    assert httpx.delete(f"{base}/v1/keys/ana", headers=bearer(admin)).status_code == 200
    assert httpx.post(f"{base}/v1/chat", json=Q, headers=bearer(reader)).status_code == 401


def test_keys_are_random_and_stored_only_as_hashes(indexed):
    _, store, _ = indexed
    ks = KeyStore(store.client, f"hash{uuid.uuid4().hex[:8]}")
    key1, rec = ks.create("a", "reader", ["default"])
    key2, _ = ks.create("b", "reader", ["default"])
    assert key1 != key2 and len(key1) >= 4 + 43  # 256 random bits, url-safe base64
    dump = json.dumps(ks.records.collection.get(include=["documents", "metadatas"]))
    assert key1 not in dump and key2 not in dump and hash_key(key1) in dump
    other = key1[:-1] + ("B" if key1.endswith("A") else "A")  # one character changed
    assert ks.verify(key1).name == "a" and ks.verify(other) is None
    with pytest.raises(ValueError, match="already exists"):
        ks.create("a", "admin", ["*"])
    with pytest.raises(ValueError, match="unknown role"):
        ks.create("c", "superuser", ["*"])


def test_failed_keys_are_rate_limited(secured):
    base, keys, cfg = secured
    keys.create("someone", "reader", ["*"])
    import time

    time.sleep(2.2)
    codes = [httpx.get(f"{base}/v1/sources", headers=bearer(f"bpa_wrong{i}")).status_code
             for i in range(40)]
    assert codes[:30] == [401] * 30 and set(codes[30:]) == {429}
    r = httpx.get(f"{base}/v1/sources", headers=bearer("bpa_wrong"))
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_questions_are_rate_limited_per_key(indexed, tmp_path):
    settings, store, assistant = indexed
    cfg = make_settings(tmp_path, settings.corpus_dir, chroma_path=settings.chroma_path,
                        collection_prefix=f"rl{uuid.uuid4().hex[:8]}", auth="on",
                        rate_limit_chat_per_key="3/minute")
    key, _ = KeyStore(store.client, cfg.collection_prefix).create("busy", "reader", ["*"])
    with serve(create_app(cfg, assistant)) as base:
        codes = [httpx.post(f"{base}/v1/chat", json=Q, headers=bearer(key), timeout=60).status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = httpx.post(f"{base}/v1/chat/stream", json=Q, headers=bearer(key))
        assert r.status_code == 429 and "retry-after" in r.headers


def test_feedback_is_rate_limited_per_key(indexed, tmp_path):
    settings, store, assistant = indexed
    cfg = make_settings(tmp_path, settings.corpus_dir, chroma_path=settings.chroma_path,
                        collection_prefix=f"rl{uuid.uuid4().hex[:8]}", auth="on",
                        rate_limit_feedback="3/minute")
    key, _ = KeyStore(store.client, cfg.collection_prefix).create("chatty", "reader", ["*"])
    body = {"helpful": True, "question": "q", "answer": "a"}
    with serve(create_app(cfg, assistant)) as base:
        rs = [httpx.post(f"{base}/v1/feedback", json=body, headers=bearer(key), timeout=60)
              for _ in range(4)]
    assert [r.status_code for r in rs] == [201, 201, 201, 429]
    assert int(rs[-1].headers["retry-after"]) >= 1


def test_page_session_cookie_and_csrf(secured):
    base, keys, _ = secured
    key, _ = keys.create("web", "reader", ["*"])
    import time

    time.sleep(2.2)
    with httpx.Client(base_url=base, timeout=60) as c:
        assert c.post("/v1/session", json={"key": "bpa_nope"}).status_code == 401
        r = c.post("/v1/session", json={"key": key})
        assert r.status_code == 200
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and key.lower() not in cookie
        csrf = r.json()["csrf_token"]
        assert c.get("/v1/sources").status_code == 200  # the cookie authenticates reads
        # state-changing requests need the CSRF token and a same-origin Origin
        assert c.post("/v1/chat", json=Q).status_code == 403
        assert c.post("/v1/chat", json=Q, headers={"x-csrf-token": "0" * 64}).status_code == 403
        evil = {"x-csrf-token": csrf, "origin": "http://evil.example"}
        assert c.post("/v1/chat", json=Q, headers=evil).status_code == 403
        assert c.post("/v1/chat", json=Q, headers={"x-csrf-token": csrf, "origin": base}).status_code == 200
        assert c.get("/v1/session").json()["name"] == "web"
        assert c.delete("/v1/session").status_code == 204
        assert c.get("/v1/sources").status_code == 401


def test_audit_log_records_requests_and_never_secrets(secured, caplog):
    base, keys, cfg = secured
    admin, _ = keys.create("auditor", "admin", ["*"])
    import time

    time.sleep(2.2)
    caplog.set_level(logging.DEBUG)
    httpx.post(f"{base}/v1/chat", json=Q, headers=bearer(admin), timeout=60)
    httpx.get(f"{base}/v1/sources", headers=bearer("bpa_stolen-secret-value"))
    entries = httpx.get(f"{base}/v1/audit", headers=bearer(admin)).json()["entries"]
    chat = [e for e in entries if e["route"] == "/v1/chat"][-1]
    assert chat["key"] == "auditor" and chat["status"] == 200 and chat["question"] == Q["question"]
    assert chat["cited"] and chat["latency_ms"] > 0
    assert any(e["status"] == 401 and e["key"] is None for e in entries)
    text = cfg.audit_path.read_text()
    assert admin not in text and "stolen-secret-value" not in text
    assert admin not in caplog.text and "stolen-secret-value" not in caplog.text


def test_openapi_shows_the_security_scheme(secured):
    base, _, _ = secured
    spec = httpx.get(f"{base}/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def _cli(tmp_path, *args, env=None):
    e = {**os.environ, "ASSISTANT_CHROMA_PATH": str(tmp_path / "chroma"),
         "ASSISTANT_AUDIT_PATH": str(tmp_path / "audit.jsonl"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=120)


def test_cli_keys_and_safe_default(tmp_path):
    r = _cli(tmp_path, "serve", "--host", "0.0.0.0", "--port", "1")
    assert r.returncode == 2 and "refusing to serve on 0.0.0.0 without API keys" in r.stderr
    assert "keys create" in r.stderr
    r = _cli(tmp_path, "keys", "create", "--name", "ops", "--role", "writer", "--collections", "deals,cdmo")
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip()
    assert key.startswith("bpa_") and "shown only this once" in r.stderr
    listing = _cli(tmp_path, "keys", "list").stdout
    assert "ops" in listing and "writer" in listing and "cdmo,deals" in listing and key not in listing
    assert _cli(tmp_path, "keys", "create", "--name", "ops").returncode == 2
    assert _cli(tmp_path, "keys", "revoke", "ops").returncode == 0
    row = [line for line in _cli(tmp_path, "keys", "list").stdout.splitlines() if line.startswith("ops")][0]
    assert row.rstrip().endswith(tuple("0123456789"))  # the revoked column holds a time
    assert _cli(tmp_path, "keys", "revoke", "ops").returncode == 2


def test_secrets_never_appear_in_any_log(tmp_path):
    """A real server process (`python -m assistant serve`, its own logging set-up) used with a
    valid key, wrong keys, a revoked key, the page's sign-in and the Slack bot: none of the
    secrets (the keys, their hashes, the session secret and cookie, the CSRF token, the Slack
    bot token and signing secret) is in its output, the audit log or any other file it wrote
    outside the store (issue 13, point 8)."""
    import shutil
    import signal
    import time

    from slack_sdk.signature import SignatureVerifier

    from tests.conftest import CORPUS, free_port
    from tests.fake_slack import FakeSlack

    data = tmp_path / "data"
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(CORPUS / "innovent-iaso-fucaso-car-t-stake-2024.txt", docs)
    session_secret = "sess-" + uuid.uuid4().hex + uuid.uuid4().hex
    signing_secret = "sign-" + uuid.uuid4().hex
    bot_token = "xoxb-" + uuid.uuid4().hex
    wrong = "bpa_" + "W" * 20 + uuid.uuid4().hex
    with FakeSlack() as fake:
        env = {"ASSISTANT_CHROMA_PATH": str(data / "chroma"),
               "ASSISTANT_AUDIT_PATH": str(data / "audit.jsonl"),
               "ASSISTANT_CORPUS_DIR": str(docs), "ASSISTANT_AUTH": "auto",
               "ASSISTANT_SESSION_SECRET": session_secret,
               "ASSISTANT_SLACK_BOT_TOKEN": bot_token,
               "ASSISTANT_SLACK_SIGNING_SECRET": signing_secret,
               "ASSISTANT_SLACK_API_URL": fake.api_url,
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
               "UNSTRUCTURED_DISABLE_NOTICE": "1"}
        outputs = []
        done = subprocess.run([sys.executable, "-m", "ingest", "-q", str(docs)], cwd=ROOT,
                              env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        made = {}
        for name, role in (("alice", "reader"), ("root", "admin"), ("gone", "reader")):
            r = _cli(tmp_path, "keys", "create", "--name", name, "--role", role, env=env)
            assert r.returncode == 0, r.stderr
            made[name] = r.stdout.strip()
            outputs.append(r.stderr)  # the CLI shows the key once, on stdout, by design
        alice, root, gone = made["alice"], made["root"], made["gone"]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = tmp_path / "server.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)],
                                    cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=log)
        cookie = csrf = None
        try:
            deadline = time.time() + 180
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None and time.time() < deadline, log_path.read_text()
                time.sleep(0.3)
            # a valid key: a question, a follow-up, feedback, sources
            r = httpx.post(f"{base}/v1/chat", json=Q, headers=bearer(alice), timeout=60)
            assert r.status_code == 200, r.text
            cid = r.json()["conversation_id"]
            assert httpx.post(f"{base}/v1/chat/stream", headers=bearer(alice), timeout=60, json={
                "question": "And what about Innovent?", "conversation_id": cid}).status_code == 200
            assert httpx.post(f"{base}/v1/feedback", headers=bearer(alice), json={
                "helpful": False, "question": Q["question"], "answer": "a",
                "conversation_id": cid}).status_code == 201
            assert httpx.get(f"{base}/v1/sources", headers=bearer(alice)).status_code == 200
            # wrong keys, in every place one could be sent
            assert httpx.post(f"{base}/v1/chat", json=Q, headers=bearer(wrong)).status_code == 401
            assert httpx.get(f"{base}/v1/sources",
                             headers={"Authorization": f"Basic {wrong}"}).status_code == 401
            assert httpx.post(f"{base}/v1/session", json={"key": wrong}).status_code == 401
            assert httpx.post(f"{base}/v1/session", json={"key": [wrong]}).status_code in (401, 422)
            assert httpx.get(f"{base}/v1/sources",
                             cookies={"bpa_session": wrong}).status_code == 401
            # the page's sign-in: the key once, then the cookie and the CSRF token
            with httpx.Client(base_url=base, timeout=60) as c:
                r = c.post("/v1/session", json={"key": alice})
                assert r.status_code == 200
                cookie, csrf = c.cookies.get("bpa_session"), r.json()["csrf_token"]
                assert c.post("/v1/chat", json=Q, headers={"x-csrf-token": csrf}).status_code == 200
                assert c.post("/v1/chat", json=Q, headers={"x-csrf-token": "0" * 64}).status_code == 403
                assert c.delete("/v1/session", headers={"x-csrf-token": csrf}).status_code == 204
            # admin routes, and a revoked key
            assert httpx.get(f"{base}/v1/keys", headers=bearer(root)).status_code == 200
            assert httpx.delete(f"{base}/v1/keys/gone", headers=bearer(root)).status_code == 200
            assert httpx.get(f"{base}/v1/sources", headers=bearer(gone)).status_code == 401
            assert httpx.get(f"{base}/v1/audit", headers=bearer(root)).status_code == 200
            # Slack: a signed mention is answered (with the bot token); a forged one refused
            ts = str(int(time.time()))
            body = json.dumps({"token": "legacy", "team_id": "T0TEST", "api_app_id": "A0TEST",
                               "type": "event_callback", "event_id": "EvSECRETS1",
                               "event_time": int(ts), "event": {
                                   "type": "app_mention", "user": "U0ALICE", "channel": "C0GEN",
                                   "text": "<@UBOT> " + Q["question"], "ts": ts + ".000100",
                                   "event_ts": ts + ".000100", "team": "T0TEST"}}).encode()
            signature = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=body)
            headers = {"content-type": "application/json", "x-slack-request-timestamp": ts}
            r = httpx.post(f"{base}/slack/events", content=body, timeout=30,
                           headers={**headers, "x-slack-signature": signature})
            assert r.status_code == 200, r.text
            r = httpx.post(f"{base}/slack/events", content=body, timeout=30,
                           headers={**headers, "x-slack-signature": "v0=" + "0" * 64})
            assert r.status_code == 401
            fake.wait_for("chat.postMessage")
            assert any(bot_token in (c.auth or "") for c in fake.recorded())  # it was used
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    outputs.append(log_path.read_text(errors="replace"))
    server_log = outputs[-1]
    assert "Uvicorn running" in server_log or "Started server" in server_log, server_log
    assert "POST /v1/chat" in server_log  # the access log is on: requests were logged
    audit = (data / "audit.jsonl").read_text()
    assert audit.count("\n") >= 15 and '"status":401' in audit
    written = [p for p in data.rglob("*") if p.is_file() and not p.is_relative_to(data / "chroma")]
    assert data / "audit.jsonl" in written
    files = {str(p): p.read_bytes().decode("utf-8", "replace") for p in written}
    secrets = {"alice's key": alice, "root's key": root, "the revoked key": gone,
               "the wrong key": wrong, "alice's key hash": hash_key(alice),
               "root's key hash": hash_key(root), "the revoked key's hash": hash_key(gone),
               "the session secret": session_secret, "the session cookie": cookie,
               "the CSRF token": csrf, "the Slack bot token": bot_token,
               "the Slack signing secret": signing_secret}
    assert all(secrets.values())
    for where, text in {"CLI and server output": "\n".join(outputs), **files}.items():
        for what, secret in secrets.items():
            assert secret not in text, f"{what} is in {where}"
    # the store keeps key hashes, never the keys, the session secret given in the environment
    # or the Slack credentials
    stored = b"".join(p.read_bytes() for p in (data / "chroma").rglob("*") if p.is_file())
    for what in ("alice's key", "root's key", "the wrong key", "the session secret",
                 "the Slack bot token", "the Slack signing secret"):
        assert secrets[what].encode() not in stored, f"{what} is in the store"
