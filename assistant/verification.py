"""Check a generated answer against the passages it was given, sentence by sentence.

A sentence is kept only if
- it carries at least one [n] marker,
- every marker names a passage that was given, and
- every amount, percentage, count and date it states appears in a passage it cites.
Unsupported sentences are removed from the answer and reported with the reason. The markers of
the kept sentences are renumbered 1, 2, ... in order of first use, matching the citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from assistant.text import figure_in, figures

_MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_MARKER_RUN = r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+"
# "... in 2023. [1]" -> "... in 2023 [1]." so that markers stay with their sentence.
_MARKER_AFTER_STOP = re.compile(r"([.!?])(" + _MARKER_RUN + ")")
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(\[])")
_ABBREVIATION = re.compile(r"(?:\b(?:[A-Z]\.){1,4}|\b(?:Inc|Ltd|Co|Corp|Dr|Mr|Ms|Mrs|No|vs|St|"
                           r"e\.g|i\.e|al|approx|Fig|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
                           r"Nov|Dec)\.)$")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


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
        line = _MARKER_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), line)
        start = 0
        for m in _BOUNDARY.finditer(line):
            if _ABBREVIATION.search(line[start:m.start()]):
                continue
            out.append(line[start:m.start()].strip())
            start = m.end()
        if line[start:].strip():
            out.append(line[start:].strip())
    return out


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
