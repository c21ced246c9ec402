"""The hand-fitted rules answerer the learned one replaced (issue 10), kept as the "before" of every
before/after figure. Not used by the product.

It composes answers from passage sentences.

`ExtractiveGenerator` needs no language model. It scores every sentence of the retrieved passages
against the question, keeps the ones that answer it, orders them readably and puts the [n] marker
of the passage it came from after each one. Every sentence of an answer is a sentence of a
passage, verbatim, so it can never state a number the documents do not.

It abstains ("the documents don't cover this") when
- a specific term of the question (a number, a year, a name or code name) occurs in none of the
  retrieved passages: "How many therapies did the FDA approve in 2022?" is not answered with
  the 2023 figure; or
- the best evidence scores below `abstain_threshold` (calibrated on the eval set, see docs/evals.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Sequence

from assistant.answers.question import _Question, analyse
from assistant.answers.types import (
    NOT_COVERED,
    Answer,
    Citation,
    CorpusStats,
    Delta,
    stream_sentences,
)
from assistant.core.config import Settings
from assistant.core.text import question_terms, terms, words
from assistant.retrieval.anchors import Anchor, anchor_in
from assistant.retrieval.hybrid import Passage

_LIST_INTRO = re.compile(r"(:\s*$|\b(the following|here are|include|includes|including)\b)",
                         re.IGNORECASE)
_WS = re.compile(r"\s+")
_PRONOUN_START = re.compile(r"^(they|this|these|it|its|such|those|their|he|she|both)\b", re.I)
_CONTINUES = re.compile(r"^(\w+\s+){0,3}also\b", re.I)


@dataclass
class _Candidate:
    passage: Passage
    index: int  # sentence position in the passage
    text: str
    coverage: float  # IDF-weighted share of question terms in the sentence
    context: float  # same, over the whole passage with its title and section
    typed: bool  # holds the kind of value the question asks for (if it asks for one)
    score: float = 0.0

    @property
    def evidence(self) -> float:
        dense = self.passage.dense if self.passage.dense is not None else 0.0
        return 0.45 * self.coverage + 0.25 * self.context + 0.30 * max(0.0, dense)


class RulesGenerator:
    """Answers with verbatim passage sentences, each followed by its [n] marker."""

    name = "rules"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def answer(self, question: str, passages: Sequence[Passage], stats: CorpusStats) -> Answer:
        q = analyse(question, stats)
        if not passages or not q.weights:
            return self.abstain("no passage matched the question")
        passages = list(passages)
        if q.about_document:
            # A document's own date and author are in its dateline and byline, in its first chunk.
            passages = self._headers(passages, stats)

        vocab = {p.id: _vocabulary(p) for p in passages}
        everywhere = set().union(*vocab.values())
        missing = [a for a in q.anchors if not anchor_in(a, everywhere)]
        if missing:
            return self.abstain(f"no passage mentions {_quote(missing)}")
        # A passage can carry the answer only if it holds every number of the question ("in
        # 2022") and, when the question names something, at least one of the names.
        numeric = [a for a in q.anchors if a.numeric]
        names = [a for a in q.anchors if not a.numeric]
        usable = [p for p in passages
                  if all(anchor_in(a, vocab[p.id]) for a in numeric)
                  and (not names or any(anchor_in(a, vocab[p.id]) for a in names))]
        if not usable:
            return self.abstain(f"no passage mentions {_quote(q.anchors)} together")

        candidates = self._candidates(q, usable, vocab)
        if q.wanted:
            kind = q.wanted[0]
            candidates = [c for c in candidates if c.typed]
            if not candidates:
                return self.abstain(f"the passages that match give no {kind}")
            if q.asked:
                # "What was Novartis' total revenue?" is not answered by any Novartis figure:
                # the sentence must also name what is asked about.
                candidates = [c for c in candidates
                              if q.asked & set(question_terms(c.text)) or q.about_document]
                if not candidates:
                    return self.abstain(f"no passage gives that {kind}")
        if not candidates:
            return self.abstain("no sentence of the retrieved passages matches the question")

        candidates.sort(key=lambda c: -c.score)
        best = candidates[0]
        evidence = best.evidence
        if evidence < self.settings.abstain_threshold:
            return self.abstain("the closest passages match too little of the question",
                                 evidence=evidence)
        chosen = self._select(candidates, stats)
        for c in chosen:
            vocab.setdefault(c.passage.id, _vocabulary(c.passage))
        # Every number, name and code name of the question must be in what the answer cites.
        for a in q.anchors:
            if any(anchor_in(a, vocab[c.passage.id]) for c in chosen):
                continue
            extra = next((c for c in candidates if anchor_in(a, vocab[c.passage.id])
                          and c.score >= self.settings.sentence_keep_ratio * best.score / 2), None)
            if extra is None:
                return self.abstain(f"no passage that answers it mentions {_quote([a])}",
                                     evidence=evidence)
            chosen.append(extra)
        return self._compose(chosen, evidence)

    @staticmethod
    def _headers(passages: list[Passage], stats: CorpusStats) -> list[Passage]:
        """The first chunk of each retrieved document, ranked as its document was."""
        out = []
        for rank, src in enumerate(dict.fromkeys(p.source for p in passages), start=1):
            head = stats.header(src)
            if head is not None:
                head.rank = rank
                head.dense = max((p.dense or 0.0) for p in passages if p.source == src)
                out.append(head)
        return out

    def _candidates(self, q: _Question, usable: list[Passage],
                    vocab: dict[str, set[str]]) -> list[_Candidate]:
        best_rank = min(p.rank for p in usable) or 1
        out: list[_Candidate] = []
        for p in usable:
            p_vocab = vocab[p.id] | set(question_terms(p.title)) | set(question_terms(p.section or ""))
            context = q.coverage(p_vocab)
            anchor_share = (sum(anchor_in(a, vocab[p.id]) for a in q.anchors) / len(q.anchors)
                            if q.anchors else 1.0)
            rank_weight = best_rank / p.rank if p.rank else 1.0
            for i, sent in enumerate(p.sentence_texts()):
                text = sent.strip()
                if len(text) < 12 or len(words(text)) < 3:
                    continue
                coverage = q.coverage(set(question_terms(text)))
                typed = bool(q.wanted and q.wanted[1].search(text))
                if q.about_document:
                    # The dateline or byline shares no words with the question; the document's
                    # title (in `context`) is what matches.
                    if not typed:
                        continue
                elif coverage == 0:
                    continue
                c = _Candidate(p, i, text, coverage, context, typed)
                c.score = (0.5 * coverage + 0.25 * context + 0.1 * rank_weight
                           + (0.15 if typed else 0.0)) * (0.5 + 0.5 * anchor_share)
                out.append(c)
        return out

    def _select(self, candidates: list[_Candidate], stats: CorpusStats) -> list[_Candidate]:
        best = candidates[0].score
        limit = self.settings.max_answer_sentences
        chosen: list[_Candidate] = []
        seen_text: set[str] = set()
        for c in candidates:
            if len(chosen) >= limit or c.score < self.settings.sentence_keep_ratio * best:
                break
            key = " ".join(words(c.text))
            if key in seen_text:
                continue
            seen_text.add(key)
            chosen.append(c)
        taken = {(c.passage.id, c.index) for c in chosen}
        extra: list[_Candidate] = []

        def take(c: _Candidate, passage: Passage, j: int, text: str) -> None:
            if (passage.id, j) not in taken:
                extra.append(_Candidate(passage, j, text.strip(), 0.0, c.context, False, c.score))
                taken.add((passage.id, j))

        for c in chosen:
            sents = c.passage.sentence_texts()
            # A sentence that opens with "They"/"This" needs the one before it to be understood.
            if _PRONOUN_START.match(c.text) and c.index > 0:
                take(c, c.passage, c.index - 1, sents[c.index - 1])
            # Sentences that go on about the same thing ("They will need...", "CDMOs also...").
            j = c.index + 1
            while j < len(sents) and j <= c.index + 2 and (
                    _PRONOUN_START.match(sents[j].strip()) or _CONTINUES.match(sents[j].strip())):
                take(c, c.passage, j, sents[j])
                j += 1
            if not _LIST_INTRO.search(c.text):
                continue
            # A list introduction brings its items, possibly from the document's next chunk.
            passage, j, items = c.passage, c.index + 1, 0
            while items < limit:
                sents = passage.sentence_texts()
                if j >= len(sents):
                    nxt = stats.neighbor(passage, 1)
                    if nxt is None or passage is not c.passage:
                        break
                    nxt.rank, nxt.dense = c.passage.rank, c.passage.dense
                    passage, j = nxt, 0
                    continue
                take(c, passage, j, sents[j])
                items += 1
                j += 1
        return chosen + extra[: max(0, 2 * limit - len(chosen))]

    def _compose(self, chosen: list[_Candidate], evidence: float) -> Answer:
        # Passages in order of their best sentence; sentences in document order within each.
        order: list[str] = []
        best_in: dict[str, float] = {}
        for c in chosen:
            if c.passage.id not in order:
                order.append(c.passage.id)
            best_in[c.passage.id] = max(best_in.get(c.passage.id, 0.0), c.evidence)
        numbers = {pid: n for n, pid in enumerate(order, start=1)}
        chosen.sort(key=lambda c: (numbers[c.passage.id], c.index))
        parts = [f"{_WS.sub(' ', c.text)} [{numbers[c.passage.id]}]" for c in chosen]
        citations = []
        for pid in order:
            p = next(c.passage for c in chosen if c.passage.id == pid)
            citations.append(Citation(n=numbers[pid], source=p.source, title=p.title, text=p.text,
                                      page=p.page, score=round(min(1.0, best_in[pid]), 4),
                                      section=p.section, passage_id=p.id))
        return Answer(answer=" ".join(parts), citations=citations, abstained=False,
                      generator=self.name, extra={"evidence": round(evidence, 4)})

    def stream(self, question: str, passages: Sequence[Passage],
               stats: CorpusStats) -> Iterator[Delta | Answer]:
        yield from stream_sentences(self.answer(question, passages, stats))

    def abstain(self, reason: str, evidence: float = 0.0) -> Answer:
        return Answer(answer=f"{NOT_COVERED} ({reason[:1].upper()}{reason[1:]}.)", citations=[],
                      abstained=True, generator=self.name, reason=reason,
                      extra={"evidence": round(evidence, 4)})


def _vocabulary(p: Passage) -> set[str]:
    return set(terms(p.text)) | set(terms(p.title)) | set(terms(p.section or ""))


def _quote(anchors: Sequence[Anchor]) -> str:
    return ", ".join(f"“{a.surface}”" for a in anchors)

