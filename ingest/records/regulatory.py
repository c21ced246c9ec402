"""Regulatory records: an agency's approval, designation, complete response, accepted filing,
delay... of a product, with its sponsor, indication and date.

A sentence (or each clause of it, when "and" joins two agencies' decisions) that names an agency
and an action yields one record per designation it names ("orphan drug, breakthrough therapy,
and fast track designations" are three records). The product is the drug name nearest the
action: a code ("ABO-102", "BAT1806"), an international non-proprietary name ("teplizumab") or a
capitalised brand ("ProTmune", "Fucaso"); without one there is no record. A later sentence that
names the same product and says what it is approved for adds the indication.
"""

from __future__ import annotations

import re

from ingest.records import patterns as P
from ingest.records.document import Document, Draft, Sentence
from ingest.records.events import dates_in, event_date
from ingest.records.regulatory_lists import _read_lists
from ingest.records.regulatory_rows import table_events
from ingest.records.regulatory_text import (
    _CODE,
    _DISEASE,
    _INN,
    _NOT_PRODUCT,
    _action,
    _agency,
    _clauses,
    _indication,
    _names,
    _product,
    eponyms,
)

_HYPOTHETICAL = re.compile(r"\s*(?:if|once|should|unless|whether)\b", re.I)
_ADJECTIVE = re.compile(r"\b[\w.]+-approved\b|\b(?:FDA|EMA)\s+approved\s+(?=[a-z])|"
                        r"\b(?:first|only|already|previously|newly|recently|currently)\s+approved\b")


def extract_regulatory(doc: Document) -> list[Draft]:
    drafts: list[Draft] = []
    listed = _read_lists(doc, drafts)  # elements read as items of an action list
    recent: tuple[str, int, Sentence] | None = None  # the last product named, and where
    only = _only_agency(doc)
    inferred_drafts: set[int] = set()  # drafts whose agency no sentence of theirs names
    rows, read = table_events(doc, only)  # rows of tables of approvals and designations
    drafts.extend(rows)
    listed, not_products = listed | read, eponyms(doc.texts)  # ("Menkes disease": no product)
    # (the first sentence that names the EMA, a tag line's "Tag: CHMP, ..." not being one)
    ema = next((s for s in doc.sentences if P.AGENCY_RE["EMA"].search(s.text) and not s.title and
                len(s.text.split()) >= 8 and not re.match(r"\w+:", s.text)), None)
    for sent in doc.sentences:
        if sent.element in listed:
            continue
        companies = [m for m in doc.companies(sent)]
        names = {m.text for m in companies} | not_products
        last_product = None
        for offset, clause in _clauses(sent.text):
            product_sent = None
            if _HYPOTHETICAL.match(clause):
                continue  # "If the European Commission approves it, ...": nothing happened yet
            agency = _agency(clause)
            designations = [k for k, rx in P.DESIGNATION_RE.items() if rx.search(clause)]
            product = _product(clause, names) or (
                last_product if re.search(r"\b(?:it|its)\b", clause) else None)
            if product is None and recent and sent.index - recent[1] <= 2 and re.search(
                    r"\b(?:the|this)\s+(?:programme|program|drug|therapy|candidate|product|"
                    r"medicine|treatment|gene\s+therapy|cell\s+therapy|antibody|vaccine)\b|"
                    r"^(?:It|The\s+drug|The\s+therapy)\b", clause):
                product = recent[0]  # named in the sentence before: "the programme", "It"
                if recent[2].element == sent.element:  # quoted with the sentence naming it
                    product_sent = Sentence(doc.texts[sent.element][recent[2].start:sent.start +
                                                                    len(sent.text)],
                                            sent.element, recent[2].start, sent.page, sent.index,
                                            sent.title, sent.lead)
                else:  # another paragraph: the product's cell quotes the sentence naming it
                    product_sent = recent[2]
            if product:
                last_product = product
                if product in sent.text:
                    recent = (product, sent.index, sent)
            agency, agency_sent, inferred = _clause_agency(doc, sent, clause, agency, designations,
                                                           only, ema)
            if agency is None:
                _add_indication(drafts, sent, clause, product)
                continue
            action = _action(_ADJECTIVE.sub(" ", clause), designations) or (
                "approval" if _COUNTRY_APPROVALS.search(clause) else None)
            if action is None or _add_listed(doc, drafts, sent, clause, agency, action, designations,
                                             agency_sent, companies) or product is None:
                continue
            before = len(drafts)
            for agency in [agency] + _joined_agencies(clause, agency):
                _add_events(doc, drafts, sent, clause, agency, action, designations, product,
                            product_sent, companies, names, agency_sent)
            inferred_drafts.update(id(d) for d in drafts[before:] if inferred)
    _meeting_date(doc, drafts, ema)
    return _without_restated(drafts, inferred_drafts)


