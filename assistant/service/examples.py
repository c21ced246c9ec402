"""Example questions drawn from the documents' own content (red-team row 16): a price paid, a sum
set aside, a stake, an FDA designation, a partnership, or a company the document keeps naming,
instead of "What is '<title>' about?".

Each document's first passages are read and matched against a few sentence patterns (a
designation first: it is what a product document is about); the page shows the first few (one per document first).
Only names and figures the passage itself states go into a question, so the answerer finds it.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Callable, Iterable

PASSAGES_PER_DOC = 6
_NOT_NAMES = frozenset("""The This That These Those It Its In On At As By For From After Before
During Since While When Last Late Earlier Meanwhile However Moreover Also And But Beyond Despite
Another Most Many Some Such A An January February March April May June July August September
October November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday CEO Q US U.S.
FDA EMA Cell Therapy Corp Dev Strategy Read Stay Get Discover Keep Updates Explore Access FIG
Figure Table Source Strategic Our We Their They""".split())
_WORD = r"[A-Z][\w&'’.-]*[\w)]|[A-Z]"
_SKIP = "|".join(re.escape(w) for w in sorted(_NOT_NAMES, key=len, reverse=True))
NAME = rf"(?!(?:{_SKIP})\b)(?:{_WORD})(?:\s+(?:{_WORD}|of|&))*"
_FIG = r"\$\d[\d.,]*(?:\s+(?:million|billion|trillion))?"
_VERB_BASE = {"set aside": "set aside", "invested": "invest", "raised": "raise", "paid": "pay",
              "committed": "commit", "spent": "spend"}


def _clean(name: str) -> str | None:
    words = name.replace("’", "'").split()
    while words and (words[0] in _NOT_NAMES or words[0] in ("of", "&")):
        words = words[1:]
    while words and words[-1] in ("of", "&", "and"):
        words = words[:-1]
    name = " ".join(words).rstrip(".'")
    if name.endswith("'s"):
        name = name[:-2]
    return name if len(name) >= 3 and name not in _NOT_NAMES else None


def _acquisition(s: str) -> str | None:
    m = re.search(rf"({NAME})\s+(?:acquired|bought|agreed to acquire|will acquire)\s+({NAME})\s+"
                  rf"for\s+(?:about\s+|approximately\s+|up to\s+)?\$", s)
    a, b = (_clean(m.group(1)), _clean(m.group(2))) if m else (None, None)
    return f"How much did {a} pay for {b}?" if a and b else None


def _designation(s: str) -> str | None:
    if not re.search(r"(?i)\b(orphan drug|breakthrough therapy|fast track|priority review|rmat|"
                     r"prime)\b.{0,80}designation|designations?\b", s):
        return None
    m = re.search(rf"({NAME})\s+(?:has\s+|have\s+|had\s+)?(?:received|been granted|was granted|"
                  rf"obtained|earned)\b", s)
    x = _clean(m.group(1)) if m else None
    if not x:
        return None
    fda = "FDA " if re.search(r"\bFDA\b|Food and Drug Administration", s) else ""
    return f"Which {fda}designations has {x} received?"


def _figure(s: str) -> str | None:
    m = re.search(rf"({NAME})\b[^.]{{0,60}}?\b(set aside|invested|raised|paid|committed|spent)\s+"
                  rf"({_FIG})", s)
    a = _clean(m.group(1)) if m else None
    return f"What did {a} {_VERB_BASE[m.group(2)]} {m.group(3)} for?" if a else None


def _stake(s: str) -> str | None:
    m = re.search(rf"({NAME})\s+(?:to\s+)?(?:acquire|acquired|take|took|takes)\s+an?\s+"
                  rf"\d+(?:\.\d+)?%\s+stake\s+in\s+({NAME})", s)
    a, b = (_clean(m.group(1)), _clean(m.group(2))) if m else (None, None)
    return f"What stake did {a} take in {b}?" if a and b else None


def _partnership(s: str) -> str | None:
    m = re.search(rf"({NAME})\s+(?:and|with)\s+({NAME})\s+(?:have\s+)?(?:agreed|partnered|signed|"
                  rf"teamed up|entered|announced|formed)\b", s)
    a, b = (_clean(m.group(1)), _clean(m.group(2))) if m else (None, None)
    return f"What did {a} and {b} agree?" if a and b and a != b else None


PATTERNS: tuple[Callable[[str], str | None], ...] = (
    _designation, _acquisition, _figure, _stake, _partnership)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])|\n+")


def questions_for(texts: Iterable[str]) -> list[str]:
    """The questions one document's passages give, most specific first; a company the
    document keeps naming when no pattern matches."""
    sentences = [s.strip().lstrip("•→-*–— \t") for t in texts for s in _SENTENCE.split(t)]
    sentences = [s for s in sentences if s]
    found: list[str] = []
    for pattern in PATTERNS:
        for s in sentences:
            q = pattern(s)
            if q and q not in found:
                found.append(q)
                break
    if not found:
        names = Counter(n for s in sentences for m in re.finditer(NAME, s)  # mid-sentence
                        if m.start() > 0 and (n := _clean(m.group(0))) and len(n.split()) <= 4
                        and len(n) > 3)
        lower = set(re.findall(r"\b[a-z][\w'-]*", " ".join(sentences)))
        common = [n for n, c in names.most_common(10)  # a word also written lower-case is none
                  if c >= 2 and (" " in n or n.lower() not in lower)]
        if common:
            found.append(f"What do the documents say about {common[0]}?")
    return found


class Examples:
    """Example questions per index state and collection scope, computed once for each."""

    def __init__(self, limit: int = 4) -> None:
        self.limit = limit
        self._cache: dict[tuple, list[str]] = {}
        self._lock = threading.Lock()

    def for_view(self, view) -> list[str]:
        key = (view.seq, view.collections)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        per_doc = []
        for src, d in sorted(view.docs.items(), key=lambda kv: kv[1].get("title") or kv[0]):
            ids = [f"{d['version']}:{i}" for i in range(min(PASSAGES_PER_DOC,
                                                              int(d.get("chunks", 0)) or 1))]
            passages = view.fetch(ids)
            per_doc.append(questions_for(passages[i].text for i in ids if i in passages))
        out: list[str] = []
        for rank in range(len(PATTERNS) + 1):  # one per document first, then seconds
            out.extend(qs[rank] for qs in per_doc if len(qs) > rank and qs[rank] not in out)
        out = out[: self.limit]
        with self._lock:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = out
        return out
