"""Every call into the Chroma client goes through a `StoreGuard`: a time limit, full-disk
detection, and a fresh client after a failure.

Why (issue 14): at 0 bytes free the embedded Chroma (Rust bindings) fails a write with "database
or disk is full", and the *next* write on that same client, even once space is freed, blocks
forever while holding the GIL: the whole process freezes (no /health, SIGTERM ignored). A fresh
client on the same folder works. So:

- Each call runs on a small pool of daemon worker threads and is waited for at most
  `ASSISTANT_STORE_TIMEOUT_SECONDS`; past that the caller gets `StoreTimeout` (a 503) and the
  worker is abandoned (a daemon thread never keeps the process from exiting).
- A call that fails with a full disk raises `DiskFullError` (a 503 with a plain message), and a
  call that fails that way or times out *retires the client*: the next call opens a new one, so a
  wedged client is never called again and the store answers again as soon as space is freed.
- `status()` says whether the last call failed and why, without touching the store, so /health
  answers at once even while a call hangs.

Collections handed out are `GuardedCollection`s: they look the collection up again on the current
client after a reset, so holders (the retriever's open segments, the conversation store) need
not know.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable

from assistant.index.errors import DiskFullError, StoreError, StoreTimeout, is_disk_full

log = logging.getLogger(__name__)

WORKERS = 8


class StoreGuard:
    def __init__(self, factory: Callable[[], Any], timeout: float, path: str | None = None,
                 workers: int = WORKERS) -> None:
        self._factory = factory
        self.timeout = timeout
        self.path = path  # the embedded store's folder (free-space checks), None for a server
        self._client = None
        self.generation = 0
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._workers = workers
        self._started = 0
        self._busy = 0
        self.hung = 0  # calls past their deadline that have not returned yet
        self.failure: tuple[str, float] | None = None  # (reason, when) of the last failed call
        self.last_ok = time.time()

    # --- the client ---
    @property
    def client(self):
        with self._lock:
            if self._client is None:
                try:
                    self._client = self._factory()
                except Exception as exc:
                    raise self._open_failed(exc) from exc
                self.generation += 1
            return self._client

    def _open_failed(self, exc: Exception) -> Exception:

        if self.path is not None:  # a half-started system must not be reused by the next try
            _forget_identifier(self.path)
        free = self.free_bytes()
        if is_disk_full(exc) or (free is not None and free < 1 << 20):
            return DiskFullError(f"disk full: the store cannot be opened ({exc})")
        return StoreError(f"cannot open the store: {exc}")

    def reset(self, why: str) -> None:
        """Retire the current client (never call it again); the next call opens a new one."""
        with self._lock:
            if self._client is None:
                return
            log.info("store client retired (%s); the next call opens a fresh one", why)
            old, self._client = self._client, None
        _forget_shared_system(old)

    # --- calls ---
    def run(self, fn: Callable[..., Any], *args, **kwargs) -> Any:
        fut: Future = Future()
        with self._lock:
            if self._busy >= self._started and self._started < self._workers:
                self._started += 1
                threading.Thread(target=self._work, name=f"store-{self._started}",
                                 daemon=True).start()
        self._jobs.put((fut, fn, args, kwargs))
        try:
            result = fut.result(timeout=self.timeout)
        except TimeoutError:
            if not fut.cancel():  # running: its worker is stuck in the store
                with self._lock:
                    self.hung += 1
                fut.add_done_callback(self._unhung)
            self._fail("the store did not answer within "
                       f"{self.timeout:g} s (ASSISTANT_STORE_TIMEOUT_SECONDS)")
            self.reset("a call timed out")
            raise StoreTimeout(f"the store did not answer within {self.timeout:g} s") from None
        except StoreError as exc:
            if isinstance(exc, DiskFullError) or is_disk_full(exc):
                self._fail("out of disk space")
                self.reset("disk full")
            raise
        except Exception as exc:
            if is_disk_full(exc):
                self._fail("out of disk space")
                self.reset("disk full")
                raise DiskFullError(f"disk full: {exc}") from exc
            raise
        self.failure = None
        self.last_ok = time.time()
        return result

    def _unhung(self, _fut) -> None:
        with self._lock:
            self.hung -= 1

    def _fail(self, reason: str) -> None:
        self.failure = (reason, time.time())

    def _work(self) -> None:
        while True:
            fut, fn, args, kwargs = self._jobs.get()
            if not fut.set_running_or_notify_cancel():
                continue
            with self._lock:
                self._busy += 1
            try:
                fut.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to the caller
                fut.set_exception(exc)
            finally:
                with self._lock:
                    self._busy -= 1

    # --- health ---
    def free_bytes(self) -> int | None:
        if self.path is None:
            return None
        try:
            st = os.statvfs(self.path)
        except OSError:
            return None
        return st.f_bavail * st.f_frsize

    def status(self) -> str | None:
        """Why the store is degraded now, or None. Never calls the store."""
        if self.hung:
            return f"a store call has not returned for over {self.timeout:g} s"
        free = self.free_bytes()
        if free is not None and free < 1 << 20:
            return "the store is out of disk space"
        if self.failure is not None:
            reason, _ = self.failure
            if reason == "out of disk space" and free is not None:
                return None  # space was freed: the next call uses a fresh client
            return reason
        return None


def _forget_shared_system(client) -> None:
    """Chroma shares one `System` per folder between clients; drop ours from that cache (without
    stopping it: a wedged one may never stop) so the next client gets a new one."""
    try:

        ident = getattr(client, "_identifier", None)
        if ident is not None:
            _forget_identifier(ident)
    except Exception as exc:  # an older/newer chromadb: the next client may share the system
        log.debug("could not forget the chroma system: %s", exc)


def _forget_identifier(ident: str) -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(ident, None)
    SharedSystemClient._identifier_to_refcount.pop(ident, None)


class GuardedClient:
    """The Chroma client API the project uses, each call through the guard."""

    def __init__(self, guard: StoreGuard) -> None:
        self.guard = guard

    def _call(self, method: str, *args, **kwargs):
        return self.guard.run(lambda: getattr(self.guard.client, method)(*args, **kwargs))

    def get_collection(self, name, **kwargs):
        self._call("get_collection", name, **kwargs)
        return GuardedCollection(self.guard, name, "get_collection", kwargs)

    def get_or_create_collection(self, name, **kwargs):
        self._call("get_or_create_collection", name, **kwargs)
        return GuardedCollection(self.guard, name, "get_or_create_collection", kwargs)

    def create_collection(self, name, **kwargs):
        self._call("create_collection", name, **kwargs)
        return GuardedCollection(self.guard, name, "get_collection",
                                 {"embedding_function": kwargs.get("embedding_function")})

    def __getattr__(self, method):  # list_collections, delete_collection, get_max_batch_size...
        return lambda *args, **kwargs: self._call(method, *args, **kwargs)


class GuardedCollection:
    def __init__(self, guard: StoreGuard, name: str, how: str, kwargs: dict) -> None:
        self._guard = guard
        self.name = name
        self._how = how
        self._kwargs = kwargs
        self._col = None
        self._gen = -1

    def _resolve(self):
        client = self._guard.client
        if self._col is None or self._gen != self._guard.generation:
            self._col = getattr(client, self._how)(self.name, **self._kwargs)
            self._gen = self._guard.generation
        return self._col

    @property
    def metadata(self):
        return self._guard.run(lambda: self._resolve().metadata)

    def __getattr__(self, method):  # get, upsert, add, query, delete, count, modify...
        return lambda *args, **kwargs: self._guard.run(
            lambda: getattr(self._resolve(), method)(*args, **kwargs))
