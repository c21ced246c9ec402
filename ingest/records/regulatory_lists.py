"""Regulatory events in lists under action headings: "Approvals" / "Priority review" / "Orphan
drug designations" headings (or a lead-in such as "The FDA has granted Orphan Drug designation
to the following:"), each over items that name a product, its sponsor and its indication."""

from __future__ import annotations

import re

from ingest.records import patterns as P
from ingest.records.document import Document, Draft, Sentence
from ingest.records.events import dates_in
from ingest.records.regulatory_text import (
    _NOT_PRODUCT,
    _action,
    _agency,
    _indication,
    _names,
    _product,
)

# --- lists under action headings (extract3) ---
# "Approvals" / "Priority review" / "Fast track" / "Other designations" / "Complete response
# letters:" headings, each over a list of "Sponsor's Product, for indication." items; the
# agency is named once, before the lists ("The FDA's approvals and designations for the week").
_HEADINGS: list[tuple[str, str | None, re.Pattern]] = [
    (action, designation, re.compile(rf"^(?:(?:new|recent|other|notable|key|latest|fda|ema|"
                                     rf"us|eu)\s+)*(?:{rx})\s*:?\s*$", re.I))
    for action, designation, rx in [
        ("conditional_approval", None, r"conditional\s+(?:marketing\s+)?(?:approvals?|"
                                       r"authori[sz]ations?)"),
        ("tentative_approval", None, r"tentative\s+approvals?"),
        ("approval", "accelerated_approval", r"accelerated\s+approvals?"),
        ("approval", None, r"approvals?|approved|(?:supplemental|expanded|label)\s+approvals?|"
                           r"marketing\s+authori[sz]ations?"),
        ("designation", "priority_review", r"priority\s+reviews?"),
        ("designation", "fast_track", r"fast[\s-]+track(?:\s+designations?)?"),
        ("designation", "breakthrough", r"breakthrough(?:\s+therapy)?(?:\s+designations?)?"),
        ("designation", "orphan", r"orphan(?:\s+drug)?(?:\s+designations?|\s+status)?"),
        ("designation", "rmat", r"RMAT(?:\s+designations?)?|regenerative\s+medicine\s+advanced"
                                r"\s+therapy(?:\s+designations?)?"),
        ("designation", "qidp", r"QIDP(?:\s+designations?)?|qualified\s+infectious\s+disease"
                                r"\s+products?"),
        ("designation", "prime", r"PRIME(?:\s+designations?)?"),
        ("designation", None, r"designations?"),
        ("complete_response", None, r"complete\s+response(?:\s+letters?)?|CRLs?"),
        ("rejection", None, r"rejections?|refusals?|negative\s+opinions?"),
        ("positive_opinion", None, r"positive\s+(?:CHMP\s+)?opinions?"),
        ("filing_acceptance", None, r"(?:accepted\s+)?(?:filings?|applications?|submissions?)"
                                    r"(?:\s+accepted|\s+acceptances?)?|filing\s+acceptances?"),
        ("ind_clearance", None, r"IND\s+(?:clearances?|approvals?)|cleared\s+INDs?"),
        ("delay", None, r"delays?|review\s+extensions?"),
    ]]
# "AstraZeneca PLC and Daiichi Sankyo Co. Ltd.'s Enhertu, for ...", "Seattle Genetics' tucatinib"
_ITEM = re.compile(  # (a ticker after the possessive: "GlaxoSmithKline's (GSK +0.7%) GSK2696274")
    r"^(?P<sponsor>[A-Z][^'’:;()]{1,90}?)(?:'s|’s|(?<=s)'|(?<=s)’)\s+(?:\([^()]{1,30}\)\s+)?"
    r"(?P<product>(?:[A-Z0-9][\w-]*|[a-z]{4,}[\w-]*)(?:\s+(?!in\b|for\b|and\b|with\b|which\b|"
    r"to\b|as\b|plus\b|combined\b|that\b|has\b|have\b|is\b|was\b|received\b|won\b)[\w-]+){0,3}?)"
    r"(?=\s*(?:,|;|\(|$|\.\s*$|\s+(?:in|for|with|which|to|as|plus|combined|that|has|have|is|was|"
    r"received|won)\b))")
