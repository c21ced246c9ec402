"""Security headers on every response, as a small pure-ASGI middleware, and the offline /docs page.

`SecurityHeadersMiddleware` adds to every HTTP response (the page, the JSON API, static files,
errors, the docs) a Content-Security-Policy header that allows this origin only and forbids
framing (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older browsers),
`X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`. A header the response
already has is left alone, so that one route can send its own policy: /docs does, to allow the
one inline script of Swagger UI by its hash. The middleware only edits the
`http.response.start` message, so streamed bodies (Server-Sent Events) pass through as they are.

/docs is Swagger UI served from files of the `fastapi-offline` package (mounted at
/docs/assets), not from a CDN: it works with no network, and its CSP has no remote origin.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles


def content_security_policy(script_src: str = "'self'", img_src: str = "'self'") -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src {script_src}",
        "style-src 'self'",
        f"img-src {img_src}",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


CSP = content_security_policy()

SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


class SecurityHeadersMiddleware:
    def __init__(self, app, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                        for k, v in (SECURITY_HEADERS if headers is None else headers).items()]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


DOCS_ASSETS = "/docs/assets"


def docs_static_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def add_docs(app: FastAPI, path: str = "/docs") -> None:
    """Swagger UI at `path`, its JavaScript, CSS and icon served by the app itself. Create the
    app with docs_url=None and redoc_url=None (ReDoc would need inline styles and blob: workers)."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=docs_static_dir()), name="docs-assets")

    @app.get(path, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        page = get_swagger_ui_html(
            openapi_url=root + app.openapi_url,
            title=app.title + " - Swagger UI",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            oauth2_redirect_url=None,
            # no badge image from validator.swagger.io
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
        )
        html = page.body.decode()
        hashes = " ".join(f"'sha256-{script_hash(s)}'" for s in INLINE_SCRIPT.findall(html))
        # Swagger UI's stylesheet draws its icons with data: SVG images.
        csp = content_security_policy(script_src=f"'self' {hashes}", img_src="'self' data:")
        return HTMLResponse(html, headers={"Content-Security-Policy": csp})


INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def script_hash(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
