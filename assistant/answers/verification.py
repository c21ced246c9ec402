"""Check a generated answer against the passages it was given, sentence by sentence.

Markup is taken out of every sentence first (HTML and Slack `<...>` tags, Markdown links, images,
emphasis, headings, code): a kept sentence is plain text (red-team row 10). A sentence is kept
only if
- it carries at least one [n] marker,
- every marker names a passage that was given,
- it holds no web address or e-mail address that its cited passages do not hold,
- every amount, percentage, count and date it states appears in a passage it cites,
- every name it states (a capitalised word or a code such as "CAR-T" or "GC012F") occurs in the
  passages it cites, and
- most of its content words (`MIN_OVERLAP`, and at least MIN_MATCHED of them) occur in the
  passages it cites: a sentence that cites the wrong passage is caught even when it states no
  figure.
Unsupported sentences are removed from the answer and reported with the reason. The markers of
the kept sentences are renumbered 1, 2, ... in order of first use, matching the citations.

`SentenceVerifier` does this one sentence at a time, so that a stream can show each sentence as
soon as it is complete and verified (red-team row 6); `verify` runs it over a whole answer, with
the same result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from assistant.core.text import (
    BULLET,
    ITEM_NUMBER,
    MARKER_NUMBERS,
    QUESTION_STOP,
    figure_in,
    figures,
    terms,
)

MIN_OVERLAP = 0.6
MIN_MATCHED = 2

_MARKERS = MARKER_NUMBERS
_MARKER_RUN = r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+"
# "... in 2023. [1]" -> "... in 2023 [1]." so that markers stay with their sentence.
_MARKER_AFTER_STOP = re.compile(r"([.!?])(" + _MARKER_RUN + ")")
# A sentence ends at . ! ? before a capital, digit, quote or marker, or right after its markers
# when a capitalised word follows ("... in 2024 [1] In December ...").
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(\[])|(?<=\])\s+(?=[A-Z\"“(→•])")
_ABBREVIATION = re.compile(r"(?:\b(?:[A-Z]\.){1,4}|\b(?:Inc|Ltd|Co|Corp|Dr|Mr|Ms|Mrs|No|vs|St|"
                           r"e\.g|i\.e|al|approx|Fig|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
                           r"Nov|Dec)\.)$", re.IGNORECASE)
_BULLET = re.compile(f"(?:{BULLET.pattern})|(?:{ITEM_NUMBER.pattern})")  # a bullet or an item number
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


# HTML tags and comments, Slack's <https://...|text>, <@U123>, <#C123>, <!here> (not "<5 and >3")
_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]{0,2000}|!--.{0,2000}?--|[@#!][^<>\s]{1,200}|"
                  r"(?:https?|mailto|ftp):[^<>]{0,2000})>")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]*)\)")  # [text](url) -> text
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`+|~~)")
_MD_LEAD = re.compile(r"^\s*(?:#{1,6}\s+|>\s*)+")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,6}|#x[0-9a-fA-F]{1,6});")
_ADDRESS = re.compile(r"(?i)\b(?:https?://|www\.|ftp://|mailto:)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+")
_NAME = re.compile(r"(?<![\w-])(?:[A-Z][\w'’-]*|[\w-]*\d[\w-]*[A-Za-z][\w-]*)")


def strip_markup(sentence: str) -> str:
    """The sentence as plain text: tags, Markdown links, images, emphasis, headings and code
    marks taken out (a link keeps its words, not its address); spaces tidied."""
    text = _MD_IMAGE.sub(" ", sentence)
    text = _MD_LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _ENTITY.sub(" ", text)
    text = _MD_EMPHASIS.sub("", text)
    text = _MD_LEAD.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def names_of(sentence: str) -> list[str]:
    """Capitalised words and codes; the first word only when it is not a common word."""
    out = []
    for i, m in enumerate(_NAME.finditer(sentence)):
        word = m.group(0).strip("'’-")
        if not word or (m.start() == 0 and word.lower() in QUESTION_STOP | _STARTERS):
            continue
        out.append(word)
    return out


_STARTERS = frozenset("a an the in on at as by for from after before during since while when "
                      "this these those it its their there here however also both each "
                      "according under over".split())


class SentenceVerifier:
    """Verifies sentences one at a time, in order, and renumbers the markers of the kept ones
    in order of first use."""

    def __init__(self, passages: dict[int, str]) -> None:
        self.passages = passages
        self.order: list[int] = []
        self.kept: list[str] = []
        self.unsupported: list[Unsupported] = []

    def add(self, sentence: str) -> str | None:
        """The sentence as it goes into the answer (plain, markers renumbered), or None when
        it is not supported (then `unsupported` says why) or holds nothing but markers."""
        sentence = strip_markup(sentence)
        marks = markers_of(sentence)
        bare = _MARKERS.sub("", sentence).strip()
        if not bare.strip(" .!?"):
            return None  # a stray marker on its own
        reason = self.problem(sentence, bare, marks)
        if reason:
            self.unsupported.append(Unsupported(sentence, reason))
            return None
        for n in marks:
            if n not in self.order:
                self.order.append(n)
        renumber = {old: new for new, old in enumerate(self.order, start=1)}

        def swap(m: re.Match) -> str:
            nums = [renumber[int(n)] for n in re.split(r"\s*,\s*", m.group(1))]
            return "".join(f"[{n}]" for n in sorted(set(nums)))

        out = _MARKERS.sub(swap, sentence)
        self.kept.append(out)
        return out

    def problem(self, sentence: str, bare: str, marks: list[int]) -> str | None:
        """Why the sentence is not supported by the passages it cites, or None."""
        if not marks:
            return "cites no passage"
        unknown = sorted({n for n in marks if n not in self.passages})
        if unknown:
            shown = ", ".join(f"[{n}]" for n in unknown)
            return f"cites {shown}, which was not among the {len(self.passages)} passages given"
        cited = " ".join(self.passages[n] for n in marks)
        plural = "s" if len(set(marks)) > 1 else ""
        addresses = [a for a in _ADDRESS.findall(bare) if a.rstrip(".,;:!?)") not in cited]
        if addresses:
            return f"“{addresses[0][:80]}” does not appear in the cited passage{plural}"
        available = figures(cited)
        missing = [f for f in sorted(figures(bare)) if not figure_in(f, available)]
        if missing:
            shown = ", ".join(f"“{f}”" for f in missing)
            return f"{shown} does not appear in the cited passage{plural}"
        cited_words = set(terms(cited))
        words = set(terms(bare))
        matched = len(words & cited_words)
        if words and (matched / len(words) < MIN_OVERLAP or matched < min(MIN_MATCHED, len(words))):
            return "the cited passage does not say this (too few of its words are in the passage)"
        absent = [n for n in names_of(bare) if not set(terms(n)) <= cited_words]
        if absent:
            return f"the name “{absent[0]}” does not appear in the cited passage{plural}"
        return None

    def result(self) -> Verified:
        return Verified(answer=" ".join(self.kept), cited=list(self.order),
                        unsupported=list(self.unsupported), kept=len(self.kept))


def plain_sentences(text: str) -> list[str]:
    """The sentences of `text` with markup taken out of each line first, so that markup at a
    sentence's start ("**Name** did ...") does not hide where the sentence begins."""
    return split_sentences("\n".join(strip_markup(line) for line in text.splitlines()))


