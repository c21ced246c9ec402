"""The audit log: one JSON line per request to a `/v1/*` route.

Each line holds the time, the key's name (never the key), the route, the question, the
collections searched, the sources cited, the HTTP status and the latency. Lines are appended
under a file lock, so several API processes on one machine can share the file; lines older than
the retention are dropped (at most once an hour per process). Nothing secret is written: the
`Authorization` header, cookies and request bodies other than the question are never logged.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Iterator

from filelock import FileLock

PRUNE_EVERY_S = 3600.0


class AuditLog:
    def __init__(self, path: Path, retention_days: float, clock=time.time) -> None:
        self.path = Path(path)
        self.retention_s = retention_days * 86400
        self.clock = clock
        self._lock = FileLock(str(self.path) + ".lock")
        self._pruned = 0.0

    def write(self, **entry: Any) -> None:
        entry = {"time": round(self.clock(), 3), **entry}
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"),
                          default=str).encode("utf-8", "replace") + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        if self.clock() - self._pruned > PRUNE_EVERY_S:
            self.prune()

    def prune(self) -> int:
        """Drop lines older than the retention; returns how many were dropped."""
        self._pruned = self.clock()
        if not self.path.exists():
            return 0
        cutoff = self.clock() - self.retention_s
        with self._lock:
            kept, dropped = [], 0
            with self.path.open("rb") as f:
                for raw in f:
                    try:
                        old = json.loads(raw).get("time", 0) < cutoff
                    except ValueError:
                        old = False
                    if old:
                        dropped += 1
                    else:
                        kept.append(raw)
            if dropped:
                tmp = self.path.with_suffix(".tmp")
                tmp.write_bytes(b"".join(kept))
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.path)
        return dropped

    def read(self, since: float | None = None, limit: int = 1000) -> Iterator[dict]:
        """The newest `limit` entries (after `since`), oldest first."""
        if not self.path.exists():
            return iter(())
        out: list[dict] = []
        with self.path.open("rb") as f:
            for raw in f:
                try:
                    e = json.loads(raw)
                except ValueError:
                    continue
                if since is None or e.get("time", 0) >= since:
                    out.append(e)
        return iter(out[-limit:])