def _clause_agency(doc: Document, sent: Sentence, clause: str, agency: str | None, designations,
                   only, ema) -> tuple[str | None, Sentence, bool]:
    """The clause's agency, the sentence that names it, and whether it was inferred from the
    country or the story (`_inferred_agency`)."""
    if agency is not None:
        return agency, sent, False
    if only is not None and designations and P.ACTION_RE["designation"].search(clause):
        return only[0], only[1], False  # "Proteon won a BTD" in an article on the FDA's week
    if ema is not None and P.ACTION_RE["positive_opinion"].search(clause):
        return "EMA", ema, False  # only the EMA's committee gives opinions
    # a designation only one agency grants ("Proteon won a BTD for vonapanitase" on a page that
    # names the FDA and others): that agency, quoted where the page names it
    scheme = _SCHEME_AGENCY.get(designations[0]) if len(designations) == 1 else None
    if scheme and _SCHEME_NAMED.search(clause) and P.ACTION_RE["designation"].search(clause) and \
            not _ELSEWHERE_REGULATOR.search(clause) and not (
                scheme == "FDA" and any(_CHINA.search(s.text) for s in doc.sentences)):
        named = next((s for s in doc.sentences if P.AGENCY_RE[scheme].search(s.text)), None)
        if named is not None:
            return scheme, named, False
    agency, agency_sent = _inferred_agency(doc, clause, only, sent)
    return agency, agency_sent, True


# designations one agency grants (China's NMPA also grants breakthrough therapy designations)
_SCHEME_AGENCY = {"fast_track": "FDA", "rmat": "FDA", "qidp": "FDA", "breakthrough": "FDA", "prime": "EMA"}
_CHINA = re.compile(r"\b(?:China|Chinese|NMPA|CDE)\b")
# the scheme by its full name, not the bare word ("hailed OST-101 as a breakthrough")
_SCHEME_NAMED = re.compile(r"\bbreakthrough[\s-]+(?:therapy|device)\s+designation|(?-i:\bBTDs?\b)|"
                           r"\bfast[\s-]+track\s+(?:designation|status)|(?-i:\bRMAT\b)|"
                           r"\bregenerative\s+medicine\s+advanced\s+therapy|(?-i:\bQIDP\b)|"
                           r"qualified\s+infectious\s+disease\s+product|(?-i:\bPRIME\b)", re.I)
# a clause naming another country or regulator ("granted fast track status by Japan's health ministry")
_ELSEWHERE_REGULATOR = re.compile(r"\b(?:Japan|Japanese|Korea|Korean|Canada|Canadian|Australia|Australian|UK|"
                                  r"Britain|British|India|Indian|Brazil|Swiss|Switzerland|ministry|MHLW|PMDA|"
                                  r"MHRA|TGA|Health\s+Canada)\b")


def _without_restated(drafts: list[Draft], inferred: set[int]) -> list[Draft]:
    """"Chalk up another approval for Keytruda. ... the FDA gave an accelerated approval for
    Keytruda": an approval whose agency was inferred is the same event as one stated outright."""
    return [d for d in drafts if id(d) not in inferred or not any(
        o is not d and id(o) not in inferred and o.key[:2] == d.key[:2] and o.names & d.names
        for o in drafts)]


# "received approval in Japan for ...", "news of Japanese approvals: ...": the country's
# regulator (the one the document names, else the one that grants its marketing approvals)
_IN_COUNTRY = [(re.compile(rf"\b(?:approv(?:ed|al|als)|authori[sz]ation)\s+in\s+{country}\b|"
                           rf"\b{adjective}\s+(?:regulatory\s+|marketing\s+)?approvals?(?=\s*:|\s+(?:for|of)\b)"),
                named, default)
               for default, country, adjective, named in P.APPROVING_COUNTRIES]
_COUNTRY_APPROVALS = re.compile(r"\b(?:Japanese|Chinese|Canadian)\s+(?:regulatory\s+|marketing\s+)?"
                                r"approvals\b")
# other places a product may be approved in: not the one agency of the document
_ELSEWHERE = re.compile(r"\b(?:in|across|throughout)\s+(?:the\s+)?(?:EU|Europe|European\s+Union|US|U\.S\.|"
                        r"United\s+States|UK|U\.K\.|China|Japan|Canada|Australia|Korea|India|Brazil|"
                        r"Switzerland|other\s+(?:countries|markets))\b")


