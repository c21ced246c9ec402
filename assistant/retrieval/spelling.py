"""Matching a question's terms to the documents' when they are written differently.

- Places: a country, its demonyms and short forms are one place ("Swiss" = "Switzerland",
  "U.S." = "United States"); the table is `data/demonyms.tsv`.
- The trade's abbreviations: "CRL" = "complete response letter", "BTD" = "breakthrough therapy
  designation", "MHLW" = the ministry's full name; the table is `data/abbreviations.tsv`.
- Misspelt names: a name of the question that the index does not know is matched to the nearest
  term it does know (one edit for names under 8 letters, two from 8), and the answer says which:
  "Showing results for Fucaso". Edit distance is RapidFuzz's Levenshtein.
(Possessives, number formats and units are normalised by the tokenizer, `assistant.core.text.words`.)
"""

from __future__ import annotations

import bisect
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from assistant.core.text import terms

_DATA = Path(__file__).parent / "data"


# Each table: its file and what separates the other spellings on a line (a name of the
# abbreviations table may hold commas: "Ministry of Health, Labour and Welfare").
_TABLES = {"demonyms.tsv": ",", "abbreviations.tsv": "|"}


@lru_cache(maxsize=2)
def _rows(table: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The lines "name<TAB>other<sep>other" of a table: (name, (name, other, ...))."""
    out = []
    for line in (_DATA / table).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        first, _, rest = line.partition("\t")
        out.append((first, (first, *(n.strip() for n in rest.split(_TABLES[table]) if n.strip()))))
    return tuple(out)


@lru_cache(maxsize=2)
def _forms(table: str) -> dict[str, list[tuple[str, ...]]]:
    """Each way of writing a thing (as terms) -> every way of writing it."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for _, names in _rows(table):
        forms = [f for f in (tuple(terms(n)) for n in names) if f]
        for f in forms:
            out.setdefault(" ".join(f), [])
            out[" ".join(f)].extend(x for x in forms if x not in out[" ".join(f)])
    return out


def place_forms(surface: str) -> list[tuple[str, ...]]:
    """Other ways of naming the place `surface` names ([] when it names none)."""
    return _forms("demonyms.tsv").get(" ".join(terms(surface)), [])


def place_in(surface: str, vocabulary: set[str]) -> bool:
    return any(all(t in vocabulary for t in form) for form in place_forms(surface))


# --- the trade's abbreviations ("CRL" = "complete response letter"), data/abbreviations.tsv ---

def abbreviation_forms(surface: str) -> list[tuple[str, ...]]:
    """The other spellings of the abbreviation `surface` ("CRL" -> complete response letter),
    or of the phrase it abbreviates; [] when the table knows neither. A plural written with a
    small s ("BTDs", "CRLs") has its singular's spellings."""
    own = tuple(terms(surface))
    forms = _forms("abbreviations.tsv").get(" ".join(own), [])
    if not forms and re.fullmatch(r"[A-Z][A-Za-z&]*[A-Z]s", surface):
        own = tuple(terms(surface[:-1]))
        forms = _forms("abbreviations.tsv").get(" ".join(own), [])
    return [f for f in forms if f != own]


def abbreviation_in(surface: str, vocabulary: set[str]) -> bool:
    return any(all(t in vocabulary for t in form) for form in abbreviation_forms(surface))


def question_abbreviations(question: str) -> list[tuple[str, ...]]:
    """Other spellings of the abbreviations, and of the abbreviated phrases, a question uses:
    what keyword search also looks for. An abbreviation counts as the question writes it
    ("NICE", not "nice"); a phrase as words."""
    # a plural written with a small s ("BTDs", "CRLs") stands for its singular
    question = re.sub(r"\b([A-Z][A-Za-z&]*[A-Z])s\b",
                      lambda m: m.group(1) if m.group(1) in _abbreviations() else m.group(0), question)
    joined = f" {' '.join(terms(question))} "
    written = {" ".join(terms(w)) for w in re.findall(r"[\w&]+", question) if w in _abbreviations()}
    out: list[tuple[str, ...]] = []
    for key, forms in _forms("abbreviations.tsv").items():
        if f" {key} " not in joined or " " not in key and key not in written:
            continue
        out.extend(f for f in forms if " ".join(f) != key and f not in out)
    return out


@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    """The abbreviations of the table as they are written ("CRL", "mAb")."""
    return frozenset(first for first, _ in _rows("abbreviations.tsv"))


# --- misspelt names ---
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]")
MIN_LENGTH = 5  # shorter names have too many neighbours one edit away
LONG_NAME = 8  # from this length two edits are allowed
# Unknown name-like words looked up per question: a real question misspells one or two names;
# a 2,000-character question of invented names must not cost a lookup each.
MAX_LOOKUPS = 3


