"""The answer contract shared by every generator: Answer, Citation, Delta, Generator."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Protocol, Sequence

from assistant.core.text import MARKER_NUMBERS
from assistant.retrieval.hybrid import Passage

NOT_COVERED = "The documents don't cover this."


class CorpusStats(Protocol):
    """What the answerer may ask of the whole index."""

    def idf(self, term: str) -> float: ...

    def neighbor(self, passage: Passage, offset: int) -> Passage | None:
        """The chunk `offset` positions after (or before) `passage` in its document."""
        ...

    def header(self, source: str) -> Passage | None:
        """The first chunk of a document (where its dateline and byline are)."""
        ...


@dataclass
class Citation:
    n: int
    source: str
    title: str
    text: str
    page: int | None
    score: float
    section: str | None = None
    passage_id: str = ""


ANSWERED, HEDGED, ABSTAINED = "answered", "hedged", "abstained"
# The hedge's own words: said before the closest cited sentences when the documents may not state
# the answer plainly.
HEDGE = "The documents may not state this directly. The closest passages say:"


@dataclass
class Answer:
    answer: str
    citations: list[Citation]
    abstained: bool  # true for a hedge too: the answer does not claim to answer the question
    generator: str
    reason: str | None = None
    extra: dict = field(default_factory=dict)
    # "answered", "hedged" (the closest cited sentences and what they may not state) or
    # "abstained" (nothing cited); None: derived from `abstained` and the citations.
    kind: str | None = None
    shape: str = "single"  # "single" | "list" | "comparison" | "summary"
    items: list[dict] = field(default_factory=list)  # list/comparison: [{"text", "citations"}]

    @property
    def answer_type(self) -> str:
        if self.kind:
            return self.kind
        if not self.abstained:
            return ANSWERED
        return HEDGED if self.citations else ABSTAINED


@dataclass
class Delta:
    """A piece of answer text as it is produced (for streaming)."""

    text: str


class Generator(Protocol):
    """Turns a question and retrieved passages into a cited answer."""

    name: str

    def answer(self, question: str, passages: Sequence[Passage], stats: CorpusStats) -> Answer: ...

    def stream(self, question: str, passages: Sequence[Passage],
               stats: CorpusStats) -> Iterator[Delta | Answer]:
        """Deltas of text as they are ready, then the final (verified) Answer."""
        ...


# a claim: text up to and including its run of [n] markers
_CLAIM = re.compile(r".+?(?:(?:" + MARKER_NUMBERS.pattern + r"\s*)+|$)")


def stream_sentences(answer: Answer) -> Iterator[Delta | Answer]:
    """Stream a finished answer sentence by sentence (for generators that do not stream)."""
    for m in _CLAIM.finditer(answer.answer):
        if m.group(0):
            yield Delta(m.group(0))
    yield answer