# an approval hoped for, not given: "The BLA sought approval of", "hopes of winning approval",
# "to get Dextenza approved", "Opdivo's pending accelerated approval"
_SOUGHT = re.compile(r"\b(?:s(?:ought|eeks?|eeking)|hop\w*|win(?:ning|s)?|pending|awaiting|await|"
                     r"expect\w*|to\s+get|for|potential|possible|filed|file)\s+(?:\w+\s+){0,3}?"
                     r"(?:approv|authori[sz])|\bapproval\s+(?:decision|date|process|pathway)", re.I)


def _inferred_agency(doc: Document, clause: str, only, sent: Sentence):
    """The agency of a decision whose clause names none: the regulator of the country it was
    approved in ("received approval in Japan"), or the one agency the document names, for an
    approval said of no other place ("Merck's Zolinza was approved as well")."""
    for rx, named, default in _IN_COUNTRY:
        if rx.search(clause):
            for name in named:
                found = next((s for s in doc.sentences if P.AGENCY_RE[name].search(s.text)), None)
                if found is not None:
                    return name, found
            return default, sent
    # (not a line of links: "... gets Chinese approval · Post-webinar Q&A ...")
    if only is not None and not _ELSEWHERE.search(clause) and not _SOUGHT.search(clause) and \
            not re.search(r"\s[·|]\s", clause) and \
            P.ACTION_RE["approval"].search(_ADJECTIVE.sub(" ", clause)):
        return only
    return None, sent


def _meeting_date(doc: Document, drafts: list[Draft], ema: Sentence | None) -> None:
    """Opinions of a CHMP round-up whose sentences give no date: the meeting's, when the sentence
    naming the committee gives one date ("recommended eight new medicines at its May meeting")."""
    dated = dates_in(doc, ema) if ema is not None else []
    if len({d.value for d in dated}) != 1:
        return
    for d in drafts:
        c = d.cells.get("agency")
        if d.cells.get("action", {}).get("value") == "positive_opinion" and "date" not in d.cells \
                and c is not None and c["quote"] == ema.text:
            d.put("date", dated[0].value, ema)


def _joined_agencies(clause: str, first: str) -> list[str]:
    """The other agencies a decision is joined to: "Canada and FDA approve Alprolix", "won
    European Commission and U.K. regulatory approval": each took the action."""
    out, at = [], P.AGENCY_RE[first].search(clause)
    for name, rx in P.AGENCY_RE.items():
        m = rx.search(clause)
        if at and name != first and m and re.fullmatch(r"\s+(?:and|&)\s+(?:the\s+)?",
                                                       clause[at.end():m.start()]):
            out.append(name)
    return out


def _taken(action: str, designations: list[str]) -> list[str | None]:
    """The designations a clause's action records, one record each (None: the action alone); an
    approval takes only the designations an approval can carry."""
    return [d for d in designations or [None]
            if action != "approval" or d in (None, "accelerated_approval", "priority_review")]


def _add_events(doc, drafts, sent, clause, agency, action, designations, product, product_sent,
                companies, names, agency_sent) -> None:
    for designation in _taken(action, designations):
        draft = _add(doc, drafts, sent, clause, agency, action, designation, product, companies,
                     agency_sent)
        if product_sent is not None:
            draft.put("product", product, product_sent)
        for other in _siblings(clause, product, names):
            _add(doc, drafts, sent, clause, agency, action, designation, other, companies, agency_sent)


# "... has approved three new medicines: Xuanqi Jiangu Tablets of Fangsheng Pharmaceutical, Qizhi
# Yishen Capsules of Phoenix Pharmaceutical, and Kunxinning Granules of Tasly."; "... news of
# Japanese approvals: Betanis (mirabegron) for the treatment of overactive bladder, and Recalbon
# (minodronic acid hydrate) for osteoporosis" (the sentence's one company is each one's sponsor)
_LISTED = re.compile(r"^(?P<product>[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,4})\s+(?:of|from|by)\s+"
                     r"(?P<sponsor>[A-Z][\w&.’'-]*(?:\s+[A-Z][\w&.’'-]*){0,3})$|"
                     r"^(?P<product2>[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,4})\s+\((?P<sponsor2>[A-Z][^()]{1,40})\)$|"
                     r"^(?P<product3>[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})\s+\([a-z][a-z -]{3,40}\)\s+"
                     r"(?:for|to\s+treat)\s+(?:the\s+treatment\s+of\s+)?(?P<ind>[a-z][^,;:()]{2,80})$")


