"""Word-level text handling shared by keyword search and the extractive answerer."""

from __future__ import annotations

import calendar
import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

# Month names, full and abbreviated ("sept" too), lower-cased, to their numbers.
MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
MONTHS["sept"] = 9

# Words, numbers (with decimals) and code names with inner hyphens ("CAR-T", "GC01F").
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.,][0-9]+)*(?:%|['’][A-Za-z]+)?")
# Keyword search keeps Lucene's short English list (the BM25 convention the benchmarks use).
_STOP = frozenset(STOPWORDS_EN) | {"s"}
# The answerer also drops question phrasing (NLTK's English list plus interrogatives).
_QUESTION_STOP = _STOP | frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself its itself them theirs themselves what which who whom whose why how when
    where this those am been being have has had having do does did doing because until while about
    against between through during before after above below from up down out off over under again
    further once here all any both each few more most other some own same so than too very can
    just should now would could might must shall also s t d ll m o re ve y""".split()
)
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)*$")
QUESTION_STOP = _QUESTION_STOP  # (public: words that never make a name or a claim)


@lru_cache(maxsize=1)
def _stemmer():
    return Stemmer.Stemmer("english")


_POSSESSIVE = re.compile(r"['’]s$")
# "COVID19" = "COVID-19", "MK3475" = "MK-3475": a word of letters ending in digits is the same
# two terms as when written with a hyphen (mixed codes such as "H1N1" or "GC01F" stay whole).
_LETTERS_DIGITS = re.compile(r"^([a-z]{2,})(\d{1,4})$")
# "5th" = "5", "21st" = "21": ordinals read as their number ("5th February" = "5 February").
_ORDINAL = re.compile(r"^(\d{1,4})(st|nd|rd|th)$")


# Number formats written differently in questions and documents read the same:
# "5k" = "5,000" = "5000"; "$1.2bn" = "$1.2B" = "$1.2 billion"; "5,000-liter" = "5,000 L" =
# "5000 litres"; "60%" = "60 percent".
_SCALED = re.compile(r"^(\d+(?:\.\d+)?)(k|m|mn|mln|b|bn|bln|l)$")
_SCALE = {"m": "million", "mn": "million", "mln": "million", "b": "billion", "bn": "billion",
          "bln": "billion", "l": "l"}
_AFTER_NUMBER = {"bn": "billion", "bln": "billion", "mn": "million", "mln": "million",
                 "b": "billion", "m": "million", "l": "l"}
_UNITS = {"liter": "l", "litre": "l", "liters": "l", "litres": "l", "per_cent": "percent",
          "pct": "percent"}


def _number(w: str) -> str:
    """"5,000" -> "5000"; "5000.000" -> "5000" (decimals kept when they say something)."""
    w = w.replace(",", "")
    if "." in w and w.split(".")[1].strip("0") == "":
        w = w.split(".")[0]
    return w


def words(text: str) -> list[str]:
    """Lower-cased word tokens, possessives dropped ("Roche's" -> "roche"), number formats
    and units normalised ("5k" -> "5000", "bn" -> "billion", "litres" -> "l", "%" -> "percent").
    The same passage sentences are read again by every question that retrieves them, so the
    tokens of recent texts are kept (a bounded cache; a fresh list is returned each time)."""
    return list(_words(text))


@lru_cache(maxsize=32768)
def _words(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        w = _POSSESSIVE.sub("", m.group(0).lower())
        percent = w.endswith("%")
        w = w.rstrip("%")
        scaled = _SCALED.match(w)
        split = _LETTERS_DIGITS.match(w) or _ORDINAL.match(w)
        if split and _ORDINAL.match(w):
            out.append(split.group(1))
        elif split:
            out.extend([split.group(1), split.group(2)])
        elif scaled and unit_is_phase(out, scaled.group(2)):
            out.append(w)  # "Phase 2b" is a trial phase, not 2 billion
        elif scaled:
            num, unit = scaled.groups()
            if unit == "k":
                out.append(_number(str(float(num) * 1000)) if "." in num else num + "000")
            else:
                out.extend([_number(num), _SCALE[unit]])
        elif _NUMBER.match(w):
            out.append(_number(w))
        elif w == "k" and out and _NUMBER.match(out[-1]):
            out[-1] = _number(f"{float(out[-1]) * 1000:.3f}")
        elif out and _NUMBER.match(out[-1]) and w in _AFTER_NUMBER:
            out.append(_AFTER_NUMBER[w])
        else:
            out.append(_UNITS.get(w, w))
        if percent:
            out.append("percent")
    return tuple(out)


def unit_is_phase(before: list[str], unit: str) -> bool:
    """Is "2b" after "phase" (a trial phase: "Phase 2b", "phase 1b/2")?"""
    return unit == "b" and bool(before) and before[-1] == "phase"


def _stemmed(text: str, stop: frozenset[str]) -> list[str]:
    stem = _stemmer().stemWord
    return [w if _NUMBER.match(w) else stem(w) for w in words(text) if w not in stop]


# The answerer tokenizes each candidate sentence and passage several times per question (features,
# vocabularies, anchors), and the same passages come back across questions: the term lists of
# recent texts are kept (a profile put a fifth of a question's time in `words`; 4,096 texts of
# about a passage each stay within a few tens of MB).
@lru_cache(maxsize=4096)
def _terms(text: str) -> tuple[str, ...]:
    return tuple(_stemmed(text, _STOP))


@lru_cache(maxsize=4096)
def _question_terms(text: str) -> tuple[str, ...]:
    return tuple(_stemmed(text, _QUESTION_STOP))


def terms(text: str) -> list[str]:
    """Search terms: words minus stopwords, stemmed (numbers kept as they are)."""
    return list(_terms(text))


def question_terms(text: str) -> list[str]:
    """Content terms of a question or sentence, for answer scoring: `terms` minus phrasing."""
    return list(_question_terms(text))


# A table cell holding data (a date, an amount, a count: "Sep 2", "$45M upfront", "Series B"),
# not a label or a bare page number ("2" of "1 | 2 | 3 | Next"): what tells a row of a table
# written with pipes from a navigation bar (the answerer's page lines, the records' deal rows).
DATA_CELL = re.compile(r"(?=.*\d)(?=.*[A-Za-z$€£¥%])")

# --- figures: amounts, percentages, counts and dates stated in a text ---
# Citation markers and list bullets: one definition each, used by the answerer, its
# verification, the loader and the Slack blocks (the page's app.js mirrors them).
MARKER_NUMBERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")  # "[n]" or "[n, m]", numbers captured
MARKER = re.compile(r"\s*" + MARKER_NUMBERS.pattern)  # the same with the space before it
BULLET_CHARS = "-–—•*·▪■□◦‣⁃►▶▸→>"
BULLET = re.compile(r"^\s*[" + re.escape(BULLET_CHARS) + r"]\s+")  # a bulleted line's bullet
ITEM_NUMBER = re.compile(r"^\s*\d{1,2}[.)]\s+")  # a numbered line's "1." or "2)"
_FIGURE = re.compile(r"(?<![\w.])[-−]?\$?\d[\d,]*(?:\.\d+)?%?")
_NUMBER_WORD = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|million|billion|trillion)\b", re.IGNORECASE)
_WORD_VALUE = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_WORD_VALUE.update({"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60",
                    "seventy": "70", "eighty": "80", "ninety": "90"})


def figures(text: str) -> set[str]:
    """The figures a text states, normalised ("$1,200" -> "1200", "18%" -> "18", "Seven" ->
    "seven"); [n] citation markers are not figures."""
    text = MARKER.sub(" ", text)
    found = set()
    for m in _FIGURE.finditer(text):
        n = m.group(0).replace(",", "").replace("$", "").replace("−", "-").rstrip("%")
        if n.strip("-"):
            found.add(n)
    found.update(w.lower() for w in _NUMBER_WORD.findall(text))
    return found


def figure_in(figure: str, available: set[str]) -> bool:
    """Is `figure` among `available`, reading "seven" and "7" as the same?"""
    if figure in available:
        return True
    if figure in _WORD_VALUE:
        return _WORD_VALUE[figure] in available
    return figure in {_WORD_VALUE.get(a) for a in available}