@dataclass(frozen=True)
class Correction:
    wrong: str  # as written in the question
    right: str  # as it will be shown
    term: str  # the index term it matched


class Speller:
    """Nearest-term lookup over an index's vocabulary, built once per index version."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        by_len: dict[int, list[str]] = {}
        words = []
        for t in vocabulary:
            if t.isalpha() and len(t) >= MIN_LENGTH - 1:
                by_len.setdefault(len(t), []).append(t)
                words.append(t)
        self.by_len = by_len
        self.sorted = sorted(words)

    def abbreviates(self, term: str) -> bool:
        """Is `term` the start of a longer indexed word ("staph" of "staphylococcus")? Then it
        is a short form, not a misspelling, and is left as written."""
        i = bisect.bisect_left(self.sorted, term)
        return i < len(self.sorted) and self.sorted[i].startswith(term) and self.sorted[i] != term

    def nearest(self, term: str, doc_freq) -> str | None:
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        limit = 2 if len(term) >= LONG_NAME else 1
        best: tuple[int, int, str] | None = None
        for n in range(len(term) - limit, len(term) + limit + 1):
            # All terms within `limit` edits, found in C (a Python loop over a large index's
            # vocabulary took seconds a word).
            for cand, d, _ in process.extract(term, self.by_len.get(n, ()), limit=None,
                                              scorer=Levenshtein.distance, score_cutoff=limit):
                key = (int(d), -doc_freq(cand), cand)
                if best is None or key < best:
                    best = key
        return best[2] if best else None


_lock = threading.Lock()
_cached: list[tuple[object, Speller]] = []  # (index view, its speller), most recent last
MAX_SPELLERS = 8  # the whole index plus the scopes of a few keys' collections


def speller_for(view) -> Speller:
    """One speller per index view: a new ingest gives a new view object, and two stores in one
    process (an eval beside the product) never share one (names like "seq-1" repeat). A view
    scoped to some collections (`retrieval.ScopedView`) is its own view with its own vocabulary,
    so a name found only in a collection the asker cannot see is never suggested."""
    with _lock:
        for i, (v, speller) in enumerate(_cached):
            if v is view:
                _cached.append(_cached.pop(i))
                return speller
    speller = Speller(view.vocabulary())
    with _lock:
        _cached.append((view, speller))
        del _cached[:-MAX_SPELLERS]
    return speller


def correct(question: str, view) -> tuple[str, list[Correction]]:
    """The question with misspelt names replaced by the nearest indexed name, and what changed.
    Only words that look like names (capitalised after the first word, or with digits) and that
    the index does not know are candidates."""
    corrections: list[Correction] = []
    out = question
    lookups = 0
    for m in _WORD.finditer(question):
        word = m.group(0)
        if len(word) < MIN_LENGTH or (m.start() == 0 and not any(c.isdigit() for c in word)):
            continue
        if not (word[0].isupper() or any(c.isdigit() for c in word)):
            continue
        ts = terms(word)
        if len(ts) != 1 or view.doc_freq(ts[0]) > 0 or place_forms(word):
            continue
        if lookups >= MAX_LOOKUPS:
            break
        lookups += 1
        term = ts[0]
        speller = speller_for(view)
        if speller.abbreviates(term):
            continue
        right = speller.nearest(term, view.doc_freq)
        if right is None or right == term:
            continue
        shown = right[:1].upper() + right[1:]
        corrections.append(Correction(word, shown, right))
        out = re.sub(rf"\b{re.escape(word)}\b", shown, out, count=1)
    return out, corrections


def surface_in(passages, term: str) -> str | None:
    """How the documents write the word whose index term is `term` ("Fucaso")."""
    for p in passages:
        for w in _WORD.findall(p.text):
            if len(w) >= MIN_LENGTH - 1 and terms(w) == [term]:
                return w
    return None
