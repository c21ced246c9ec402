"""Turn a follow-up question into a standalone one before retrieval.

`RuleRewriter` (the default, no LLM) turns a follow-up into one clean standalone question, never
nested (each rule is named below):
- SUBJECT SWAP: after "What cell therapy deals did AstraZeneca do in 2023?", "And what did
  Novartis do?" becomes "What cell therapy deals did Novartis do in 2023?";
- NARROWING: after "Which cell therapies did the FDA approve?", "Which of those were in 2023?"
  becomes "Which cell therapies did the FDA approve in 2023?";
- PRONOUNS: after "Who did Novartis team up with?", "How much did its manufacturing capacity go
  up?" becomes "How much did Novartis's manufacturing capacity go up?";
- ELLIPSIS: a follow-up without a subject of its own ("And the price?") gets the previous turn's
  entity: "And the price? (Novartis)" is searched as "What is the price … Novartis".
The previous turn's standalone question is itself clean, so a chain of follow-ups never grows;
the result is capped at MAX_QUESTION_CHARS.
An LLM generator brings its own rewriter (a prompt in `prompts/`); what the model returns is
searched only when `plain_question` accepts it (one plain question, bounded), otherwise the rules
above rewrite the follow-up (red-team row 9).
"""

from __future__ import annotations

import re
from typing import Protocol, Sequence

from assistant.core.constants import MAX_QUESTION_CHARS
from assistant.core.text import question_terms
from assistant.core.turn import Turn
from assistant.retrieval.anchors import question_anchors

_FOLLOW_START = re.compile(r"^\s*(and|but|also|so|then|what about|how about|same for|what of|"
                           r"and what about|and how about)\b", re.IGNORECASE)
_REFERENCE = re.compile(r"\b(those|these|them|they|it|its|their|theirs|that one|this one|the same|"
                        r"he|she|his|her|that deal|this deal|the deal|the company|the drug|"
                        r"the therapy|which one|the latter|the former)\b", re.IGNORECASE)
_NAME_RUN = re.compile(r"(?<![\w-])(?:[A-Z][\w&.'’-]*|[A-Z0-9]{2,}[\w-]*)"
                       r"(?:\s+(?:[A-Z][\w&.'’-]*|[A-Z0-9]{2,}[\w-]*|of|and|&))*")
_LEADING = re.compile(r"^\s*(and|but|also|so|then)\s+", re.IGNORECASE)
_WHAT_ABOUT = re.compile(r"^\s*(and\s+)?(what|how)\s+about\s+(?P<x>.+?)\s*\??\s*$", re.IGNORECASE)
_QUESTION_WORDS = {"What", "Which", "Who", "Whom", "Whose", "When", "Where", "Why", "How", "Did",
                   "Does", "Do", "Is", "Are", "Was", "Were", "Can", "Could", "Should", "And", "But",
                   "Also", "So", "Then", "Same", "In", "On", "At", "For", "By", "Of", "The", "A"}


class Rewriter(Protocol):
    def rewrite(self, question: str, history: Sequence[Turn]) -> str: ...


def _names(text: str) -> list[str]:
    """Runs of capitalised words, minus question words at their start."""
    out = []
    for m in _NAME_RUN.finditer(text):
        words = m.group(0).split()
        while words and words[0] in _QUESTION_WORDS:
            words = words[1:]
        while words and words[-1] in {"of", "and", "&"}:
            words = words[:-1]
        if words:
            out.append(" ".join(words))
    return out


_REGULATORS = frozenset("FDA EMA MHRA PMDA NMPA CDE HEALTH CANADA TGA SWISSMEDIC ANVISA CMS WHO "
                        "US FDA THE FDA".split())
# A possessive before the word it qualifies ("its CEO"), not before a verb or the end.
_POSSESSIVE_PRONOUN = re.compile(r"\b(its|their|his|her)\b(?=\s+(?!(?:say|said|do|did|does|"
                                 r"be|been|is|was|are|were)\b)[\w$])", re.IGNORECASE)
_SUBJECT_PRONOUN = re.compile(r"\b(it|they|them|he|she|the company|the drug|the therapy|"
                              r"this one|that one)\b", re.IGNORECASE)
# "it" as the deal or event of the previous turn, not one of its companies: "How much was it?",
# "What is it worth?", "When will it close?".
_THE_DEAL = re.compile(r"\b(was|is|were|are|be)\s+(it|they|them)\b|"
                       r"\b(it|they)\s+(worth|cost|costs|close|closes|complete|completes|end|ends)\b",
                       re.IGNORECASE)
_NARROWING = re.compile(r"^\s*(and\s+)?(which|what|how many)\s+of\s+(those|these|them|the)\b\s*(?P<rest>.*?)\s*\??\s*$",
                        re.IGNORECASE)
# A constraint a narrowing follow-up adds: "in 2023", "from China", "for solid tumours".
_CONSTRAINT = re.compile(r"\b(in|from|for|by|with|during|after|before|since|outside|inside)\s+"
                         r"[^,?;]+", re.IGNORECASE)
_NESTED = re.compile(r"\s*\(follow-up to:.*$", re.IGNORECASE | re.DOTALL)


