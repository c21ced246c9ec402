"""Answers written by a language model, checked before anyone sees them.

The model gets the numbered passages and the rules in `prompts/`; it streams its answer, which is
verified sentence by sentence as each sentence completes (`assistant.answers.verification`):
only verified sentences are streamed on (never the model's draft), and sentences without a valid
[n], holding markup or an address, or stating a figure or name their passage does not contain,
are removed and listed in `unsupported`. A follow-up rewritten by the model is used only when it
is one plain question (`LLMRewriter`); otherwise the rules rewrite it.
If nothing supported remains, the extractive answer is given instead, or the assistant abstains
(`ASSISTANT_LLM_WHEN_UNSUPPORTED`); the response says which happened. A model that is down, slow
past the timeout or returns garbage yields a clear error, or the extractive answer when
`ASSISTANT_LLM_ON_ERROR=extractive`.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Iterator, Sequence

from assistant.answers.extractive import ExtractiveGenerator
from assistant.answers.prompts import Prompts, load_prompts
from assistant.answers.types import NOT_COVERED, Answer, Citation, CorpusStats, Delta
from assistant.answers.verification import (
    StreamingVerifier,
    Verified,
    is_abstention,
    verify,
)
from assistant.core.config import Settings
from assistant.core.turn import Turn
from assistant.retrieval.followup import RuleRewriter, plain_question
from assistant.retrieval.hybrid import Passage

log = logging.getLogger(__name__)

ABSTAIN_PHRASES = ("documents don't cover", "documents do not cover")


def _abstains(text: str) -> bool:
    return is_abstention(text, ABSTAIN_PHRASES) and len(text) < 200


class GenerationError(RuntimeError):
    """The language model failed; `public` is safe to show to users."""

    def __init__(self, public: str, status: int = 502) -> None:
        super().__init__(public)
        self.public = public
        self.status = status


def _content(chunk) -> str:
    content = getattr(chunk, "content", chunk)
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part)
                       for part in content)
    return ""


class LLMGenerator:
    def __init__(self, name: str, settings: Settings, model_factory: Callable[[], object],
                 prompts: Prompts | None = None, secrets: Sequence[str] = ()) -> None:
        self.name = name
        self.settings = settings
        self.prompts = prompts or load_prompts()  # variables checked here, at start-up
        self._factory = model_factory
        self._model = None
        self._secrets = [s for s in secrets if s]
        self.fallback = ExtractiveGenerator(settings)
        self.rewriter = LLMRewriter(self) if settings.llm_rewrite_followups else RuleRewriter()

    @property
    def model(self):
        if self._model is None:
            self._model = self._factory()
        return self._model

    # --- the Generator interface ---
    def answer(self, question: str, passages: Sequence[Passage], stats: CorpusStats) -> Answer:
        final = None
        for item in self.stream(question, passages, stats):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(self, question: str, passages: Sequence[Passage],
               stats: CorpusStats) -> Iterator[Delta | Answer]:
        if not passages:
            yield self.fallback.abstain("no passage matched the question")
            return
        numbered = {n: p for n, p in enumerate(passages, start=1)}
        messages = self.prompts.answer.format_messages(
            passages="\n\n".join(self._show(n, p) for n, p in numbered.items()),
            question=question)
        text = ""
        # Only verified sentences are streamed (red-team row 6): the draft itself never is.
        checker = StreamingVerifier({n: p.text for n, p in numbered.items()})
        shown = [0]

        def deltas(sentences: list[str]) -> Iterator[Delta]:
            for sentence in sentences:
                yield Delta(sentence if shown[0] == 0 else " " + sentence)
                shown[0] += 1

        try:
            deadline = time.monotonic() + self.settings.llm_timeout_seconds
            for chunk in self.model.stream(messages):
                piece = _content(chunk)
                if piece:
                    text += piece
                    yield from deltas(checker.feed(piece))
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no complete answer within {self.settings.llm_timeout_seconds:g} s")
            if not text.strip():
                raise ValueError("the model returned an empty answer")
        except Exception as exc:  # down, slow, garbage: never a stack trace to the user
            yield from self._failed(self._describe(exc), question, passages, stats)
            return
        if not _abstains(text):
            yield from deltas(checker.finish())
        yield self._checked(text, question, numbered, passages, stats, checker.result())

    # --- helpers ---
    def _show(self, n: int, p: Passage) -> str:
        where = "".join([f" — {p.section}" if p.section else "",
                         f" (page {p.page})" if p.page else ""])
        return self.prompts.passage.format(n=n, title=p.title or p.source, where=where,
                                           text=p.text)

    def _checked(self, text: str, question: str, numbered: dict[int, Passage],
                 passages: Sequence[Passage], stats: CorpusStats,
                 v: Verified | None = None) -> Answer:
        if _abstains(text):
            return Answer(answer=f"{NOT_COVERED} (The model found no answer in the passages.)",
                          citations=[], abstained=True, generator=self.name,
                          reason="the model found no answer in the passages",
                          extra={"raw": text, "unsupported": []})
        v = v or verify(text, {n: p.text for n, p in numbered.items()})
        unsupported = [{"sentence": u.sentence, "reason": u.reason} for u in v.unsupported]
        if v.kept == 0:
            reason = "verification removed every sentence of the model's answer"
            if self.settings.llm_when_unsupported == "abstain":
                a = self.fallback.abstain(reason)
            else:
                a = self.fallback.answer(question, passages, stats)
            a.extra.update({"fallback": {"from": self.name, "reason": reason,
                                         "to": "abstain" if a.abstained else "extractive"},
                            "unsupported": unsupported, "raw": text})
            return a
        citations = []
        for new, old in enumerate(v.cited, start=1):
            p = numbered[old]
            citations.append(Citation(n=new, source=p.source, title=p.title, text=p.text,
                                      page=p.page, score=round(max(0.0, p.dense or 0.0), 4),
                                      section=p.section, passage_id=p.id))
        return Answer(answer=v.answer, citations=citations, abstained=False, generator=self.name,
                      extra={"unsupported": unsupported, "raw": text})

    def _failed(self, reason: str, question: str, passages: Sequence[Passage],
                stats: CorpusStats) -> Iterator[Delta | Answer]:
        log.warning("LLM generator %s failed: %s", self.name, reason)
        if self.settings.llm_on_error != "extractive":
            status = 504 if "time" in reason else 502
            raise GenerationError(f"The language model ({self.name}) {reason}.", status)
        a = self.fallback.answer(question, passages, stats)
        a.extra["fallback"] = {"from": self.name, "reason": reason, "to": "extractive"}
        yield a

    def _describe(self, exc: Exception) -> str:
        name = type(exc).__name__
        status = getattr(exc, "status_code", None)
        if "Timeout" in name or isinstance(exc, TimeoutError):
            text = f"timed out after {self.settings.llm_timeout_seconds:g} s"
        elif "Connection" in name:
            text = "could not be reached"
        elif status is not None:
            text = f"returned HTTP {status}"
        elif isinstance(exc, ValueError) and "empty" in str(exc):
            text = "returned an empty answer"
        else:
            text = f"failed ({name})"
        for s in self._secrets:  # belt and braces: no key in anything shown or logged
            text = text.replace(s, "***")
        return text

    def rewrite_followup(self, question: str, history: Sequence[Turn]) -> str:
        convo = "\n".join(f"Q: {t.standalone}\nA: {t.answer[:400]}" for t in history[-4:])
        prompt = self.prompts.condense.format(history=convo, question=question)
        return _content(self.model.invoke(prompt)).strip()


class LLMRewriter:
    """Follow-up rewriting by the model, falling back to the rules when it fails."""

    def __init__(self, generator: LLMGenerator) -> None:
        self.generator = generator
        self.rules = RuleRewriter()

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        try:
            rewritten = self.generator.rewrite_followup(question, history)
        except Exception as exc:
            log.warning("LLM follow-up rewrite failed (%s); using rules", type(exc).__name__)
            return self.rules.rewrite(question, history)
        accepted = plain_question(rewritten)
        if accepted is None:  # several sentences, an address, markup, too long: not searched
            log.warning("LLM follow-up rewrite refused (%d characters, not one plain question); "
                        "using rules", len(rewritten))
            return self.rules.rewrite(question, history)
        return accepted


def make_llm_generator(settings: Settings) -> LLMGenerator:
    from assistant.answers.llm_client import chat_model, local_server

    if settings.generator == "local":
        server = local_server(settings)  # fails at start-up with a clear message if not set up
        return LLMGenerator("local", settings,
                            lambda: chat_model(server.base_url, server.model, None, settings))
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return LLMGenerator("openai", settings,
                        lambda: chat_model(settings.llm_base_url, settings.llm_model, key, settings),
                        secrets=[key] if key else [])