def _add_listed(doc, drafts, sent, clause, agency, action, designations, agency_sent, companies) -> bool:
    """Products listed after a colon, each with its company: one record each (True when read)."""
    if ":" not in clause:
        return False
    items = re.split(r",\s+(?:and\s+)?|\s+and\s+|;\s+", clause.rsplit(":", 1)[1].strip().rstrip("."))
    found = [m for m in (_LISTED.match(i.strip()) for i in items) if m]
    if len(found) < 2 or len(found) != len(items):
        return False
    owners = {m.canonical: m.name for m in companies}
    for m in found:
        product = m.group("product") or m.group("product2") or m.group("product3")
        sponsor = m.group("sponsor") or m.group("sponsor2") or (
            next(iter(owners.values())) if len(owners) == 1 else None)
        for designation in _taken(action, designations):
            draft = _add(doc, drafts, sent, clause, agency, action, designation, product, [], agency_sent)
            if sponsor:
                draft.put("sponsor", sponsor.strip(), sent)
            if m.group("ind"):  # (its own, not the clause's first)
                draft.cells.pop("indication", None)
                draft.put("indication", m.group("ind").strip(), sent)
    return True


def _siblings(clause: str, product: str, companies: set[str]) -> list[str]:
    """Products named with `product` ("Pelmeg and Ziextenzo received approval"): each has it."""
    word = rf"(?:{_CODE}|\b[A-Z][a-z]+[A-Za-z0-9-]*\b|{_INN})"
    out = []
    for rx in (rf"(?P<x>{word})\s*(?:,|and|&)\s*{re.escape(product)}\b",
               rf"\b{re.escape(product)}(?:\s+\([^()]{{1,80}}\))?\s*(?:,|and|&)\s*(?:[A-Z][\w&-]*"
               rf"(?:\s+[A-Z][\w&-]*){{0,2}}['’]s?\s+)?(?P<x>{word})(?!\s+[A-Z])"):
        m = re.search(rx, clause)
        x = m.group("x") if m else ""
        if x and not (x in _NOT_PRODUCT or x.title() in _NOT_PRODUCT or x.upper() in _NOT_PRODUCT or
                      any(x in c for c in companies) or P.country_of(x) or _DISEASE.search(x) or
                      re.fullmatch(r"[A-Z]{2,4}", x)):
            out.append(x)
    return out



def _only_agency(doc: Document) -> tuple[str, Sentence] | None:
    """The one agency the document names, with the first sentence naming it (None when it names
    none, or more than one)."""
    found: dict[str, Sentence] = {}
    for sent in doc.sentences:
        for name, rx in P.AGENCY_RE.items():
            if name not in found and rx.search(sent.text):
                found[name] = sent
    return next(iter(found.items())) if len(found) == 1 else None


def _add(doc, drafts, sent, clause, agency, action, designation, product, companies,
         agency_sent: Sentence | None = None) -> None:
    key = (agency, action, designation, product.split(" (")[0].lower())
    draft = next((d for d in drafts if d.key[:3] == key[:3] and
                  _names(product) & d.names), None)
    if draft is None:
        draft = Draft("regulatory", first=sent.index, key=key)
        draft.names = set()
        drafts.append(draft)
    draft.names |= _names(product)
    draft.put("agency", agency, agency_sent or sent)
    draft.put("action", action, sent)
    if designation:
        draft.put("designation", designation, sent)
    if product in sent.text:
        draft.put("product", product, sent)
    sponsors = [m for m in companies if m.text in clause] or companies
    # "Gedeon Richter's Ryeqo ... and Bayer's Verquvo": the company whose product it is
    own = [m for m in sponsors if re.search(re.escape(m.text) + r"['’]s?\s+" +
                                            re.escape(product.split(" (")[0]) + r"\b", clause)]
    if len({m.canonical for m in own or sponsors}) == 1:
        draft.put("sponsor", (own or sponsors)[0].name, sent)
    if not re.search(r"\brespectively\b", clause):  # (whose indication is which is not read)
        draft.put("indication", _indication(clause), sent)
    date = _clause_date(doc, sent, clause)
    if date:
        draft.put("date", date[0], date[1])
    return draft


def _clause_date(doc: Document, sent: Sentence, clause: str):
    for d in dates_in(doc, sent):
        if sent.text.find(clause) <= d.start < sent.text.find(clause) + len(clause):
            return d.value, sent
    if len(_clauses(sent.text)) == 1:
        return event_date(doc, sent, "regulatory")
    return None


def _add_indication(drafts: list[Draft], sent: Sentence, clause: str, product: str | None) -> None:
    """"BAT1806 is approved for rheumatoid arthritis ...": the indication of an earlier record of
    the same product."""
    if not product or not re.search(r"\b(?:approved|indicated|designated)\s+for\b|"
                                    r"\b(?:designed|intended)\s+to\b", clause):
        return
    ind = _indication(clause)
    if not ind:
        return
    for d in drafts:
        if _names(product) & d.names and "indication" not in d.cells:
            d.put("indication", ind, sent)
