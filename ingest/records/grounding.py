"""Does a cell's quote state its value? The check every extracted cell passes before it is kept
(and that tests and `eval/records.py` run on every cell): the quote must be a verbatim span of
one of the document's element texts, and the value's wording must be in the quote.

- money: an amount in the quote in the cell's currency equals the value (or several add up to it:
  "$270M on development ... milestones and up to $600M in commercial milestones");
- dates: a date in the quote, resolved against the document's date, equals the value;
- names and texts: the value (each party, for `parties`) is in the quote as written;
- agency, designation, action, kind, status, country: one of the wordings of the value (see
  `ingest.records.patterns`) is in the quote;
- capacity_liters, jobs: the number (or count times volume) is in the quote.
"""

from __future__ import annotations

import re
from itertools import combinations

from ingest.records import patterns as P
from ingest.records.dates import find_dates
from assistant.core.money import find_money, same_amount

MONEY_FIELDS = ("upfront", "milestones", "total", "investment")
DATE_FIELDS = ("announced", "date")
TEXT_FIELDS = ("asset", "product", "indication", "site", "sponsor", "company")


# a table header's unit: "Value (M): $101.2" states 101,200,000 ("Value ($M)", "(US$ millions)",
# "($B)"); only an amount written without its own unit is scaled
SCALE_LABEL = re.compile(r"^[^:;]*\(\s*(?P<cur>(?:US)?\$)?\s*(?P<unit>M|MM|mn|m|millions?|B|bn|billions?)\s*\)"
                         r"\s*:", re.I)
UNITLESS = re.compile(r"[^\d]*[\d,.]+")


def label_scale(quote: str) -> float:
    """1e6 or 1e9 when the quote starts with a header that gives the amounts' unit, else 1."""
    m = SCALE_LABEL.match(quote)
    if not m:
        return 1.0
    return 1e9 if m.group("unit").lower().startswith("b") else 1e6


def label_amount(quote: str) -> float | None:
    """A bare number under a header that gives both currency and unit ("Headline ($m): 1,150"
    states $1,150,000,000), in dollars; None otherwise."""
    m = SCALE_LABEL.match(quote)
    if not m or not m.group("cur"):
        return None
    rest = quote[m.end():].strip()
    if not re.fullmatch(r"\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?", rest):
        return None
    return float(rest.replace(",", "")) * label_scale(quote)


def verbatim(quote: str, texts: list[str]) -> bool:
    return bool(quote) and any(quote in t for t in texts)


def holds(name: str, cell: dict, anchor: str | None) -> bool:
    """Is the value of cell `name` stated in its quote?"""
    quote, value = cell.get("quote") or "", cell.get("value")
    if value in (None, "", []):
        return False
    if name in MONEY_FIELDS:
        scale = label_scale(quote)
        amounts = [m.value * (scale if scale != 1 and UNITLESS.fullmatch(m.text) else 1)
                   for m in find_money(quote) if m.currency == cell.get("currency")]
        if any(same_amount(a, float(value)) for a in amounts):
            return True
        bare = label_amount(quote)
        if bare is not None and cell.get("currency") == "USD" and same_amount(bare, float(value)):
            return True
        return any(same_amount(sum(c), float(value))
                   for n in (2, 3) for c in combinations(amounts[:8], n))
    if name in DATE_FIELDS:
        return any(d.value == value for d in find_dates(quote, anchor))
    if name == "parties":
        return isinstance(value, list) and all(isinstance(v, str) and named(v, quote)
                                               for v in value)
    if name in ("company", "sponsor"):
        return isinstance(value, str) and named(value, quote)
    if name in TEXT_FIELDS:
        return isinstance(value, str) and value in quote
    if name == "agency":
        rx, caption = P.AGENCY_RE.get(value), P.APPROVED_IN.get(value)
        return bool(rx and rx.search(quote) or caption and caption.search(quote))
    if name == "designation":
        rx = P.DESIGNATION_RE.get(value)
        return bool(rx and rx.search(quote))
    if name == "action":
        rx = P.ACTION_RE.get(value)
        return bool(rx and rx.search(quote)) or (
            value == "designation" and any(r.search(quote) for r in P.DESIGNATION_RE.values()))
    if name == "kind":
        rx = P.DEAL_RE.get(value)
        return bool(rx and rx.search(quote)) or value == "collaboration" and bool(
            P.AGREEMENT.search(quote))
    if name == "status":
        rx = P.STATUS_RE.get(value)
        return bool(rx and rx.search(quote))
    if name == "country":
        rx = P.COUNTRY_RE.get(value)
        return bool(rx and rx.search(quote))
    if name == "capacity_liters":
        for m in P.VOLUME.finditer(quote):
            vol = float(re.sub(r"[,\s]", "", m.group("vol")))
            count = m.group("count")
            n = (int(count) if count and count.isdigit() else
                 P.NUMBER_WORDS.get((count or "").lower(), 1))
            if int(vol * n) == int(value) or int(vol) == int(value):
                return True
        return False
    if name == "jobs":
        return any(int(m.group("n").replace(",", "")) == int(value) for m in P.JOBS.finditer(quote))
    return False


_COMPANY_WORDS = re.compile(
    r"(?:\s+(?:Therapeutics|Biotherapeutics|Biotechnologies|Biotechnology|Biologics|Biotech|"
    r"BioPharmaceuticals?|Biopharmaceuticals?|BioPharma|Biopharma|Pharmaceuticals?|Pharma|"
    r"Biosciences|BioSciences|Bio|Sciences|Medicines|Oncology|Genetics|Genomics|Vaccines|"
    r"Inc\.?|Ltd\.?|GmbH|AG|plc|SA|LLC|Corp\.?|Co\.))+$")


def named(value: str, quote: str) -> bool:
    """The quote names the company: in full, or by its first word when the rest are company
    words ("Nerio" for Nerio Therapeutics, "Kelvion's" for Kelvion Biologics)."""
    if value in quote:
        return True
    short = _COMPANY_WORDS.sub("", value)
    return short != value and len(short) >= 3 and bool(
        re.search(rf"(?<![\w-]){re.escape(short)}(?![\w-])", quote))


def grounded(name: str, cell: dict, texts: list[str], anchor: str | None) -> bool:
    return verbatim(cell.get("quote") or "", texts) and holds(name, cell, anchor)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))
