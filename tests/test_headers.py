"""Security headers on every response, and /docs served offline, against a real uvicorn server."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urljoin

import httpx
import pytest

from assistant.api.app import create_app
from tests.server import serve

LIMIT = 5000


@pytest.fixture(scope="module")
def api(indexed):
    settings, _, assistant = indexed
    app = create_app(settings.model_copy(update={"max_request_bytes": LIMIT}), assistant)

    @app.get("/test-boom", include_in_schema=False)
    def boom():
        raise RuntimeError("a bug in a route (expected in this test)")

    with serve(app) as base:
        yield base


def directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_secure(r: httpx.Response) -> dict[str, list[str]]:
    h = r.headers
    assert h["x-content-type-options"] == "nosniff", r.url
    assert h["x-frame-options"] == "DENY", r.url
    assert h["referrer-policy"] == "no-referrer", r.url
    assert len(h.get_list("content-security-policy")) == 1, r.url
    csp = directives(h["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    for name, sources in csp.items():  # this origin only: no host, scheme or wildcard sources
        for source in sources:
            assert source.startswith("'") or source == "data:" and name == "img-src", (name, source)
    return csp


def test_the_page(api):
    r = httpx.get(f"{api}/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = assert_secure(r)
    # the page loads its script and style from /static: nothing inline, nothing eval'd
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"] and csp["img-src"] == ["'self'"]


@pytest.mark.parametrize("path", ["/static/app.js", "/static/app.css", "/favicon.ico"])
def test_static_files(api, path):
    r = httpx.get(api + path)
    assert r.status_code in (200, 204)
    assert_secure(r)


@pytest.mark.parametrize("path", ["/health", "/v1/sources", "/openapi.json"])
def test_json_routes(api, path):
    r = httpx.get(api + path)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert_secure(r)


def test_a_streamed_answer_keeps_streaming(api):
    with httpx.stream("POST", f"{api}/v1/chat/stream", timeout=60,
                      json={"question": "Which FDA designations has Fucaso been granted?"}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert_secure(r)
        text = "".join(r.iter_text())
    assert "event: delta" in text and "event: final" in text


def test_404(api):
    r = httpx.get(f"{api}/no-such-page")
    assert r.status_code == 404
    assert_secure(r)


def test_405(api):
    r = httpx.delete(f"{api}/health")
    assert r.status_code == 405
    assert_secure(r)


def test_422(api):
    r = httpx.post(f"{api}/v1/chat", json={"question": ""})
    assert r.status_code == 422
    assert_secure(r)


def test_413_with_a_length(api):
    r = httpx.post(f"{api}/v1/feedback", content=b"x" * (LIMIT + 1),
                   headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert_secure(r)


def test_413_chunked(api):
    def chunks():
        for _ in range(4):
            yield b"x" * LIMIT

    r = httpx.post(f"{api}/v1/feedback", content=chunks(),
                   headers={"content-type": "application/json"}, timeout=60)
    assert r.status_code == 413
    assert_secure(r)


def test_500_from_an_unhandled_error(api):
    r = httpx.get(f"{api}/test-boom")
    assert r.status_code == 500
    assert "RuntimeError" not in r.text
    assert_secure(r)


def test_docs_are_served_offline(api):
    r = httpx.get(f"{api}/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = assert_secure(r)
    html = r.text

    # no URL outside the app: every absolute URL is this server's, every reference is local
    for url in re.findall(r"https?://[^\s\"'<>)]+", html):
        assert url.startswith(api + "/"), url
    refs = re.findall(r"(?:src|href)=\"([^\"]+)\"", html)
    assert any(ref.endswith(".js") for ref in refs) and any(ref.endswith(".css") for ref in refs)
    for ref in refs:
        assert ref.startswith("/") and not ref.startswith("//"), ref
        asset = httpx.get(urljoin(api + "/", ref))
        assert asset.status_code == 200, ref
        assert len(asset.content) > 1000, ref
        assert_secure(asset)
    assert "url: '/openapi.json'" in html
    assert "validatorUrl" in html  # no badge image from validator.swagger.io

    # the one inline script is allowed by its hash, and nothing else inline
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert csp["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert csp["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in r.headers["content-security-policy"]
    assert "'unsafe-eval'" not in r.headers["content-security-policy"]


def test_redoc_is_off(api):
    """ReDoc would need inline styles; /docs is the one docs page."""
    r = httpx.get(f"{api}/redoc")
    assert r.status_code == 404
    assert_secure(r)
