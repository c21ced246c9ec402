"""Records of a document: its deals, regulatory events and facilities, each cell cited.

`extract_records(elements, title)` reads the elements the pipeline loaded (after the chrome
filter: the text the chunks are made from) and returns records:

    {"type": "deal" | "regulatory" | "facility",
     "fields": {name: {"value", "quote", "page"[, "currency"][, "qualifier"]}},
     "date": "YYYY[-MM[-DD]]" | None,      # the event's date (deal: announced)
     "companies": [canonical names],        # parties / sponsor / company, for filtering
     "usd": float | None}                   # the deal's total (else upfront) or the facility's
                                            # investment in US dollars, for filtering and sorting

Every cell is checked before it is kept (`ingest.records.grounding`): its quote is a verbatim
span of an element's text and states the value. A document with nothing to extract has no
records; an extractor that fails on a document is logged and yields none for it (ingest goes on).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ingest.records.deals import extract_deals
from ingest.records.document import Document, Draft
from ingest.records.facilities import extract_facilities
from ingest.records.grounding import MONEY_FIELDS, grounded
from assistant.core.money import USD_RATES, find_money
from ingest.records.regulatory import extract_regulatory

log = logging.getLogger(__name__)

FIELDS = {
    "deal": ("parties", "kind", "asset", "upfront", "milestones", "total", "announced"),
    "regulatory": ("agency", "action", "designation", "product", "sponsor", "indication", "date"),
    "facility": ("company", "site", "country", "capacity_liters", "investment", "jobs", "status",
                 "date"),
}
REQUIRED = {"deal": ("parties", "kind"), "regulatory": ("agency", "action", "product"),
            "facility": ("company", "site")}
# Quick test: only documents with one of these words can hold a record (most text skips here).
_TRIGGER = re.compile(
    r"acqui|merg|licen[cs]|collaborat|partner|invest|stake|raised|\bbuy|bought|purchas|alliance|M&A|\bpaid\b|\bbid\b|"
    r"\bdeals?\b|per\s+share|exclusive\s+rights|"
    r"financing|funding|Series [A-F]\b|\bpact\b|Health Canada|Swissmedic|MHLW|"
    r"FDA|EMA|NMPA|MHRA|PMDA|Food and Drug|Medicines Agency|Medical Products|approv|designat|"
    r"European Commission|authori[sz]ation|"
    r"facility|plant|bioreactor|suite|campus|\bsite\b|expansion|biorepositor|cleanroom", re.I)


def extract_records(elements: list, title: str = "") -> list[dict[str, Any]]:
    texts = [getattr(e, "text", "") or "" for e in elements]
    if not any(_TRIGGER.search(t) for t in texts):
        return []
    try:
        doc = Document(elements, title)
    except Exception:  # never stops ingest
        log.exception("record extraction could not read the document %r", title)
        return []
    records: list[dict[str, Any]] = []
    for kind, extractor in (("deal", extract_deals), ("regulatory", extract_regulatory),
                            ("facility", extract_facilities)):
        try:
            drafts = extractor(doc)
        except Exception:
            log.exception("%s extraction failed on %r; no %s records for it", kind, title, kind)
            continue
        for draft in sorted(drafts, key=lambda d: d.first):
            rec = _finish(draft, doc, texts)
            if rec is not None:
                records.append(rec)
    return records


def _finish(draft: Draft, doc: Document, texts: list[str]) -> dict[str, Any] | None:
    fields = {}
    cells = draft.final()
    for name in FIELDS[draft.type]:
        c = cells.get(name)
        if c is not None and grounded(name, c, texts, doc.anchor):
            fields[name] = c
        elif c is not None:
            log.debug("dropped an ungrounded %s cell %r", name, c)
    if any(r not in fields for r in REQUIRED[draft.type]):
        return None
    date_field = "announced" if draft.type == "deal" else "date"
    return {"type": draft.type, "fields": fields,
            "date": fields.get(date_field, {}).get("value"),
            "companies": _companies(draft.type, fields, doc),
            "usd": _usd(fields)}


def _companies(kind: str, fields: dict, doc: Document) -> list[str]:
    names: list[str] = []
    if kind == "deal":
        names = list(fields["parties"]["value"])
    elif kind == "regulatory" and "sponsor" in fields:
        names = [fields["sponsor"]["value"]]
    elif kind == "facility":
        names = [fields["company"]["value"]]
    return list(dict.fromkeys(doc.canonical(n) for n in names))


def _usd(fields: dict) -> float | None:
    """The record's size in US dollars: a dollar amount the quote gives beside the figure
    ("CHF 850 million ($934 million)"), else the figure at a fixed approximate rate."""
    for name in ("total", "upfront", "investment"):
        c = fields.get(name)
        if c is None or name not in MONEY_FIELDS:
            continue
        if c.get("currency") == "USD":
            return float(c["value"])
        amounts = find_money(c["quote"])
        for i, m in enumerate(amounts[:-1]):
            nxt = amounts[i + 1]
            if m.currency == c["currency"] and abs(m.value - c["value"]) < 1e-6 * c["value"] and \
                    nxt.currency == "USD" and re.fullmatch(
                        r"\s*\(\s*(?:around|about|approximately|roughly|~)?\s*",
                        c["quote"][m.end:nxt.start]):
                return nxt.value
        rate = USD_RATES.get(c.get("currency", ""))
        return float(c["value"]) * rate if rate else None
    return None