# "SGN-35 (Seattle Genetics) for the treatment of ...", "Vildagliptin (Galvus, Novartis) for ...":
# the product (its brand when one is given) and its sponsor in brackets
_ITEM_BRACKET = re.compile(r"^(?P<product>[A-Za-z0-9][^()]{1,60}?)\s+\((?:(?P<brand>[A-Z][\w-]{2,30}),\s+)?"
                           r"(?P<sponsor>[A-Z][^(),;]{1,50})\)\s+(?=for\b|to\s+(?:treat|prevent)\b)")
_ITEM_DESIGNATION = re.compile(r"^(?P<what>[^,]{3,60}?),\s+(?:for|to)\s+(?=[A-Z])")
_LEGAL = re.compile(r"\s*(?:,\s*)?(?:Inc\.?|Ltd\.?|PLC|plc|AG|Co\.|Corp\.?|LLC|SA|S\.A\.|N\.V\.|"
                    r"SE|GmbH|KGaA|A/S|AB(?:\s+\(publ\))?)$")


def _heading(text: str) -> tuple[str, str | None] | None:
    t = text.strip().strip("*#").strip()
    if not t or len(t) > 60:
        return None
    parts = [p.strip() for p in t.split(":")] if t.count(":") == 1 and not t.endswith(":") else [t]
    for part in reversed(parts):  # ("Other designations: orphan drug": after the colon first)
        for action, designation, rx in _HEADINGS:
            if rx.match(part):
                return action, designation
    return None


def _list_agency(doc: Document, before: int) -> tuple[str, Sentence] | None:
    """The agency the lists are of: the last sentence before the first list that names one (the
    lists' preamble), else the headline's."""
    for sent in reversed([s for s in doc.sentences if s.element < before]):
        agency = _agency(sent.text)
        if agency and len(sent.text) < 300:
            return agency, sent
    return None


def _read_lists(doc: Document, drafts: list[Draft]) -> set[int]:
    """Items of lists under action headings: one record each, agency from the preamble, action
    (and designation) from the heading, sponsor and product from "Sponsor's Product", the
    indication from "for ...". Returns the elements read as items."""
    by_element: dict[int, list[Sentence]] = {}
    for sent in doc.sentences:
        by_element.setdefault(sent.element, []).append(sent)
    listed: set[int] = set()
    from_lead_in = False
    current: tuple[str, str | None, Sentence] | None = None
    agency: tuple[str, Sentence] | None = None
    for el in sorted(by_element):
        sents = by_element[el]
        text = doc.texts[el]
        head = _heading(text) if (sents[0].title or len(text) <= 60) else None
        lead_in = _lead_in(text, el + 1 < len(doc.elements) and
                           doc.elements[el + 1].category == "ListItem") if head is None else None
        if lead_in is not None:  # "The FDA has granted Orphan Drug designation to the following:"
            item = Sentence(text, el, 0, sents[0].page, sents[0].index, False, False)
            agency, current, from_lead_in = (lead_in[0], item), (lead_in[1], lead_in[2], item), True
            continue
        if head is not None:
            from_lead_in = False
            if agency is None:
                agency = _list_agency(doc, el)
            current = (head[0], head[1], Sentence(text, el, 0, sents[0].page, sents[0].index,
                                                  False, False))
            continue
        if sents[0].title or current is None:
            current = None if sents[0].title else current
            continue
        own = _agency(text)
        if agency is None or len(text) > 400 or own and own != agency[0]:
            continue  # an item naming another agency is read as a sentence
        item = Sentence(text, el, 0, sents[0].page, sents[0].index, False, False)
        if _list_item(doc, drafts, item, agency, current):
            listed.add(el)
        elif from_lead_in:  # a lead-in's list ends at the first paragraph that is no item
            current = None
    return listed


# "In May 2023, China NMPA approved 27 new drugs, among which ...", then the list of them
_COUNTED = re.compile(r"\b(?:approved|granted|cleared|authori[sz]ed)\s+(?:a\s+total\s+of\s+)?\d+\s+"
                      r"(?:new\s+|innovative\s+|novel\s+)?(?:drugs|medicines|products|therapies|"
                      r"biologics|vaccines)\b", re.I)