def verify(text: str, passages: dict[int, str]) -> Verified:
    """`passages`: the text of each passage by the number it was given to the model."""
    v = SentenceVerifier(passages)
    for sentence in plain_sentences(text):
        v.add(sentence)
    return v.result()


class StreamingVerifier:
    """Feeds a model's text as it streams; hands out each sentence once it is complete and
    verified (never a sentence that verification would drop). `result()` after `finish()` is
    what `verify` gives for the whole text, except in the rare case where a later piece of
    text changes how an earlier sentence was split (then the earlier split stands)."""

    def __init__(self, passages: dict[int, str]) -> None:
        self.verifier = SentenceVerifier(passages)
        self.text = ""
        self.done = 0  # sentences of `split_sentences(text)` already judged

    def feed(self, piece: str) -> list[str]:
        self.text += piece
        pieces = plain_sentences(self.text)
        # The last sentence may still grow; one that starts with a marker may be the previous
        # sentence's marker ("... in 2023. [1] In ...") until more text arrives.
        complete = len(pieces) - 1
        if pieces and pieces[-1].startswith("["):
            complete -= 1
        return self._judge(pieces, complete)

    def finish(self) -> list[str]:
        pieces = plain_sentences(self.text)
        return self._judge(pieces, len(pieces))

    def _judge(self, pieces: list[str], upto: int) -> list[str]:
        out = []
        while self.done < upto:
            kept = self.verifier.add(pieces[self.done])
            self.done += 1
            if kept is not None:
                out.append(kept)
        return out

    def result(self) -> Verified:
        return self.verifier.result()


def is_abstention(text: str, phrases: Sequence[str]) -> bool:
    norm = text.replace("’", "'").lower()
    return any(p.lower() in norm for p in phrases)
