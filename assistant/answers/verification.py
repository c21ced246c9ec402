"""Check a generated answer against the passages it was given, sentence by sentence.

A sentence is kept only if
- it carries at least one [n] marker,
- every marker names a passage that was given,
- every amount, percentage, count and date it states appears in a passage it cites, and
- most of its content words (`MIN_OVERLAP`) occur in the passages it cites: a sentence that
  cites the wrong passage is caught even when it states no figure.
Unsupported sentences are removed from the answer and reported with the reason. The markers of
the kept sentences are renumbered 1, 2, ... in order of first use, matching the citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from assistant.core.text import figure_in, figures, terms

MIN_OVERLAP = 0.6

_MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_MARKER_RUN = r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+"
# "... in 2023. [1]" -> "... in 2023 [1]." so that markers stay with their sentence.
_MARKER_AFTER_STOP = re.compile(r"([.!?])(" + _MARKER_RUN + ")")
# A sentence ends at . ! ? before a capital, digit, quote or marker, or right after its markers
# when a capitalised word follows ("... in 2024 [1] In December ...").
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(\[])|(?<=\])\s+(?=[A-Z\"“(→•])")
_ABBREVIATION = re.compile(r"(?:\b(?:[A-Z]\.){1,4}|\b(?:Inc|Ltd|Co|Corp|Dr|Mr|Ms|Mrs|No|vs|St|"
                           r"e\.g|i\.e|al|approx|Fig|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
                           r"Nov|Dec)\.)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# "[1] Sentence." -- a marker written before its sentence goes to its end.
_LEADING_MARKERS = re.compile(r"^(" + _MARKER_RUN + r")\s*(?=\S)")


@dataclass
class Unsupported:
    sentence: str
    reason: str


@dataclass
class Verified:
    answer: str  # the kept sentences, markers renumbered
    cited: list[int]  # given passage numbers, in the order of the new markers 1, 2, ...
    unsupported: list[Unsupported] = field(default_factory=list)
    kept: int = 0


def split_sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        if _LEADING_MARKERS.match(line):
            # "[1] First. [2] Second.": markers written before their sentences.
            out.extend(_lead_to_tail(p) for p in _split(line, _PREFIX_BOUNDARY))
        else:
            line = _MARKER_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), line)
            out.extend(_split(line, _BOUNDARY))
    return out


_PREFIX_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(\[])")


def _split(line: str, boundary: re.Pattern) -> list[str]:
    pieces, start = [], 0
    for m in boundary.finditer(line):
        if _ABBREVIATION.search(line[start:m.start()]):
            continue
        pieces.append(line[start:m.start()].strip())
        start = m.end()
    if line[start:].strip():
        pieces.append(line[start:].strip())
    return pieces


def _lead_to_tail(sentence: str) -> str:
    m = _LEADING_MARKERS.match(sentence)
    if not m:
        return sentence
    body = sentence[m.end():].rstrip()
    stop = body[-1] if body and body[-1] in ".!?" else ""
    body = body[:-1] if stop else body
    return f"{body} {m.group(1).strip()}{stop}"


def markers_of(sentence: str) -> list[int]:
    return [int(n) for group in _MARKERS.findall(sentence) for n in re.split(r"\s*,\s*", group)]


def verify(text: str, passages: dict[int, str]) -> Verified:
    """`passages`: the text of each passage by the number it was given to the model."""
    kept: list[tuple[str, list[int]]] = []
    unsupported: list[Unsupported] = []
    for sentence in split_sentences(text):
        marks = markers_of(sentence)
        bare = _MARKERS.sub("", sentence).strip()
        if not bare.strip(" .!?"):
            continue  # a stray marker on its own
        if not marks:
            unsupported.append(Unsupported(sentence, "cites no passage"))
            continue
        unknown = sorted({n for n in marks if n not in passages})
        if unknown:
            shown = ", ".join(f"[{n}]" for n in unknown)
            unsupported.append(Unsupported(sentence, f"cites {shown}, which was not among the "
                                                     f"{len(passages)} passages given"))
            continue
        available = figures(" ".join(passages[n] for n in marks))
        missing = [f for f in sorted(figures(bare)) if not figure_in(f, available)]
        if missing:
            shown = ", ".join(f"“{f}”" for f in missing)
            unsupported.append(Unsupported(sentence, f"{shown} does not appear in the cited passage"
                                                     f"{'s' if len(set(marks)) > 1 else ''}"))
            continue
        words = set(terms(bare))
        cited_words = set(terms(" ".join(passages[n] for n in marks)))
        if words and len(words & cited_words) / len(words) < MIN_OVERLAP:
            unsupported.append(Unsupported(sentence, "the cited passage does not say this (too few "
                                                     "of its words are in the passage)"))
            continue
        kept.append((sentence, marks))

    order: list[int] = []
    for _, marks in kept:
        for n in marks:
            if n not in order:
                order.append(n)
    renumber = {old: new for new, old in enumerate(order, start=1)}

    def swap(m: re.Match) -> str:
        nums = [renumber[int(n)] for n in re.split(r"\s*,\s*", m.group(1))]
        return "".join(f"[{n}]" for n in sorted(set(nums)))

    answer = " ".join(_MARKERS.sub(swap, s) for s, _ in kept)
    return Verified(answer=answer, cited=order, unsupported=unsupported, kept=len(kept))


def is_abstention(text: str, phrases: Sequence[str]) -> bool:
    norm = text.replace("’", "'").lower()
    return any(p.lower() in norm for p in phrases)
