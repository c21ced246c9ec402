"""`python -m ingest [PATH...]`: index documents (default: the corpus folder)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.core.config import get_settings

app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def main(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders (default: the corpus folder).")] = None,
    prune: Annotated[bool, typer.Option(help="Remove indexed files that are gone from the given folders.")] = True,
    if_stale: Annotated[bool, typer.Option("--if-stale", help="Do nothing when the index is up to date.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    collection: Annotated[Optional[str], typer.Option("--collection", help="Put every document of this run into this collection (default: a document keeps its collection; new ones go to 'default'). Keys and Slack channels see only their collections.")] = None,
    reembed: Annotated[bool, typer.Option("--reembed", help="ASSISTANT_EMBED_MODEL differs from the index's model: re-embed every document into a new index (refused otherwise).")] = False,
) -> None:
    """Index documents. Exit code 0: all files indexed; 1: some files failed; 2: nothing usable."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    targets = paths or [settings.corpus_dir]
    if collection is not None:
        from assistant.core.collections import CollectionError, check_collection

        try:
            collection = check_collection(collection)
        except CollectionError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
    missing = [p for p in targets if not p.exists()]
    if missing:
        typer.echo(f"error: no such file or folder: {', '.join(map(str, missing))}", err=True)
        raise typer.Exit(2)

    from assistant.index.errors import StoreError, is_disk_full
    from assistant.index.store import ChunkStore
    from assistant.retrieval.embedding import EmbedderError, LazyEmbedder
    from ingest.pipeline import Ingestor

    try:
        store = ChunkStore(settings)
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)

    def say(msg: str) -> None:
        typer.echo(msg, err=True)

    # The model loads only if something needs embedding (a stale check never does).
    embedder = LazyEmbedder(settings.embed_model, settings.ingest_torch_threads)
    ingestor = Ingestor(settings, store, embedder, progress=not quiet and not as_json,
                        on_event=say, reembed=reembed or settings.reembed)
    if if_stale and not ingestor.is_stale(targets, collection):
        typer.echo("index is up to date", err=True)
        for src, (_, reason, *_) in sorted(store.failures().items()):
            typer.echo(f"note: {src} could not be ingested earlier: {reason}", err=True)
        return
    from ingest.pipeline import IngestBusy

    try:
        summary = ingestor.run(targets, prune=prune, collection=collection)
    except IngestBusy as exc:  # exit 3: refused, nothing changed
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(3)
    except (StoreError, EmbedderError) as exc:  # includes DiskFullError: what was half-written is removed
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(3)
    except Exception as exc:  # a full disk anywhere else (a cache, a lock file): one line too
        if not is_disk_full(exc):
            raise
        typer.echo(f"error: disk full ({exc}); the previous index keeps answering", err=True)
        raise typer.Exit(3)
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        typer.echo(
            f"files: {summary.files} (new {summary.files_new}, changed {summary.files_changed}, "
            f"unchanged {summary.files_unchanged}, removed {summary.files_removed}, "
            f"failed {len(summary.failed)})\n"
            f"chunks: added {summary.chunks_added}, reused {summary.chunks_reused}, "
            f"unchanged {summary.chunks_unchanged}, removed {summary.chunks_removed}, "
            f"total {summary.chunks_total}; chrome elements dropped {summary.chrome_dropped}\n"
            f"seconds: {summary.seconds:.2f} (embedding {summary.embed_seconds:.2f})"
        )
        for f in summary.failed:
            typer.echo(f"FAILED {f.path}: {f.reason}", err=True)
    if summary.failed:
        ok = summary.files - len(summary.failed)
        raise typer.Exit(1 if ok > 0 or summary.chunks_total else 2)


if __name__ == "__main__":
    sys.exit(app())