MAX_REWRITE_CHARS = 500
_URL_OR_MAIL = re.compile(r"(?i)(?:https?://|ftp://|www\.|mailto:|[\w.+-]+@[\w-]+\.\w)")
_MARKUP = re.compile(r"[<>`*#\[\]{}|\\]|\]\(|&\w+;")
# A sentence ends at ! or ?, or at a full stop that does not end an initial ("U.S.") or a
# common abbreviation ("Inc."), before more text.
_SENTENCE_END = re.compile(r"(?:[!?]|(?<![A-Z])(?<!\bInc)(?<!\bLtd)(?<!\bCo)(?<!\bCorp)"
                           r"(?<!\bvs)(?<!\bNo)(?<!\bSt)(?<!\bDr)\.)(?=\s+\S)")
_WRAPPER = re.compile(r"^(?:standalone question|question|rewritten question)\s*:\s*", re.I)


def plain_question(text: str, limit: int = MAX_REWRITE_CHARS) -> str | None:
    """A model's rewrite as the question to search, or None when it is not exactly one plain
    question: several lines or sentences, a web or e-mail address, markup, control characters,
    longer than `limit` or not ending in "?"."""
    text = _WRAPPER.sub("", (text or "").strip()).strip().strip('"“”').strip()
    if not text or len(text) > min(limit, MAX_QUESTION_CHARS) or "\n" in text:
        return None
    if any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in text):
        return None
    if _URL_OR_MAIL.search(text) or _MARKUP.search(text):
        return None
    if not text.endswith("?") or _SENTENCE_END.search(text[:-1]):
        return None
    return text


def _cap(text: str) -> str:
    return text[:MAX_QUESTION_CHARS]


class RuleRewriter:
    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        # Standalones stored before follow-ups stopped nesting may still carry a "(follow-up
        # to: …)" tail: only the question itself is carried over.
        previous = _NESTED.sub("", history[-1].standalone).strip()
        q = question.strip()
        new_names = _names(q)
        looks_follow = bool(_FOLLOW_START.match(q) or _REFERENCE.search(q)) or (
            len(question_terms(q)) <= 2 and not _has_own_frame(q))
        if not looks_follow or not previous:
            return question
        old_names = _names(previous)

        # SUBJECT SWAP: "What about Novartis?" / "And Novartis?" / "And what did Novartis do?"
        about = _WHAT_ABOUT.match(q)
        subject_only = about is not None or (new_names and len(question_terms(q)) <= len(
            question_terms(" ".join(new_names))) + 2)
        if new_names and old_names and subject_only and not _REFERENCE.search(q):
            target = about.group("x").strip(" ?") if about else new_names[0]
            return _cap(previous.replace(old_names[0], target, 1))

        # NARROWING: "Which of those were in 2023?" -> the previous question, narrowed.
        narrow = _NARROWING.match(q)
        if narrow:
            extra = [m.group(0).strip() for m in _CONSTRAINT.finditer(narrow.group("rest"))]
            extra = [e for e in dict.fromkeys(extra) if e.lower() not in previous.lower()]
            if extra:
                return _cap(f"{previous.rstrip(' ?')} {' '.join(extra)}?")
            return _cap(previous)  # nothing new: the same question

        core = _LEADING.sub("", q).rstrip()
        core = core[:1].upper() + core[1:]
        # A regulator is where things happen, not what a pronoun stands for ("When did the FDA
        # approve Fucaso?" then "What does it target?": it is Fucaso).
        subjects = [n for n in old_names if n.upper() not in _REGULATORS] or old_names
        entity = subjects[0] if subjects else None
        if entity is None:
            return _cap(core)
        # A pronoun after a name of the question's own refers to that name: "What did Novartis
        # do to improve its manufacturing?" is about Novartis, whatever the previous turn named.
        # (A regulator is where things happen, not what they are about: "What did the FDA say
        # about its safety?" still asks about the previous turn's product.)
        first_pronoun = re.search(r"\b(its|their|his|her|it|they|them|he|she)\b", core, re.I)
        own = [n for n in new_names if n.upper() not in _REGULATORS]
        if first_pronoun and any(0 <= core.find(n) < first_pronoun.start() for n in own):
            return _cap(core)
        resolved = _resolve_pronouns(core, entity, old_names)
        if resolved != core:
            return _cap(resolved)
        # ELLIPSIS: no subject of its own; the previous turn's entity is what it is about.
        if not new_names:
            return _cap(f"{core.rstrip(' ?')} ({entity})?")
        return _cap(core)


def _resolve_pronouns(core: str, entity: str, old_names: list[str]) -> str:
    """PRONOUNS: "its" -> "Novartis's" before a noun; "it"/"they" -> "Novartis" when the
    previous turn named one thing. "her"/"his" at the end is an object, not a possessive ("What
    did they tell her?"), so it is never made "Novartis's"."""
    resolved = _POSSESSIVE_PRONOUN.sub(f"{entity}'s", core)
    names = list(dict.fromkeys(n for n in old_names if n.upper() not in _REGULATORS))
    if len(names) >= 2 and _THE_DEAL.search(resolved):
        # "How much was it?" after "What did AstraZeneca pay for Gracell?": "it" is the deal,
        # not AstraZeneca; the previous turn's names go with the question instead.
        return f"{resolved.rstrip(' ?')} ({', '.join(names[:3])})?"
    return _SUBJECT_PRONOUN.sub(entity, resolved)


def _has_own_frame(q: str) -> bool:
    """Does the question carry its own subject (a name or a number)?"""
    return any(a for a in question_anchors(q))
