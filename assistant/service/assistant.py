"""The assistant: follow-up rewriting, retrieval and answer generation. The one code path behind
the API, the web page, the CLI, the Slack bot and the evals."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from assistant.answers import Answer, Delta, Generator, make_generator
from assistant.answers.shapes import shape_of
from assistant.answers.types import stream_sentences
from assistant.core.config import Settings
from assistant.core.turn import Turn
from assistant.index.store import ChunkStore
from assistant.retrieval.coverage import cover, uncovered
from assistant.retrieval.embedding import Embedder, get_embedder
from assistant.retrieval.followup import Rewriter, RuleRewriter
from assistant.retrieval.hybrid import HybridRetriever, Passage, Retriever
from assistant.retrieval.spelling import correct, surface_in
from assistant.service.conversations import ConversationStore
from assistant.service.feedback import FeedbackStore
from assistant.service.tables import answer_from_tables


@dataclass
class Result:
    answer: Answer
    passages: list[Passage]
    timings: dict[str, float]
    question: str = ""  # as asked
    standalone: str = ""  # as searched
    conversation_id: str | None = None
    extra: dict = field(default_factory=dict)
    note: str = ""  # said before the answer: "Showing results for Fucaso. "
    corrections: list[dict] = field(default_factory=list)  # misspelt names searched as others


class Assistant:
    def __init__(self, settings: Settings, store: ChunkStore, embedder: Embedder,
                 generator: Generator | None = None, rewriter: Rewriter | None = None) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.retriever: Retriever = HybridRetriever(store, embedder, settings)
        self.generator = generator or make_generator(settings)
        self.rewriter = rewriter or getattr(self.generator, "rewriter", None) or RuleRewriter()
        self.conversations = ConversationStore(store.client, settings.collection_prefix,
                                               settings.conversation_ttl_hours * 3600)
        self.feedback = FeedbackStore(store.client, settings.collection_prefix,
                                      settings.feedback_retention_days)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Assistant":
        return cls(settings, ChunkStore(settings),
                   get_embedder(settings.torch_threads, settings.embed_model))

    def _prepare(self, question: str, conversation_id: str | None, owner: str | None,
                 history: Sequence[Turn] | None = None) -> tuple[str, str | None]:
        if conversation_id is None:
            # `history`: turns the client holds itself (an OpenAI-style client resends the
            # whole conversation with every question; see service.transcript)
            return (self.rewriter.rewrite(question, history) if history else question), None
        history = self.conversations.history(conversation_id, owner)
        return self.rewriter.rewrite(question, history), conversation_id

    def _remember(self, result: Result, owner: str | None) -> None:
        if result.conversation_id is None:
            return
        a = result.answer
        self.conversations.append(result.conversation_id, Turn(
            question=result.question, standalone=result.standalone, answer=a.answer,
            abstained=a.abstained, sources=[c.source for c in a.citations]), owner)

    def ask(self, question: str, top_k: int | None = None, sources: Sequence[str] | None = None,
            conversation_id: str | None = None, owner: str | None = None,
            collections: Sequence[str] | None = None, history: Sequence[Turn] | None = None,
            generator: Generator | None = None) -> Result:
        result = None
        for item in self.stream(question, top_k, sources, conversation_id, owner, collections,
                                history, generator):
            if isinstance(item, Result):
                result = item
        assert result is not None
        return result

    def _finish(self, answer: Answer, question: str, standalone: str, conversation_id: str | None,
                owner: str | None, t0: float) -> Iterator[Delta | Result]:
        """A table answer: streamed claim by claim, then its result (no passages retrieved)."""
        t1 = time.perf_counter()
        for item in stream_sentences(answer):
            if isinstance(item, Delta):
                yield item
        result = Result(answer=answer, passages=[], question=question, standalone=standalone,
                        conversation_id=conversation_id,
                        timings={"retrieve_ms": (t1 - t0) * 1000, "generate_ms": 0.0,
                                 "first_delta_ms": (t1 - t0) * 1000})
        self._remember(result, owner)
        yield result

    def _search(self, question: str, top_k: int | None, sources: Sequence[str] | None, view):
        """The question's passages and their index view; with `cover_names`, and a passage for
        each comparison side or name they leave out (`retrieval.coverage`)."""
        passages, index = self.retriever.search(question, top_k=top_k, sources=sources, view=view)
        if self.settings.cover_names:
            passages = self._cover(question, passages, index, sources)
        return passages, index

    def _cover(self, question: str, passages: list[Passage], view, sources: Sequence[str] | None) -> list[Passage]:
        shape = shape_of(question)
        sides = list(zip(shape.labels, shape.sides)) if shape.kind == "comparison" else []
        searches = uncovered(question, passages, lambda t: view.doc_freq(t) > 0, sides)
        if not searches:
            return passages
        return cover(lambda q, k: self.retriever.search(q, top_k=k, sources=sources, view=view)[0],
                     passages, searches)

    def stream(self, question: str, top_k: int | None = None, sources: Sequence[str] | None = None,
               conversation_id: str | None = None,
               owner: str | None = None,
               collections: Sequence[str] | None = None,
               history: Sequence[Turn] | None = None,
               generator: Generator | None = None) -> Iterator[Result | Delta | dict]:
        """Yields {"standalone": ...} first, then answer deltas, then the final Result.

        With a `conversation_id` the question continues that conversation (creating it when it
        is new) on behalf of `owner`: another owner's conversation is an UnknownConversation,
        never read or changed. `owner` None is a trusted in-process caller (CLI, evals); the
        HTTP API and the Slack bot always pass theirs.
        `collections`: the collections the asker sees (None: all). Everything after the
        follow-up rewrite (which reads only this conversation's own turns) works on the index
        as seen from them: spelling corrections, retrieval, and the answerer's neighbour and
        header look-ups.
        `history`: the earlier turns when the client keeps the conversation itself (no
        `conversation_id`); `generator`: another answerer than the configured one (the
        OpenAI-compatible `model`, see service.models)."""
        t0 = time.perf_counter()
        standalone, conversation_id = self._prepare(question, conversation_id, owner, history)
        # A misspelt name ("Fucasso") is searched as the nearest name the index knows.
        view = self.retriever.snapshot().scoped(collections)
        standalone, corrections = correct(standalone, view)
        yield {"question": question, "standalone": standalone, "conversation_id": conversation_id}
        table = (answer_from_tables(standalone, self.store, view, collections, sources)
                 if self.settings.table_answers else None)
        if table is not None:  # a list, count or ranking of records: answered from the tables
            yield from self._finish(table, question, standalone, conversation_id, owner, t0)
            return
        passages, index = self._search(standalone, top_k, sources, view)
        t1 = time.perf_counter()
        answer: Answer | None = None
        first: float | None = None
        note = ""
        if corrections:
            shown = [surface_in(passages, c.term) or c.right for c in corrections]
            for c, s in zip(corrections, shown):
                standalone = standalone.replace(c.right, s)
            note = f"Showing results for {', '.join(shown)}. "
            first = time.perf_counter()
            yield Delta(note)
        for item in (generator or self.generator).stream(standalone, passages, index):
            if isinstance(item, Delta):
                first = first or time.perf_counter()
                yield item
            else:
                answer = item
        assert answer is not None, "a generator must end its stream with an Answer"
        t2 = time.perf_counter()
        # The generator's answer is left as it made it; the note ("Showing results for …") and
        # the corrections travel beside it, and `build_response` puts the note first.
        result = Result(answer=answer, passages=passages, question=question, standalone=standalone,
                        conversation_id=conversation_id, note=note,
                        corrections=[{"asked": c.wrong, "searched": s}
                                     for c, s in zip(corrections, shown)] if corrections else [],
                        timings={"retrieve_ms": (t1 - t0) * 1000, "generate_ms": (t2 - t1) * 1000,
                                 "first_delta_ms": ((first or t2) - t0) * 1000})
        self._remember(result, owner)
        yield result
