"""The assistant: retrieval plus answer generation. The one code path behind the API, the CLI,
the Slack bot and the evals."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

from assistant.answering import Answer, Generator, make_generator
from assistant.config import Settings
from assistant.embedding import Embedder, get_embedder
from assistant.retrieval import HybridRetriever, Passage
from assistant.store import ChunkStore


@dataclass
class Result:
    answer: Answer
    passages: list[Passage]
    timings: dict[str, float]


class Assistant:
    def __init__(self, settings: Settings, store: ChunkStore, embedder: Embedder,
                 generator: Generator | None = None) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.retriever = HybridRetriever(store, embedder, settings)
        self.generator = generator or make_generator(settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Assistant":
        return cls(settings, ChunkStore(settings), get_embedder(settings.torch_threads))

    def ask(self, question: str, top_k: int | None = None,
            sources: Sequence[str] | None = None) -> Result:
        t0 = time.perf_counter()
        passages = self.retriever.retrieve(question, top_k=top_k, sources=sources)
        t1 = time.perf_counter()
        answer = self.generator.answer(question, passages, self.retriever.snapshot())
        t2 = time.perf_counter()
        return Result(answer=answer, passages=passages,
                      timings={"retrieve_ms": (t1 - t0) * 1000, "generate_ms": (t2 - t1) * 1000})
