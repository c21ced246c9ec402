"""Company names: one canonical name per company, whatever the spelling.

"GSK", "GlaxoSmithKline" and "GSK plc" are one company; so are "J&J", "Johnson & Johnson" and
"Janssen". The table is data (`data/companies.tsv`: a few hundred biopharma companies with their
aliases, former names, subsidiaries and tickers; its sources are stated in its header), plus rules:

- spelling: case, punctuation, "&" / "and", apostrophes and a leading "The" do not matter;
- legal suffixes (Inc., Corp., Co., Ltd, plc, AG, S.A., SE, N.V., GmbH, KGaA, A/S, AB, LLC, ...)
  are dropped, unless the full name is itself in the table ("Merck KGaA" is not "Merck");
- a known company followed only by a country or a business-unit word is that company
  ("Legend Biotech Ireland", "Bayer Pharmaceuticals Division", "Gilead Sciences Europe");
- names a document defines itself ("Asklepios BioPharmaceutical, better known as AskBio",
  "GlaxoSmithKline (GSK)", "Pluri (formerly Pluristem)") are found by `document_aliases`.

`canonical(name)` gives the table's name, or the name cleaned of its legal suffix when the
company is not in the table; `aliases(canonical)` gives every name the table knows for it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

_SUFFIX_TOKENS = (
    "inc incorporated corp corporation co company cos limited ltd plc ag sa se nv bv gmbh mbh kgaa "
    "ab asa oy oyj spa sas srl sarl llc lp llp kk pty bhd pte pvt tbk"
).split()
# Multi-letter legal forms written with dots or slashes: "S.A.", "N.V.", "A/S", "S.p.A.", "K.K."
_DOTTED = re.compile(r"\b(?:s\.?\s?p\.?\s?a|s\.?\s?a\.?\s?s|s\.?\s?a|n\.?\s?v|b\.?\s?v|a/s|k\.?\s?k"
                     r"|l\.?\s?l\.?\s?c|l\.?\s?p|s\.?\s?r\.?\s?l|ag\s?&\s?co\.?\s?kgaa)\.?\s*$", re.I)
_TRAILING_WORDS = frozenset(
    """usa us u.s. uk u.k. america americas europe european emea asia pacific apac china chinese
    japan japanese germany german france french ireland irish canada canadian india indian korea
    korean switzerland swiss italy spain netherlands belgium denmark sweden australia brazil
    mexico singapore international global worldwide north south division unit business
    pharmaceuticals pharmaceutical pharma oncology vaccines vaccine biologics biotech
    biotechnology healthcare health research development r&d and gene therapies therapy cell
    holdings holding group operations manufacturing""".split())
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")


def key(name: str) -> str:
    """The comparison key of a name: lower case, punctuation and "&" normalised, nothing dropped."""
    text = unicodedata.normalize("NFKC", name or "").lower().strip()
    text = text.replace("’", "'")
    text = _POSSESSIVE.sub("", text)
    text = text.replace("&", " and ").replace("'", "").replace("+", " plus ")
    text = re.sub(r"[^0-9a-z@]+", " ", text).strip()
    if text.startswith("the "):
        text = text[4:]
    return text


def strip_legal(name: str) -> str:
    """`name` without its trailing legal form(s) and possessive, as written ("Abeona Therapeutics
    Inc." -> "Abeona Therapeutics"; "MYR GmbH" -> "MYR"). A name that is only a legal form stays."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", name or "")).strip()
    text = _POSSESSIVE.sub("", text) if re.search(r"\w(?:'s|’s|s'|s’)$", text) else text
    while True:
        before = text
        text = _DOTTED.sub("", text).rstrip(" ,")
        words = text.split(" ")
        if len(words) > 1 and re.sub(r"[.,]", "", words[-1]).lower() in _SUFFIX_TOKENS:
            text = " ".join(words[:-1]).rstrip(" ,")
        if len(text.split(" ")) > 1 and text.split(" ")[-1] in ("&", "and"):
            text = text.rsplit(" ", 1)[0]
        if text == before or not text:
            break
    return text or name.strip()


@dataclass
class Company:
    canonical: str
    aliases: list[str] = field(default_factory=list)
    subsidiaries: list[str] = field(default_factory=list)
    ticker: str = ""
    source: str = ""

    def names(self) -> set[str]:
        return {self.canonical, *self.aliases, *self.subsidiaries}


class AliasTable:
    """Name -> company. Exact keys (as written) win over keys without legal suffixes; a stripped
    key shared by two companies is ambiguous and resolves to neither."""

    def __init__(self, companies: list[Company]) -> None:
        self.companies = {c.canonical: c for c in companies}
        self._exact: dict[str, str] = {}
        self._stripped: dict[str, str | None] = {}
        self._tickers: dict[str, str] = {}
        for c in companies:
            for name in [c.canonical, *c.aliases, *c.subsidiaries]:
                self._exact.setdefault(key(name), c.canonical)
            if c.ticker:
                self._tickers.setdefault(c.ticker, c.canonical)
        for c in companies:
            for name in [c.canonical, *c.aliases, *c.subsidiaries]:
                k = key(strip_legal(name))
                if k in self._exact:
                    continue
                if self._stripped.get(k, c.canonical) != c.canonical:
                    self._stripped[k] = None  # ambiguous
                else:
                    self._stripped[k] = c.canonical

    def find(self, name: str) -> str | None:
        """The canonical name of a company the table knows, else None."""
        if not name or not name.strip():
            return None
        if name.strip() in self._tickers:
            return self._tickers[name.strip()]
        k = key(name)
        if k in self._exact:
            return self._exact[k]
        stripped = key(strip_legal(name))
        hit = self._exact.get(stripped) or self._stripped.get(stripped)
        if hit:
            return hit
        # "Legend Biotech Ireland", "Bayer Pharmaceuticals Division": a known name and then only
        # country or business-unit words.
        words = stripped.split()
        for cut in range(len(words) - 1, 0, -1):
            rest = words[cut:]
            if not all(w in _TRAILING_WORDS for w in rest):
                break
            head = " ".join(words[:cut])
            hit = self._exact.get(head) or self._stripped.get(head)
            if hit:
                return hit
        return None

    def canonical(self, name: str) -> str:
        found = self.find(name)
        if found:
            return found
        return strip_legal(name)

    def aliases(self, canonical_name: str) -> set[str]:
        company = self.companies.get(canonical_name) or self.companies.get(
            self.find(canonical_name) or "")
        if company is None:
            return {canonical_name} if canonical_name else set()
        return company.names()


def _load(text: str) -> list[Company]:
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("canonical\t"):
            continue
        parts = (line.split("\t") + [""] * 5)[:5]
        split = lambda s: [x.strip() for x in s.split("|") if x.strip()]  # noqa: E731
        out.append(Company(parts[0].strip(), split(parts[1]), split(parts[2]), parts[3].strip(),
                           parts[4].strip()))
    return out


@lru_cache(maxsize=1)
def table() -> AliasTable:
    text = resources.files("assistant.core").joinpath("data/companies.tsv").read_text("utf-8")
    return AliasTable(_load(text))


def canonical(name: str) -> str:
    """The one name of a company: the table's canonical name, else `name` without its legal
    suffix ("Abeona Therapeutics Inc." -> "Abeona Therapeutics")."""
    return table().canonical(name)


def aliases(canonical_name: str) -> set[str]:
    """Every name the table knows for a company (canonical, aliases, former names,
    subsidiaries); a company not in the table has just its own name."""
    return table().aliases(canonical_name)


def known(name: str) -> bool:
    """Is this a company of the table (under any of its names)?"""
    return table().find(name) is not None


# --- names a document defines itself ---
_NAME = r"[A-Z][\w&.'’-]*(?:\s+(?:[A-Z][\w&.'’-]*|&|and|of|de|la))*"
_PAREN = re.compile(rf"({_NAME})\s+\((?:the\s+)?[\"“]?([A-Z][\w&.-]{{1,24}}(?:\s[A-Z][\w&.-]*){{0,2}})[\"”]?\)")
_BETTER_KNOWN = re.compile(rf"({_NAME}),?\s+(?:better|also|commonly)\s+known\s+as\s+({_NAME})")
_FORMERLY = re.compile(rf"({_NAME}),?\s+\(?(?:formerly|previously)(?:\s+known\s+as)?\s+({_NAME})")


def _plausible(long: str, short: str) -> bool:
    """Is `short` an abbreviation or short form of `long`? (initials, a prefix, or its words)"""
    lw = [w for w in re.split(r"[\s-]+", strip_legal(long)) if w]
    if not lw or short == long:
        return False
    initials = "".join(w[0] for w in lw if w[0].isalnum()).lower()
    s = re.sub(r"[^a-z0-9]", "", short.lower())
    if not s:
        return False
    if initials.startswith(s) or s == initials:
        return True
    if key(long).startswith(key(short)):
        return True
    letters = re.sub(r"[^a-z0-9]", "", long.lower())
    pos = 0
    for ch in s:  # the short form's letters in order, the first one starting a word
        pos = letters.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return s[0] == lw[0][0].lower()


def document_aliases(text: str) -> dict[str, str]:
    """Short or other names a document defines for a company: {alias: full name}.
    "Asklepios BioPharmaceutical, better known as AskBio" -> {"AskBio": "Asklepios
    BioPharmaceutical"}; "GlaxoSmithKline (GSK)" -> {"GSK": "GlaxoSmithKline"}; "Pluri (formerly
    Pluristem)" -> {"Pluristem": "Pluri"}. Parenthesised terms that are not abbreviations of the
    name before them (tickers such as "(Nasdaq: PRVB)", disease names) are ignored."""
    out: dict[str, str] = {}
    for m in _PAREN.finditer(text or ""):
        long, short = m.group(1).strip(), m.group(2).strip()
        long_words = long.split()
        # the name before the parenthesis may start mid-sentence: try its shorter tails
        for i in range(len(long_words)):
            cand = " ".join(long_words[i:])
            if _plausible(cand, short) and cand[0].isupper():
                out.setdefault(short, cand)
                break
    for m in _BETTER_KNOWN.finditer(text or ""):
        out.setdefault(m.group(2).strip(), m.group(1).strip())
    for m in _FORMERLY.finditer(text or ""):
        out.setdefault(m.group(2).strip(), m.group(1).strip())
    return out
