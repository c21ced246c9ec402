"""The audit log: one JSON line per request to a `/v1/*` route.

Each line holds the time, the key's name (never the key), the route (its template, such as
`/v1/documents/{document_id}`, never the raw path a client chose), the question, the collections
searched, the sources cited, the HTTP status and the latency. Lines are appended under a file
lock, so several API processes on one machine can share the file. Nothing secret is written: the
`Authorization` header, cookies and request bodies other than the question are never logged.

Bounded (red-team row 2): a line is at most `max_line_bytes` (longer text fields are cut and the
line says `"truncated": true`); the file is rotated to `audit.jsonl.1`, `.2`, ... when it passes
`max_bytes`, keeping `backups` old files; lines older than the retention are dropped (at most once
an hour per process). Reading and pruning stream the files line by line: memory stays bounded by
the number of entries asked for, whatever the size of the log.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterator

from filelock import FileLock

PRUNE_EVERY_S = 3600.0
CUT = " …[cut]"


class AuditLog:
    def __init__(self, path: Path, retention_days: float, clock=time.time, *,
                 max_line_bytes: int = 4096, max_bytes: int = 20_000_000,
                 backups: int = 5) -> None:
        self.path = Path(path)
        self.retention_s = retention_days * 86400
        self.clock = clock
        self.max_line_bytes = max_line_bytes
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = FileLock(str(self.path) + ".lock")
        self._pruned = 0.0

    @classmethod
    def from_settings(cls, settings) -> "AuditLog":
        return cls(settings.audit_path, settings.audit_retention_days,
                   max_line_bytes=settings.audit_max_line_bytes,
                   max_bytes=settings.audit_max_bytes, backups=settings.audit_backups)

    # --- writing ---
    def encode(self, entry: dict) -> bytes:
        """One JSON line of at most `max_line_bytes`: the longest text fields are cut first."""
        line = _dump(entry)
        if len(line) <= self.max_line_bytes:
            return line
        entry = dict(entry, truncated=True)
        for _ in range(len(entry) + 1):
            over = len(_dump(entry)) - self.max_line_bytes
            if over <= 0:
                break
            name, value = max(((k, v) for k, v in entry.items()),
                              key=lambda kv: len(_dump(kv[1])))
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            keep = max(0, len(text.encode("utf-8", "replace")) - over - len(CUT) - 16)
            entry[name] = text.encode("utf-8", "replace")[:keep].decode("utf-8", "ignore") + CUT
        return _dump(entry)[: self.max_line_bytes - 1].rstrip(b"\n") + b"\n"

    def write(self, **entry: Any) -> None:
        line = self.encode({"time": round(self.clock(), 3), **entry})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._rotate_if_full(len(line))
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        if self.clock() - self._pruned > PRUNE_EVERY_S:
            self.prune()

    def _rotate_if_full(self, adding: int) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size + adding <= self.max_bytes:
            return
        for i in range(self.backups, 0, -1):  # .4 -> .5, ..., current -> .1; the oldest goes
            src = self.path if i == 1 else self._backup(i - 1)
            if src.exists():
                os.replace(src, self._backup(i))

    def _backup(self, i: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{i}")

    def files(self) -> list[Path]:
        """The log's files, oldest first (rotated backups, then the current file)."""
        older = [self._backup(i) for i in range(self.backups, 0, -1)]
        return [p for p in older + [self.path] if p.exists()]

    # --- pruning and reading (streamed) ---
    def prune(self) -> int:
        """Drop lines older than the retention, file by file, streaming; returns how many."""
        self._pruned = self.clock()
        cutoff = self.clock() - self.retention_s
        dropped = 0
        with self._lock:
            for path in self.files():
                dropped += self._prune_file(path, cutoff, keep_empty=path == self.path)
        return dropped

    @staticmethod
    def _prune_file(path: Path, cutoff: float, keep_empty: bool) -> int:
        dropped = 0
        tmp = path.with_name(path.name + ".tmp")
        with path.open("rb") as src, open(tmp, "wb") as out:
            for raw in src:
                if _time_of(raw) < cutoff:
                    dropped += 1
                else:
                    out.write(raw)
        if dropped:
            os.chmod(tmp, 0o600)
            if tmp.stat().st_size == 0 and not keep_empty:  # a rotated file, now all too old
                path.unlink()
                tmp.unlink()
            else:
                os.replace(tmp, path)
        else:
            tmp.unlink()
        return dropped

    def entries(self, match: Callable[[dict], bool] | None = None) -> Iterator[dict]:
        """Every entry, oldest first, streamed from the files (skipping unreadable lines)."""
        for path in self.files():
            try:
                f = path.open("rb")
            except FileNotFoundError:  # rotated away meanwhile
                continue
            with f:
                for raw in f:
                    try:
                        e = json.loads(raw)
                    except ValueError:
                        continue
                    if isinstance(e, dict) and (match is None or match(e)):
                        yield e

    def read(self, since: float | None = None, limit: int = 1000,
             match: Callable[[dict], bool] | None = None) -> Iterator[dict]:
        """The newest `limit` entries (after `since`, passing `match`), oldest first; memory
        holds at most `limit` of them."""
        def wanted(e: dict) -> bool:
            return (since is None or _num(e.get("time")) >= since) and (match is None or match(e))

        return iter(deque(self.entries(wanted), maxlen=limit))


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                      default=str).encode("utf-8", "replace") + b"\n"


def _num(value: Any) -> float:
    return value if isinstance(value, (int, float)) else 0.0


def _time_of(raw: bytes) -> float:
    try:
        e = json.loads(raw)
    except ValueError:
        return float("inf")  # kept: not ours to judge
    return _num(e.get("time")) if isinstance(e, dict) else float("inf")