def _lead_in(text: str, list_follows: bool = False) -> tuple[str, str, str | None] | None:
    """(agency, action, designation) of a short sentence that introduces a list: one ending in a
    colon ("The FDA has granted Orphan Drug designation to the following:"), or one counting the
    approvals right above a list ("In May 2023, China NMPA approved 27 new drugs, ...")."""
    t = text.strip()
    if not (t.endswith(":") or list_follows and _COUNTED.search(t)) or len(t) > 200:
        return None
    agency = _agency(t)
    designations = [k for k, rx in P.DESIGNATION_RE.items() if rx.search(t)]
    action = (_action(t, designations) or ("approval" if re.search(r"\bapprovals\b", t, re.I) and
                                           not designations else None)) if agency else None
    if action is None or len(designations) > 1:
        return None
    return agency, action, designations[0] if designations and action == "designation" else None


def _list_item(doc: Document, drafts: list[Draft], item: Sentence, agency: tuple[str, Sentence],
               heading: tuple[str, str | None, Sentence]) -> bool:
    action, designation, head_sent = heading
    text = item.text.strip()
    rest = text
    lead = _ITEM_DESIGNATION.match(text)  # "Orphan drug, for Eagle Pharmaceuticals Inc.'s Ryanodex."
    designation_sent = head_sent
    if lead and action == "designation":
        found = [k for k, rx in P.DESIGNATION_RE.items() if rx.search(lead.group("what"))]
        if len(found) == 1:
            designation, designation_sent = found[0], item
            rest = text[lead.end():]
    if action == "designation" and designation is None:
        found = [k for k, rx in P.DESIGNATION_RE.items() if rx.search(text)]
        if len(found) != 1:
            return False
        designation, designation_sent = found[0], item
    # "Keytruda — Merck's Keytruda has been approved to treat ...": the item's label is read past
    rest = re.sub(r"^[^—–:;,]{1,40}?\s+[—–]\s+(?=[A-Z])", "", rest)
    m = _ITEM.match(rest)
    bracket = _ITEM_BRACKET.match(rest) if m is None else None
    if bracket:
        sponsor, m = bracket.group("sponsor").strip(), bracket
        product = bracket.group("brand") or bracket.group("product").strip()
    elif m:
        sponsor, product = m.group("sponsor").strip(), m.group("product").strip()
        if _LEGAL.fullmatch(product) or product.lower() in ("own", "new", "first"):
            return False
    else:
        companies = {c.text for c in doc.companies(item)}
        product = _product(rest, companies)
        names = {c.canonical for c in doc.companies(item)}
        sponsor = next(iter(doc.companies(item))).name if len(names) == 1 else None
        if product is None:
            return False
    # "fungal infection drug Tolsura", "prescription digital therapeutic reSET-O": the name is
    # the first word that is not plain lower case
    words = product.split()
    product = " ".join(words[next((k for k, w in enumerate(words) if not re.fullmatch(r"[a-z]+", w)), 0):])
    if product in _NOT_PRODUCT or not product.strip():
        return False
    draft = Draft("regulatory", first=item.index,
                  key=(agency[0], action, designation, product.lower()))
    draft.names = _names(product)
    drafts.append(draft)
    draft.put("agency", agency[0], agency[1])
    draft.put("action", action, head_sent if P.ACTION_RE.get(action, re.compile("$^")).search(
        head_sent.text) or (action == "designation" and designation_sent is head_sent) else item)
    if designation:
        draft.put("designation", designation, designation_sent)
    draft.put("product", product, item)
    if sponsor:
        draft.put("sponsor", sponsor, item)
    after = rest[m.end():] if m else rest
    draft.put("indication", _indication(after), item)
    _date(doc, draft, item, head_sent)
    return True


def _date(doc: Document, draft: Draft, item: Sentence, head_sent: Sentence) -> None:
    """The item's own date, else the one date of its lead-in ("In May 2023, China NMPA approved
    27 new drugs")."""
    for d in dates_in(doc, item):
        draft.put("date", d.value, item)
        return
    dated = dates_in(doc, head_sent) if head_sent is not item else []
    if len({d.value for d in dated}) == 1:
        draft.put("date", dated[0].value, head_sent)
