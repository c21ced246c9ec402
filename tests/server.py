"""Run an ASGI app under a real uvicorn server on a loopback port, in a thread, with the ingest
worker beside it (as `python -m assistant serve` starts one) so that uploads are ingested."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import httpx
import uvicorn

from tests.conftest import free_port


@contextmanager
def serve(app, ready_path: str = "/docs", worker: bool = True):
    port = free_port()
    settings = getattr(getattr(app, "state", None), "settings", None)
    options = {}
    if settings is not None:  # the options `python -m assistant serve` uses (proxy headers)
        from assistant.api.app import server_options

        options = server_options(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(base + ready_path, timeout=2).status_code < 500:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError("server did not start")
    jobs = None
    state = getattr(app, "state", None)
    if worker and getattr(state, "documents", None) is not None:
        from ingest.worker import IngestWorker

        a = state.assistant
        settings = getattr(state, "settings", None) or a.settings  # the app's, as `serve` does
        jobs = IngestWorker(settings, a.store, a.embedder, poll_seconds=0.2).start()
    try:
        yield base
    finally:
        if jobs is not None:
            jobs.stop()
        server.should_exit = True
        thread.join(timeout=10)
