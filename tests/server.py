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
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
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
        jobs = IngestWorker(a.settings, a.store, a.embedder, poll_seconds=0.2).start()
    try:
        yield base
    finally:
        if jobs is not None:
            jobs.stop()
        server.should_exit = True
        thread.join(timeout=10)
