"""An on-disk embedding cache for evals, keyed by model name and text hash (SQLite)."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.retrieval.embedding import Embedder


class CachedEmbedder:
    """Wraps an `Embedder`; texts embedded once are read back from disk on later runs."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors "
                         "(model TEXT, hash TEXT, vector BLOB, PRIMARY KEY (model, hash))")
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def embed_texts(self, texts: Sequence[str], batch_size: int = 32,
                    show_progress: bool = False) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                rows = self._db.execute(
                    f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({','.join('?' * len(part))})",
                    [self.name, *part]).fetchall()
                found.update({h: np.frombuffer(v, dtype=np.float32) for h, v in rows})
        todo = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(keys) - len(todo)
        self.misses += len(todo)
        if todo:
            kwargs = {"show_progress": show_progress} if show_progress else {}
            vectors = self.inner.embed_texts([texts[i] for i in todo], batch_size=batch_size, **kwargs)
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                    [(self.name, keys[i], vectors[j].astype(np.float32).tobytes())
                     for j, i in enumerate(todo)])
                self._db.commit()
            for j, i in enumerate(todo):
                found[keys[i]] = vectors[j]
        if not keys:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)
