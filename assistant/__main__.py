"""`python -m assistant ask "QUESTION"`, `python -m assistant serve`, `python -m assistant mcp` and
`python -m assistant config-doc`."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from typing import Annotated

import typer

from assistant.core.config import get_settings

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON response.")] = False,
    top_k: Annotated[int | None, typer.Option(min=1, max=20, help="Passages to retrieve.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only search this document (repeatable).")] = None,
) -> None:
    """Answer one question and print the answer with its sources."""
    from pydantic import ValidationError

    from assistant.api.schemas import ChatRequest
    from assistant.index.errors import StoreError
    from assistant.retrieval.embedding import EmbedderError
    from assistant.retrieval.hybrid import EmptyIndexError
    from assistant.service.assistant import Assistant
    from assistant.service.responses import NO_INDEX, build_response

    try:
        req = ChatRequest(question=question, top_k=top_k, sources=source)
    except ValidationError as exc:
        typer.echo(f"error: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    try:
        result = Assistant.from_settings(settings).ask(req.question, top_k=req.top_k, sources=req.sources)
    except EmptyIndexError:
        typer.echo(f"error: {NO_INDEX}", err=True)
        raise typer.Exit(3)
    except (StoreError, EmbedderError) as exc:  # also: the index's embedder is not ours
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(3)
    response = build_response(result)
    if as_json:
        typer.echo(json.dumps(response, indent=2, ensure_ascii=False))
        return
    typer.echo(textwrap.fill(response["answer"], width=100))
    if response["citations"]:
        typer.echo("\nSources:")
    for c in response["citations"]:
        where = f", page {c['page']}" if c["page"] else ""
        section = f" — {c['section']}" if c.get("section") else ""
        typer.echo(f"[{c['n']}] {c['title']}{section} ({c['source']}{where})")
        typer.echo(textwrap.indent(textwrap.shorten(c["text"], width=300, placeholder=" …"), "    "))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port (default $PORT or 8000).")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API (and its docs at /docs) until stopped."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    problem = _auth_problem(host)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    # On SIGTERM, requests still running after the grace period (a store call that hangs) are
    # abandoned: the server stops within it instead of waiting for them for ever.
    from assistant.api.app import create_app, server_options

    os.environ["ASSISTANT_BIND_HOST"] = host  # its Host name is accepted (assistant/api/hosts.py)
    get_settings.cache_clear()
    settings = get_settings()
    grace = settings.shutdown_grace_seconds
    options = dict(host=host, port=port, timeout_graceful_shutdown=grace,
                   **server_options(settings))
    worker = _start_ingest_worker() if settings.ingest_worker else None
    try:
        if workers > 1:
            uvicorn.run("assistant.api.app:create_app", factory=True, workers=workers, **options)
        else:
            uvicorn.run(create_app(), **options)
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()


def _start_ingest_worker() -> subprocess.Popen:
    """`python -m ingest.worker` beside the server: it runs upload and delete jobs from the jobs
    folder in its own process (niced), and exits when this process does."""
    env = dict(os.environ, ASSISTANT_WORKER_PARENT=str(os.getpid()))
    return subprocess.Popen([sys.executable, "-m", "ingest.worker"], env=env)


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _key_store():
    from assistant.auth.keys import KeyStore
    from assistant.index.client import make_client

    settings = get_settings()
    return KeyStore(make_client(settings), settings.collection_prefix)


def _auth_problem(host: str) -> str | None:
    """Why serving on `host` would be unsafe, or None. Safe by default: with no key, only
    loopback, unless ASSISTANT_AUTH=off is set explicitly."""
    settings = get_settings()
    if settings.auth == "off":
        logging.getLogger("assistant").warning(
            "authentication is OFF (ASSISTANT_AUTH=off): anyone who can reach %s can read every document", host)
        if not _loopback(host) and not settings.allowed_hosts:
            logging.getLogger("assistant").warning(
                "without keys only requests addressed to localhost or %s are answered (the Host "
                "check against DNS rebinding): list the names clients use in "
                "ASSISTANT_ALLOWED_HOSTS, for example '[\"assistant.example.com\"]'", host)
        return None
    has_keys = _key_store().active_count() > 0
    if has_keys or settings.auth == "on":
        logging.getLogger("assistant").info("authentication is on: every /v1 route needs an API key")
        return None
    if not _loopback(host):
        return (f"refusing to serve on {host} without API keys: create one with "
                "`python -m assistant keys create --name NAME --role admin`, "
                "or set ASSISTANT_AUTH=off to serve without authentication")
    logging.getLogger("assistant").warning(
        "authentication is off: no API key exists yet, serving on loopback only "
        "(create one with `python -m assistant keys create --name NAME --role admin`)")
    return None


@app.command()
def mcp(
    key: Annotated[str | None, typer.Option(
        envvar="ASSISTANT_MCP_KEY", show_default=False,
        help="Answer as this API key (its collections apply); default: the local user.")] = None,
) -> None:
    """Serve the MCP server (tools ask, search, list_documents; the documents as resources) on
    stdin/stdout, for desktop MCP clients. Logs go to stderr."""
    from assistant.mcp.stdio import KeyRefused
    from assistant.mcp.stdio import serve as serve_mcp

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve_mcp(get_settings(), key)
    except KeyRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)


keys_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="API keys: create (printed once), list, revoke.")
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="A unique name for the key (who or what uses it).")],
    role: Annotated[str, typer.Option(help="reader, writer or admin.")] = "reader",
    collections: Annotated[str, typer.Option(help="Comma-separated collections, or '*' for all.")] = "default",
) -> None:
    """Create a key and print it once (only its hash is stored)."""
    from assistant.auth.keys import KeyError_

    try:
        key, record = _key_store().create(name, role, collections.split(","))
    except KeyError_ as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(key)
    typer.echo(f"created key {record.name!r} (role {record.role}, collections "
               f"{','.join(record.collections)}); it is shown only this once", err=True)


@keys_app.command("list")
def keys_list() -> None:
    """Name, role, collections, created, last used, revoked: never the key."""
    import datetime as dt

    def when(t):
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M") if t else "-"

    keys = _key_store().list()
    if not keys:
        typer.echo("no keys (authentication is off until one is created)")
        return
    typer.echo(f"{'name':<24} {'role':<7} {'collections':<24} {'created':<17} {'last used':<17} revoked")
    for k in keys:
        typer.echo(f"{k.name:<24} {k.role:<7} {','.join(k.collections):<24} {when(k.created):<17} "
                   f"{when(k.last_used):<17} {when(k.revoked) if k.revoked else ''}")


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key: it stops working at once in every API process."""
    from assistant.auth.keys import KeyError_

    try:
        _key_store().revoke(name)
    except KeyError_ as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"revoked {name!r}")


@app.command()
def audit(
    since_hours: Annotated[float, typer.Option(help="Entries from the last N hours.")] = 24.0,
    limit: Annotated[int, typer.Option(min=1, help="At most this many (the newest).")] = 1000,
) -> None:
    """Print the audit log (JSON lines)."""
    import time

    from assistant.auth.audit import AuditLog

    settings = get_settings()
    log_ = AuditLog.from_settings(settings)
    for entry in log_.read(since=time.time() - since_hours * 3600, limit=limit):
        typer.echo(json.dumps(entry, ensure_ascii=False))


@app.command("config-doc")
def config_doc(
    write: Annotated[bool, typer.Option(
        "--write", help="Replace the generated part of docs/configuration.md instead of printing.")] = False,
) -> None:
    """Print the settings reference of docs/configuration.md, generated from the settings class."""
    from assistant.core import config_doc as doc

    if not write:
        typer.echo(doc.render(), nl=False)
        return
    changed = doc.write()
    typer.echo(f"{doc.DOC_PATH.relative_to(doc.PROJECT_ROOT)}: {'updated' if changed else 'up to date'}",
               err=True)


if __name__ == "__main__":
    sys.exit(app())
