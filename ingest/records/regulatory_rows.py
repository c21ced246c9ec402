"""Regulatory events in the rows of a table of approvals: one record per row that names a product
and says what happened to it.

The loader gives each table row as one element, every cell after its column's header
(`ingest.table_rows`):

    PDUFA Date: 2.11.2021; Orphan Drug: Evinacumab; Indication: Homozygous familial
    hypercholesterolemia; Company: Regeneron; Status: APPROVED 2.11.2021.

Columns are known by their header: the product ("Drug", "Orphan Drug", "Product", "Therapy",
"Brand"), the indication ("Indication", "Disease", "Condition"), the sponsor ("Company",
"Sponsor", "Developer"), and what happened ("Status", "Action", "Decision", "Outcome": an action
word in it, "APPROVED 2.11.2021"). The event's date is the one the status cell gives, or an
approval-date column's; a PDUFA or target date is a deadline, not the event. The agency is the
one the status cell names, else the one agency the page names. Every cell still passes the
grounding check.
"""

from __future__ import annotations

import re

from ingest.loading import TABLE_ROW
from ingest.records import patterns as P
from ingest.records.dates import find_dates
from ingest.records.deal_rows import _cells, _labels, _name, _sentence
from ingest.records.document import Document, Draft

_PRODUCT = re.compile(r"\b(?:drug|product|therapy|therapeutic|medicine|brand|candidate|asset|"
                      r"biosimilar|vaccine|treatment)s?\b", re.I)
_INDICATION = re.compile(r"\b(?:indications?|disease|condition|use|approved\s+for)\b", re.I)
_SPONSOR = re.compile(r"\b(?:company|companies|sponsor|developer|manufacturer|applicant|"
                      r"marketer|originator|owner)\b", re.I)
_STATUS = re.compile(r"\b(?:status|action|decision|outcome|event|result|news)\b", re.I)
_EVENT_DATE = re.compile(r"\b(?:approval|approved|decision|action)\s+date\b|\bdate\s+(?:of\s+)?"
                         r"(?:approval|decision|action)\b", re.I)
_DEADLINE = re.compile(r"\b(?:PDUFA|target|goal|expected|deadline)\b", re.I)
_NOT_PRODUCT = re.compile(r"^(?:N/?A|ND|n\.?d\.?|undisclosed|none|-|–|—|TBD)\.?$", re.I)


def _action(text: str) -> str | None:
    for name in ("complete_response", "rejection", "delay", "positive_opinion",
                 "filing_acceptance", "tentative_approval", "conditional_approval"):
        if P.ACTION_RE[name].search(text):
            return name
    if re.search(r"\bapprov(?:ed|al)\b", text, re.I):
        return "approval"
    return None


def regulatory_rows(doc: Document, agency: tuple[str, object] | None) -> tuple[list[Draft], set[int]]:
    """The events of the document's approval tables, and the elements read as their rows.
    `agency`: the one agency the document names, with the sentence that names it (or None)."""
    rows = [i for i, e in enumerate(doc.elements) if e.category == TABLE_ROW]
    if not rows:
        return [], set()
    labels = _labels([doc.texts[i] for i in rows])
    product_labels = {lb for lb in labels if _PRODUCT.search(lb) and not _SPONSOR.search(lb)
                      and not _INDICATION.search(lb)}
    status_labels = {lb for lb in labels if _STATUS.search(lb)}
    if not product_labels or not status_labels:
        return [], set()
    at = {}
    for s in doc.sentences:
        at.setdefault(s.element, s.index)
    out: list[Draft] = []
    read: set[int] = set()
    for i in rows:
        if i not in at:  # in a section the extractor skips
            continue
        text = doc.texts[i]
        cells = {c.label: c for c in _cells(text, labels)}
        status = next((c for lb, c in cells.items() if lb in status_labels), None)
        product = next((c for lb, c in cells.items() if lb in product_labels), None)
        if status is None or product is None:
            continue
        action = _action(status.value(text))
        name = product.value(text).strip()
        if action is None or not name or _NOT_PRODUCT.match(name) or len(name.split()) > 6:
            continue
        own = next((a for a, rx in P.AGENCY_RE.items() if rx.search(status.value(text))), None)
        if own is None and agency is None:
            continue
        index = at[i]
        draft = Draft("regulatory", first=index, key=(own or agency[0], action, None, name.lower()))
        draft.names = {name.lower()}
        status_sent = _sentence(doc, i, status.start, status.end, index)
        if own:
            draft.put("agency", own, status_sent)
        else:
            draft.put("agency", agency[0], agency[1])
        draft.put("action", action, status_sent)
        draft.put("product", name, _sentence(doc, i, product.start, product.end, index))
        for lb, c in cells.items():
            value = c.value(text).strip()
            if _SPONSOR.search(lb) and "sponsor" not in draft.cells:
                sponsor = _name(value)
                if sponsor and "/" not in sponsor:
                    draft.put("sponsor", sponsor, _sentence(doc, i, c.start, c.end, index))
            elif _INDICATION.search(lb) and "indication" not in draft.cells and \
                    3 <= len(value) <= 160 and not _NOT_PRODUCT.match(value):
                draft.put("indication", value, _sentence(doc, i, c.start, c.end, index))
        dates = find_dates(status.value(text), doc.anchor)
        if dates:
            draft.put("date", dates[0].value, status_sent)
        else:
            for lb, c in cells.items():
                if _EVENT_DATE.search(lb) and not _DEADLINE.search(lb):
                    found = find_dates(c.value(text), doc.anchor)
                    if found:
                        draft.put("date", found[0].value, _sentence(doc, i, c.start, c.end, index))
                        break
        out.append(draft)
        read.add(i)
    return out, read
