"""`python -m assistant ask "QUESTION"` and `python -m assistant serve`."""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from typing import Annotated, Optional

import typer

from assistant.config import get_settings

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON response.")] = False,
    top_k: Annotated[Optional[int], typer.Option(min=1, max=20, help="Passages to retrieve.")] = None,
    source: Annotated[Optional[list[str]], typer.Option(help="Only search this document (repeatable).")] = None,
) -> None:
    """Answer one question and print the answer with its sources."""
    from pydantic import ValidationError

    from assistant.responses import NO_INDEX, build_response
    from assistant.retrieval import EmptyIndexError
    from assistant.schemas import ChatRequest
    from assistant.service import Assistant
    from assistant.store import StoreError

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
    except StoreError as exc:
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
    if workers > 1:
        uvicorn.run("assistant.api:create_app", factory=True, host=host, port=port, workers=workers)
    else:
        from assistant.api import create_app

        uvicorn.run(create_app(), host=host, port=port)


if __name__ == "__main__":
    sys.exit(app())
