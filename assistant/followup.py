"""Turn a follow-up question into a standalone one before retrieval.

`RuleRewriter` (the default, no LLM) handles the two common shapes of follow-up:
- a new subject in the same frame: after "What cell therapy deals did AstraZeneca do in 2023?",
  "And what did Novartis do?" becomes "What cell therapy deals did Novartis do in 2023?";
- a reference back: after "Which cell therapies did the FDA approve?", "Which of those were in
  2023?" is searched together with the earlier question.
An LLM generator brings its own rewriter (a prompt in `prompts/`).
"""

from __future__ import annotations

import re
from typing import Protocol, Sequence

from assistant.answers.question import question_anchors
from assistant.conversations import Turn
from assistant.text import question_terms

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


class RuleRewriter:
    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        previous = history[-1].standalone
        q = question.strip()
        new_names = _names(q)
        looks_follow = bool(_FOLLOW_START.match(q) or _REFERENCE.search(q)) or (
            len(question_terms(q)) <= 2 and not _has_own_frame(q))
        if not looks_follow:
            return question

        # "What about Novartis?" / "And Novartis?" / "And what did Novartis do?": swap subjects.
        old_names = _names(previous)
        about = _WHAT_ABOUT.match(q)
        subject_only = about is not None or (new_names and len(question_terms(q)) <= len(
            question_terms(" ".join(new_names))) + 2)
        if new_names and old_names and subject_only and not _REFERENCE.search(q):
            target = about.group("x").strip(" ?") if about else new_names[0]
            return previous.replace(old_names[0], target, 1)

        # A reference back ("Which of those were in 2023?"): search both together.
        if _REFERENCE.search(q) or _FOLLOW_START.match(q):
            core = _LEADING.sub("", q).rstrip()
            core = core[:1].upper() + core[1:]
            return f"{core} (follow-up to: {previous})"
        return question


def _has_own_frame(q: str) -> bool:
    """Does the question carry its own subject (a name or a number)?"""
    return any(a for a in question_anchors(q))
