"""Deals in the rows of a deals table: one record per row that names two companies.

The loader gives each table row as one element, every cell after its column's header
(`ingest.table_rows`):

    Company (location): 4SC AG (Planegg, Germany); Company (location): Menarini Asia-Pacific
    Holdings Pte. Ltd. (Singapore); Value (M): $101.2; Type/product area: Licensing and
    development partnership for 4SC's oral histone deacetylase inhibitor, resminostat, ...

No sentence there says who did what with whom, so the sentence patterns read nothing; the
headers do. Columns are known by their header: the companies ("Company", "Partner", "Buyer",
"Licensor", "Licensee", "Acquirer", "Target", ...; a buyer, licensee, acquirer or investor
column comes first), the value ("Value (M)", "Up-Front Payments", "Milestones", "Deal value"), the
kind of deal ("Type", "Deal type", "Type/product area", "Terms/details": the earliest deal word
in it), the asset (a product code or drug name in those columns). A header's unit ("Value (M)",
"($B)") scales an amount written without one, and the quote of that cell keeps the header so
that it states the value. Every cell still passes the grounding check.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant.core.money import find_money
from assistant.core.text import DATA_CELL
from ingest.loading import TABLE_ROW
from ingest.records import patterns as P
from ingest.records.document import Document, Draft, Sentence
from ingest.records.grounding import UNITLESS, label_amount, label_scale

# a header may hold a bracket with semicolons: "Biotech Co.* (Country; Symbol): Addex ..."
_LABEL = re.compile(r"(?:^|;\s)(?P<label>[A-Z](?:[^:;()]|\([^():]{0,30}\)){0,40}?):\s")
_PARTY = re.compile(r"compan|partner|licens(?:ee|or)|buyer|seller|acquir|target|investor|"
                    r"part(?:y|ies)|originator|developer|\bco\.?(?![\w-])", re.IGNORECASE)
# the side that pays comes first; in a "Biotech Co. | Pharma Co." table that is the pharma
_FIRST = re.compile(r"buyer|acquir|licensee|investor|\bpharma\s+co\b", re.IGNORECASE)
_KIND = re.compile(r"type|deal|structure|description|product|area|terms|details|nature|focus",
                   re.IGNORECASE)
_MONEY = {"upfront": re.compile(r"up[\s-]?front", re.IGNORECASE),
          "milestones": re.compile(r"milestone", re.IGNORECASE),
          "total": re.compile(r"value|total|worth|size|amount|consideration|headline", re.IGNORECASE)}
# the target's side of a header that names both ("Licensor acquired / licensee acquirer")
_SECOND = re.compile(r"licensor|acquired|target|seller", re.IGNORECASE)
_NOT_NAME = re.compile(r"^(?:N/?A|ND|n\.?d\.?|undisclosed|not disclosed|none|-|–|—)\.?$", re.IGNORECASE)
_PRODUCT = re.compile(r"\b(?:[A-Z]{1,6}[-‐]?\d{2,6}[A-Za-z]?|[a-z]{4,}(?:mab|cept|cel|gene|tinib|stat|"
                      r"tide|siran|rsen|vec|parib|ciclib|lisib))\b")


@dataclass
class _Cell:
    label: str
    start: int  # where the label starts
    value_start: int
    end: int

    def value(self, text: str) -> str:
        return text[self.value_start:self.end]


def _labels(rows: list[str]) -> set[str]:
    """The headers: labels that start cells in at least two rows (any label in a one-row table)."""
    counts: Counter = Counter()
    for text in rows:
        counts.update({m.group("label") for m in _LABEL.finditer(text)})
    return {label for label, n in counts.items() if n >= 2 or len(rows) == 1}


def _cells(text: str, labels: set[str]) -> list[_Cell]:
    marks = [m for m in _LABEL.finditer(text) if m.group("label") in labels]
    out = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        value = text[m.end():end].rstrip()
        if i + 1 == len(marks) and value.endswith(".") and not re.search(
                r"\b(?:Inc|Ltd|Co|Corp|S\.A|N\.V|Pte)\.$", value):
            value = value[:-1]  # the full stop the loader ends a row with
        out.append(_Cell(m.group("label"), m.start("label"), m.end(), m.end() + len(value)))
    return out


def _sentence(doc: Document, element: int, a: int, b: int, index: int) -> Sentence:
    text = doc.texts[element]
    return Sentence(text[a:b], element, a, doc.elements[element].page, index, False, False)


def _name(value: str) -> str | None:
    """A company named in a cell: without its place or ticker in brackets."""
    # (without the footnote mark of "Amira Pharmaceuticals Inc.*": "* Private company")
    name = re.split(r"\s+\(", value, maxsplit=1)[0].strip(" ,;").rstrip("*†‡ ")
    if not name or _NOT_NAME.match(name) or not (name[0].isupper() or name[0].isdigit()) or len(name.split()) > 8 or \
            len(re.findall(r"[A-Za-z]", name)) < 2:  # ("J&J" is a name)
        return None
    return name


def _kind(text: str) -> str | None:
    found = [(m.start(), kind) for kind, rx in P.DEAL_RE.items() for m in [rx.search(text)] if m]
    if found:
        return min(found)[1]
    return "collaboration" if P.AGREEMENT.search(text) else None


def row_deals(doc: Document, terms: Callable[[Draft, Sentence], None] | None = None) -> list[Draft]:
    """`terms(draft, cell)`: reads the amounts a free-text cell ("Terms/Details: Merck will pay
    Addex $22M up front and up to $455M in ... milestones") gives, by the words around them."""
    rows = [i for i, e in enumerate(doc.elements) if e.category == TABLE_ROW]
    if not rows:
        return []
    labels = _labels([doc.texts[i] for i in rows])
    if not any(_PARTY.search(label) for label in labels):
        return []
    out: list[Draft] = []
    at = {}
    for s in doc.sentences:
        at.setdefault(s.element, s.index)
    for i in rows:
        if i not in at:  # in a section the extractor skips (references, "more news")
            continue
        draft = _row(doc, i, _cells(doc.texts[i], labels), at[i], terms)
        if draft is not None:
            out.append(draft)
    return out


# --- tables written with pipes in plain text ---
#
#     Date | Parties | Deal Type | Value (USD) | Therapeutic Area
#     Sep 2 | Radiance Bio – Novatim | Licensing | $15M upfront; $1.15B potential | Oncology (ADC)
#
# A header line (no cell holds data) names the columns of the lines after it with as many cells.
# A party cell may name both companies ("Radiance Bio – Novatim"); a value cell may hold several
# amounts, each part named by its own words ("$15M upfront", "$1.15B potential"). The quotes are
# the cells themselves: the header is not quoted, so an amount written without its unit under
# a "Value (M)" header is left out rather than scaled.
_PIPE = re.compile(r"\s+\|\s+")
_PAIR = re.compile(r"\s+[–—-]\s+|\s*/\s*|\s+(?:and|with|x|×)\s+")
_PART = re.compile(r"[^;,]+")
_PART_ROLE = [("upfront", re.compile(r"up[\s-]?front|initial", re.IGNORECASE)),
              ("milestones", re.compile(r"milestone|contingent|earn-?out", re.IGNORECASE)),
              ("total", re.compile(r"potential|total|up to|worth|value|deal size|biobucks", re.IGNORECASE))]


def _split(line: str, offset: int) -> list[tuple[int, int]]:
    """The cells of a pipe line as (start, end) in its element's text."""
    out, at = [], 0
    for m in list(_PIPE.finditer(line)) + [None]:
        end = m.start() if m else len(line)
        a, b = at, end
        while a < b and line[a] in " |":
            a += 1
        while b > a and line[b - 1] in " |":
            b -= 1
        out.append((offset + a, offset + b))
        at = m.end() if m else len(line)
    return out


def pipe_lines(doc: Document) -> Iterator[tuple[int, int, int, list[tuple[int, int]], list[str],
                                                 int | None] | None]:
    """Each line of a table written with pipes (two " | " or more), in document order: (element,
    line start, line length, cell spans, cell values, index of the sentence holding the line or
    None when no sentence of the document is in that element); None where a paragraph (an
    element of over 200 characters without such a line) ends the table."""
    at: dict[int, list] = {}
    for s in doc.sentences:
        at.setdefault(s.element, []).append(s)
    for i, text in enumerate(doc.texts):
        lines = text.split("\n")
        if not any(line.count(" | ") >= 2 for line in lines):
            if len(text) > 200:
                yield None
            continue
        offset = 0
        for line in lines:
            start, offset = offset, offset + len(line) + 1
            if line.count(" | ") < 2:
                continue
            spans = _split(line, start)
            index = next((s.index for s in at[i] if s.start <= start < s.start + len(s.text) + 1),
                         at[i][0].index) if i in at else None
            yield i, start, len(line), spans, [text[a:b] for a, b in spans], index


def pipe_deals(doc: Document) -> list[Draft]:
    out: list[Draft] = []
    header: list[str] | None = None
    for row in pipe_lines(doc):
        if row is None:  # a paragraph ends the table
            header = None
            continue
        i, _, _, spans, values, index = row
        if not any(DATA_CELL.match(v) for v in values):
            header = values
            continue
        if header is None or len(header) != len(spans) or index is None:
            continue
        # (a cell's label is its column's header line, not in the row's text)
        draft = _pipe_row(doc, i, [_Cell(h, a, a, b) for h, (a, b) in zip(header, spans)], index)
        if draft is not None:
            out.append(draft)
    return out


def _pipe_row(doc: Document, i: int, cells: list[_Cell], index: int) -> Draft | None:
    text = doc.texts[i]
    names: list[str] = []
    party_cells = [c for c in cells if _PARTY.search(c.label)]
    for c in party_cells:
        value = c.value(text)
        parts = _PAIR.split(value) if len(party_cells) == 1 else [value]
        names += [n for n in (_name(p) for p in parts) if n]
    if len(names) < 2 or len({doc.canonical(n) for n in names}) < 2:
        return None
    kind, kind_cell = None, None
    for c in cells:
        if _KIND.search(c.label) and not _PARTY.search(c.label):
            value = c.value(text)
            kind = _kind(value)
            if kind:
                kind_cell = c
                break
    if kind is None:
        return None
    draft = Draft("deal", first=index, key=frozenset(doc.canonical(n) for n in names))
    draft.put("parties", names, _sentence(doc, i, party_cells[0].start, party_cells[-1].end, index))
    draft.put("kind", kind, _sentence(doc, i, kind_cell.start, kind_cell.end, index))
    for c in cells:
        if c in party_cells or c is kind_cell or not _MONEY["total"].search(c.label) and \
                not any(rx.search(c.label) for rx in _MONEY.values()):
            continue
        value = c.value(text)
        parts = list(_PART.finditer(value))
        for m in parts:
            amounts = find_money(m.group(0))
            if len(amounts) != 1 or UNITLESS.fullmatch(amounts[0].text):
                continue
            role = next((r for r, rx in _PART_ROLE if rx.search(m.group(0))), None)
            if role is None:  # one amount in the cell: the header says what it is
                role = next((r for r, rx in _MONEY.items() if rx.search(c.label)), None) \
                    if len(parts) == 1 else None
            if role is None:
                continue
            a = c.start + m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
            b = c.start + m.end() - (len(m.group(0)) - len(m.group(0).rstrip()))
            money = amounts[0]
            extra = {"currency": money.currency}
            if money.qualifier:
                extra["qualifier"] = money.qualifier
            draft.put(role, money.value, _sentence(doc, i, a, b, index), **extra)
    return draft


def _pair(cell: _Cell, text: str) -> list[tuple[_Cell, str]]:
    """The two companies of a cell that names both, the buyer or licensee first: the header
    says which side each is on ("Licensor acquired / licensee acquirer")."""
    parts = _PAIR.split(cell.value(text))
    names = [n for n in (_name(p) for p in parts) if n]
    if len(parts) != 2 or len(names) != 2:
        return []
    sides = re.split(r"\s*/\s*", cell.label)
    if len(sides) == 2 and _SECOND.search(sides[0]) and _FIRST.search(sides[1]):
        names.reverse()
    return [(cell, n) for n in names]


def _row(doc: Document, i: int, cells: list[_Cell], index: int,
         terms: Callable[[Draft, Sentence], None] | None = None) -> Draft | None:
    text = doc.texts[i]
    party_cells = [c for c in cells if _PARTY.search(c.label)]
    if len(party_cells) == 1:  # one column names both: "NewLink Genetics/Genentech"
        parties = _pair(party_cells[0], text)
    else:
        parties = [(c, _name(c.value(text))) for c in party_cells]
        parties = [(c, name) for c, name in parties if name]
        parties.sort(key=lambda p: 0 if _FIRST.search(p[0].label) else 1)
    if len(parties) < 2 or len({doc.canonical(name) for _, name in parties}) < 2:
        return None
    kind_cells = [c for c in cells if _KIND.search(c.label) and not _PARTY.search(c.label)]
    kind, kind_cell = None, None
    for c in kind_cells:
        kind = _kind(c.value(text))
        if kind:
            kind_cell = c
            break
    if kind is None:
        return None
    names = [name for _, name in parties]
    draft = Draft("deal", first=index, key=frozenset(doc.canonical(n) for n in names))
    a = min(c.value_start for c, _ in parties)
    b = max(c.end for c, _ in parties)
    draft.put("parties", names, _sentence(doc, i, a, b, index))
    draft.put("kind", kind, _sentence(doc, i, kind_cell.value_start, kind_cell.end, index))
    for c in kind_cells:
        m = _PRODUCT.search(c.value(text))
        if m:
            draft.put("asset", m.group(0), _sentence(doc, i, c.value_start, c.end, index))
            break
    for c in cells:
        if _PARTY.search(c.label) or _KIND.search(c.label) and not _MONEY["total"].search(c.label):
            continue
        role = next((r for r, rx in _MONEY.items() if rx.search(c.label)), None)
        if role is None:
            continue
        amounts = find_money(c.value(text))
        bare = label_amount(text[c.start:c.end]) if not amounts else None
        if bare is not None:  # "Headline ($m): 1,150"
            draft.put(role, bare, _sentence(doc, i, c.start, c.end, index), currency="USD")
            continue
        if len(amounts) != 1:
            continue
        money = amounts[0]
        scale = label_scale(text[c.start:c.end])
        value = money.value * (scale if UNITLESS.fullmatch(money.text) else 1.0)
        extra = {"currency": money.currency}
        if money.qualifier:
            extra["qualifier"] = money.qualifier
        draft.put(role, value, _sentence(doc, i, c.start, c.end, index), **extra)
    if terms is not None:
        for c in kind_cells:  # money the header does not name: the cell's words say what it is
            if find_money(c.value(text)):
                terms(draft, _sentence(doc, i, c.value_start, c.end, index))
    return draft
