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

A table written with pipes in plain text is read the same way (its header line names the
columns); there a designation column ("Orphan Designation") says what was granted, the header
line being its quote, and its cells are the indications:

    Row | Generic Name | Designation Date | Orphan Designation
    5 | Lonafarnib | 11-19-2013 | Hepatitis Delta Virus (HDV) infection
"""

from __future__ import annotations

import re

from assistant.core.text import DATA_CELL
from ingest.loading import TABLE_ROW
from ingest.records import patterns as P
from ingest.records.dates import find_dates
from ingest.records.deal_rows import _cells, _labels, _name, _sentence, pipe_lines
from ingest.records.document import Document, Draft, Sentence

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


def table_events(doc: Document, agency: tuple[str, object] | None) -> tuple[list[Draft], set[int]]:
    """The events of the document's tables of approvals and designations (both kinds of table),
    and the elements read as their rows."""
    drafts, read = regulatory_rows(doc, agency)
    more, more_read = pipe_regulatory_rows(doc, agency)
    cards, cards_read = card_events(doc, agency)
    return drafts + more + cards, read | more_read | cards_read


# A product's card: its name as a heading, then labelled lines, one of them its approval date
#     RYBELSUS / Active Ingredient(s): Semaglutide / Company: Novo Nordisk, Inc. /
#     Approval Date: 16 January 2020 / Indication(s): Indicated as adjunct to ...
_CARD_LINE = re.compile(r"^(?P<label>[A-Z][\w()/ -]{1,40}?):\s+(?P<value>\S.*)$", re.S)
_APPROVAL_DATE = re.compile(r"^(?:(?:FDA|EMA|NMPA|original)\s+)?approval\s+date$|^date\s+(?:of\s+)?approv"
                            r"(?:al|ed)$|^approved(?:\s+on)?$", re.I)


def card_events(doc: Document, agency: tuple[str, object] | None) -> tuple[list[Draft], set[int]]:
    """Approvals given as cards (the page names one agency): one record per card with an
    approval date line; the product is the card's heading, the company, indication and date
    their lines."""
    if agency is None:
        return [], set()
    first = {}
    for sent in doc.sentences:
        first.setdefault(sent.element, sent)
    out, read = [], set()
    for i, el in enumerate(doc.elements):
        head = first.get(i)
        if head is None or not el.is_title or len(el.text) > 40 or len(el.text.split()) > 4:
            continue
        lines = []
        for j in range(i + 1, min(i + 15, len(doc.elements))):
            m = _CARD_LINE.match(doc.texts[j])
            if doc.elements[j].is_title or m is None or j not in first:
                break
            lines.append((m.group("label").strip(), m.group("value").strip(), first[j]))
        dated = [(v, s) for lb, v, s in lines if _APPROVAL_DATE.match(lb)]
        found = find_dates(dated[0][0], doc.anchor) if dated else []
        if not found or not P.ACTION_RE["approval"].search(dated[0][1].text):
            continue
        name = el.text.strip()
        draft = Draft("regulatory", first=head.index, key=(agency[0], "approval", None, name.lower()))
        draft.names = {name.lower()}
        draft.put("agency", agency[0], agency[1])
        draft.put("action", "approval", dated[0][1])
        draft.put("product", name, head)
        draft.put("date", found[0].value, dated[0][1])
        for label, value, sent in lines:
            if _SPONSOR.search(label) and "sponsor" not in draft.cells and (sponsor := _name(value)):
                draft.put("sponsor", sponsor, sent)
            elif _INDICATION.search(label) and "indication" not in draft.cells and len(value) <= 200:
                draft.put("indication", re.sub(r"^(?:Indicated|Used)\s+(?:for|as|to)\s+(?:the\s+)?"
                                               r"(?:treatment\s+of\s+)?", "", value).rstrip("."), sent)
        out.append(draft)
        read |= {s.element for _, _, s in lines} | {i}
    return out, read


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
    caption = None if status_labels else _caption(doc, rows[0], agency)
    if not product_labels or not status_labels and caption is None:
        return [], set()
    at = {}
    for s in doc.sentences:
        at.setdefault(s.element, s.index)
    out: list[Draft] = []
    read: set[int] = set()
    for i in rows:
        if i not in at:  # in a section the extractor skips
            continue
        cells = {c.label: c for c in _cells(doc.texts[i], labels)}
        draft = _row_event(doc, i, at[i], cells, product_labels, status_labels, agency) \
            if caption is None else _caption_event(doc, i, at[i], cells, product_labels, caption)
        if draft is not None:
            out.append(draft)
            read.add(i)
    if out and caption is not None:
        read.add(caption[2].element)  # the caption is the rows' action, not a sentence of its own
    return out, read


# the date column of a table of approvals: "Date", "Approval date", "Time of approval"
_DATE_COLUMN = re.compile(r"\bdate\b|\btime\s+of\s+approval\b", re.I)
# "Table 1. FDA Biopharmaceutical Approvals in 2009": a caption that says every row was approved
# (Health Canada's "Notice of Compliance (with conditions)" is its approval)
_CAPTION = re.compile(r"\bapprov(?:als|ed)\b|\bNotices?\s+of\s+Compliance\b|\bNOC(?:/c)?\b", re.I)


def _caption(doc: Document, first_row: int, agency: tuple[str, object] | None
             ) -> tuple[str, Sentence, Sentence] | None:
    """(agency, the agency's sentence, the caption) of a table without a status column whose
    caption (one of the two elements before its first row) says its rows are approvals."""
    for i in range(first_row - 1, max(-1, first_row - 3), -1):
        text = doc.texts[i]
        if len(text) > 200 or not _CAPTION.search(text):
            continue
        sent = next((s for s in doc.sentences if s.element == i), None)
        if sent is None:
            return None
        own = [a for a, rx in P.AGENCY_RE.items() if rx.search(text)] or [
            a for a, rx in P.APPROVED_IN.items() if rx.search(text)]
        if len(own) == 1:
            return own[0], sent, sent
        return (agency[0], agency[1], sent) if agency is not None and not own else None
    return None


def _caption_event(doc: Document, i: int, index: int, cells: dict, product_labels: set[str],
                   caption: tuple[str, Sentence, Sentence]) -> Draft | None:
    """A row of a table of approvals its caption names: the product, the sponsor, the indication
    and the date by their columns (the date column of an approvals table is the approval's)."""
    text = doc.texts[i]
    product = next((c for lb, c in cells.items() if lb in product_labels), None)
    if product is None or len(cells) < 2:  # (a section's row: "Product name: Chemical Drugs")
        return None
    name = product.value(text).strip().rstrip("*†‡ ")
    # "vWF/Factor VIII Complex (Wilate)", "Botulinum Toxin A/Ipsen (Dysport; Reloxin)": the brand
    brand = re.search(r"\((?P<brand>[A-Z][\w-]{2,30}(?:\s[A-Z][\w-]{0,20})?)(?:;[^()]*)?\)$", name)
    name = brand.group("brand") if brand else name
    if not name or _NOT_PRODUCT.match(name) or len(name.split()) > 6:
        return None
    agency, agency_sent, caption_sent = caption
    # a remark that qualifies the approval ("Conditionally approved ..."): the row's own action
    remark = next(((c, a) for lb, c in cells.items() if c is not product and not _INDICATION.search(lb)
                   for a in [_action(c.value(text))] if a and a != "approval"), None)
    # (a caption of conditional approvals, "Notice of Compliance with conditions", says so of each)
    qualified = _action(caption_sent.text)
    action = remark[1] if remark else qualified if qualified in ("conditional_approval",
                                                                 "tentative_approval") else "approval"
    draft = Draft("regulatory", first=index, key=(agency, action, None, name.lower()))
    draft.names = {name.lower()}
    draft.put("agency", agency, agency_sent)
    draft.put("action", action, _sentence(doc, i, remark[0].start, remark[0].end, index)
              if remark else caption_sent)
    draft.put("product", name, _sentence(doc, i, product.start, product.end, index))
    _sponsor_and_indication(doc, draft, i, index, cells)
    for lb, c in cells.items():
        value = c.value(text).strip()
        if _DATE_COLUMN.search(lb) and not _DEADLINE.search(lb) and "date" not in draft.cells:
            found = find_dates(value, doc.anchor)
            if found:
                draft.put("date", found[0].value, _sentence(doc, i, c.start, c.end, index))
    return draft


def _sponsor_and_indication(doc: Document, draft: Draft, i: int, index: int, cells: dict) -> None:
    """The sponsor and indication columns of a row (a footnote mark off the indication)."""
    text = doc.texts[i]
    for lb, c in cells.items():
        value = c.value(text).strip()
        if _SPONSOR.search(lb) and "sponsor" not in draft.cells:
            sponsor = _name(value)
            if sponsor and "/" not in sponsor:
                draft.put("sponsor", sponsor, _sentence(doc, i, c.start, c.end, index))
        elif _INDICATION.search(lb) and "indication" not in draft.cells and \
                3 <= len(value) <= 160 and not _NOT_PRODUCT.match(value):
            draft.put("indication", value.rstrip("*†‡ "), _sentence(doc, i, c.start, c.end, index))


def _row_event(doc: Document, i: int, index: int, cells: dict, product_labels: set[str],
               status_labels: set[str], agency: tuple[str, object] | None) -> Draft | None:
    text = doc.texts[i]
    status = next((c for lb, c in cells.items() if lb in status_labels), None)
    product = next((c for lb, c in cells.items() if lb in product_labels), None)
    if status is None or product is None:
        return None
    action = _action(status.value(text))
    name = product.value(text).strip()
    if action is None or not name or _NOT_PRODUCT.match(name) or len(name.split()) > 6:
        return None
    own = next((a for a, rx in P.AGENCY_RE.items() if rx.search(status.value(text))), None)
    if own is None and agency is None:
        return None
    draft = Draft("regulatory", first=index, key=(own or agency[0], action, None, name.lower()))
    draft.names = {name.lower()}
    status_sent = _sentence(doc, i, status.start, status.end, index)
    if own:
        draft.put("agency", own, status_sent)
    else:
        draft.put("agency", agency[0], agency[1])
    draft.put("action", action, status_sent)
    draft.put("product", name, _sentence(doc, i, product.start, product.end, index))
    _sponsor_and_indication(doc, draft, i, index, cells)
    dates = find_dates(status.value(text), doc.anchor)
    if dates:
        draft.put("date", dates[0].value, status_sent)
        return draft
    for lb, c in cells.items():
        if _EVENT_DATE.search(lb) and not _DEADLINE.search(lb):
            found = find_dates(c.value(text), doc.anchor)
            if found:
                draft.put("date", found[0].value, _sentence(doc, i, c.start, c.end, index))
                break
    return draft


def pipe_regulatory_rows(doc: Document, agency: tuple[str, object] | None) -> tuple[list[Draft], set[int]]:
    """Events in tables written with pipes whose header names a product column and either a
    status column or a designation column; (drafts, elements read). A header line names the
    columns of the lines after it with as many cells, in its element or the next ones (a
    paragraph ends the table)."""
    if agency is None:
        return [], set()
    out: list[Draft] = []
    read: set[int] = set()
    header: tuple[list[str], Sentence] | None = None
    for row in pipe_lines(doc):
        if row is None:  # a paragraph ends the table
            header = None
            continue
        i, start, length, spans, values, index = row
        if index is None:
            continue
        # (a header has no figures; a row's may be a row number and a date: "4 | Filgrastim |
        # 11-20-2013 | Myelosuppression")
        if not any(DATA_CELL.match(v) or re.search(r"\d", v) for v in values):
            header = (values, _sentence(doc, i, start, start + length, index))
            continue
        if header is None or len(header[0]) != len(spans):
            continue
        draft = _pipe_event(doc, i, index, list(zip(header[0], spans)), header[1], agency)
        if draft is not None:
            out.append(draft)
            read.add(i)
    return out, read


def _pipe_event(doc: Document, i: int, index: int, cells: list[tuple[str, tuple[int, int]]],
                header: Sentence, agency: tuple[str, object]) -> Draft | None:
    text = doc.texts[i]

    def cell(a: int, b: int) -> Sentence:
        return _sentence(doc, i, a, b, index)
    product = next(((a, b) for lb, (a, b) in cells if _PRODUCT.search(lb) or re.search(
        r"\b(?:generic|brand|trade)\s+name\b", lb, re.I)), None)
    status = next(((a, b) for lb, (a, b) in cells if _STATUS.search(lb)), None)
    granted = [(lb, (a, b)) for lb, (a, b) in cells if not re.search(r"\bdate\b", lb, re.I)
               and any(rx.search(lb) for rx in P.DESIGNATION_RE.values())]
    if product is None or (status is None and not granted):
        return None
    name = text[product[0]:product[1]].strip()
    if not name or _NOT_PRODUCT.match(name) or len(name.split()) > 6:
        return None
    designation = None
    if status is not None:
        action = _action(text[status[0]:status[1]])
        action_sent = cell(*status)
    else:
        found = [k for k, rx in P.DESIGNATION_RE.items() if rx.search(granted[0][0])]
        action, designation, action_sent = "designation", (found[0] if len(found) == 1 else None), header
    if action is None:
        return None
    draft = Draft("regulatory", first=index, key=(agency[0], action, designation, name.lower()))
    draft.names = {name.lower()}
    draft.put("agency", agency[0], agency[1])
    draft.put("action", action, action_sent)
    if designation:
        draft.put("designation", designation, header)
    draft.put("product", name, cell(*product))
    for lb, (a, b) in cells:
        value = text[a:b].strip()
        if _SPONSOR.search(lb) and "sponsor" not in draft.cells:
            sponsor = _name(value)
            if sponsor and "/" not in sponsor:
                draft.put("sponsor", sponsor, cell(a, b))
        elif (_INDICATION.search(lb) or granted and lb == granted[0][0]) and \
                "indication" not in draft.cells and 3 <= len(value) <= 160 and not _NOT_PRODUCT.match(value):
            draft.put("indication", value, cell(a, b))
        elif re.search(r"\bdate\b", lb, re.I) and not _DEADLINE.search(lb) and "date" not in draft.cells:
            found = find_dates(value, doc.anchor)
            if found:
                draft.put("date", found[0].value, cell(a, b))
    return draft
