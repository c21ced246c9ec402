"""Optional cross-encoder reranking (`ASSISTANT_RERANK_MODEL`, off by default).

A cross-encoder reads the question and a passage together and scores how well the passage answers
it: slower than the bi-encoder but usually more precise. Retrieval fuses BM25 and dense search,
then the reranker re-orders the first `ASSISTANT_RERANK_CANDIDATES` fused candidates, and the top
`top_k` of that order are returned. No reranker ships with its weights offline on these machines;
a team with one sets `ASSISTANT_RERANK_MODEL` to a sentence-transformers CrossEncoder folder (or a
hub name where the hub is reachable).
"""

from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from assistant.core.config import Settings
from assistant.retrieval.embedding import EmbedderError, _load_error, model_name


class RerankerError(EmbedderError):
    """The configured reranker cannot be loaded."""


class CrossEncoderReranker:
    def __init__(self, model: str, threads: int = 1) -> None:
        import torch
        from sentence_transformers import CrossEncoder

        self.name = model_name(model)
        torch.set_num_threads(threads)  # process-wide, like the embedder's: 1 when serving
        try:
            self._model = CrossEncoder(self.name, device="cpu")
        except Exception as exc:
            raise RerankerError(_load_error("reranker", "ASSISTANT_RERANK_MODEL", self.name, exc)) from exc
        self._lock = threading.Lock()

    def scores(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """One relevance score per text (higher: more relevant)."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        with self._lock:
            out = self._model.predict([(question, t) for t in texts], convert_to_numpy=True,
                                      show_progress_bar=False)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)[:, 0]


_shared: dict[str, CrossEncoderReranker] = {}
_shared_lock = threading.Lock()


def get_reranker(settings: Settings) -> CrossEncoderReranker | None:
    """The process-wide reranker `settings` ask for, or None when reranking is off."""
    if not (settings.rerank_model or "").strip():
        return None
    name = model_name(settings.rerank_model)
    with _shared_lock:
        if name not in _shared:
            _shared[name] = CrossEncoderReranker(name, threads=settings.torch_threads)
        return _shared[name]
